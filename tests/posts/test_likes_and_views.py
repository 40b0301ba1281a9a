"""Posts 6-8 and 13-14: likes and views, once per user and post."""

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tests.accounts.helpers import update_user
from tests.support.answers import field_errors
from tests.support.contract import assert_answers_the_dump
from tests.support.factories import add_contact, block
from tests.support.posts import LIKE, VIEWS, count_rows, like, post_url
from uzbekhub.extensions import db
from uzbekhub.posts.models import PostLike, PostView
from uzbekhub.posts.schemas import LikeSchema

ENTRY_KEYS = ["id", "owner", "post", "created_at"]

# Likes and views follow the same rules; each test runs for both.
KINDS = pytest.mark.parametrize(
    "create_path, list_suffix, model, counter",
    [
        (LIKE, "likes", PostLike, "like_count"),
        (VIEWS, "views", PostView, "view_count"),
    ],
    ids=["like", "view"],
)


def list_url(post_id, suffix) -> str:
    return f"/api/posts/{post_id}/{suffix}/"


@KINDS
def test_recording_answers_the_spec_shape_and_counts(
    client, alice, bob, make_post, create_path, list_suffix, model, counter
):
    post_id = make_post(alice)
    response = client.post(create_path, json={"post": post_id}, headers=bob.headers)
    assert response.status_code == 201
    entry = response.get_json()
    assert list(entry) == ENTRY_KEYS
    uuid.UUID(entry["id"])
    assert entry["post"] == post_id
    assert entry["owner"] == {
        "id": bob.id,
        "username": bob.username,
        "full_name": "Bob Usmonov",
        "profile_picture": None,
    }
    assert entry["created_at"].endswith("Z")
    post = client.get(post_url(post_id), headers=alice.headers).get_json()
    assert post[counter] == 1


@KINDS
def test_a_form_body_works_too(
    client, alice, bob, make_post, create_path, list_suffix, model, counter
):
    post_id = make_post(alice)
    response = client.post(
        create_path, data={"post": post_id}, headers=bob.headers, content_type="multipart/form-data"
    )
    assert response.status_code == 201


@KINDS
def test_a_second_time_is_400(
    app, client, alice, bob, make_post, create_path, list_suffix, model, counter
):
    post_id = make_post(alice)
    assert client.post(create_path, json={"post": post_id}, headers=bob.headers).status_code == 201
    again = client.post(create_path, json={"post": post_id}, headers=bob.headers)
    assert again.status_code == 400
    assert "non_field_errors" in field_errors(again)
    assert count_rows(app, model) == 1


@KINDS
def test_owner_may_record_on_their_own_post(
    client, alice, make_post, create_path, list_suffix, model, counter
):
    post_id = make_post(alice)
    assert (
        client.post(create_path, json={"post": post_id}, headers=alice.headers).status_code == 201
    )


@KINDS
@pytest.mark.parametrize(
    "body",
    [{}, {"post": None}, {"post": "not-a-uuid"}, {"post": 12}, {"post": str(uuid.uuid4())}],
    ids=["missing", "null", "not-uuid", "number", "unknown"],
)
def test_bad_post_references_are_400_on_post(
    client, alice, body, create_path, list_suffix, model, counter
):
    response = client.post(create_path, json=body, headers=alice.headers)
    assert response.status_code == 400
    assert "post" in field_errors(response)


@KINDS
@pytest.mark.parametrize("blocker", ["owner", "caller"])
def test_a_post_hidden_by_a_block_is_400_on_post(
    app, client, alice, bob, make_post, blocker, create_path, list_suffix, model, counter
):
    post_id = make_post(alice)
    block(app, *((alice, bob) if blocker == "owner" else (bob, alice)))
    response = client.post(create_path, json={"post": post_id}, headers=bob.headers)
    assert response.status_code == 400
    assert "post" in field_errors(response)
    assert count_rows(app, model) == 0


@KINDS
def test_a_private_owners_post_is_for_their_contacts(
    app, client, bob, carol, make_account, make_post, create_path, list_suffix, model, counter
):
    private = make_account("private@example.com", is_private=True)
    post_id = make_post(private)
    add_contact(app, private, carol)
    refused = client.post(create_path, json={"post": post_id}, headers=bob.headers)
    assert refused.status_code == 400 and "post" in field_errors(refused)
    assert (
        client.post(create_path, json={"post": post_id}, headers=carol.headers).status_code == 201
    )


@KINDS
def test_an_inactive_post_is_400_on_post(
    client, alice, bob, make_post, create_path, list_suffix, model, counter
):
    post_id = make_post(alice, is_active=False)
    response = client.post(create_path, json={"post": post_id}, headers=bob.headers)
    assert response.status_code == 400 and "post" in field_errors(response)


@KINDS
def test_list_per_post_newest_first_with_headers(
    client, alice, bob, carol, make_post, create_path, list_suffix, model, counter
):
    post_id = make_post(alice)
    other = make_post(alice)
    for account in (bob, carol):
        client.post(create_path, json={"post": post_id}, headers=account.headers)
    client.post(create_path, json={"post": other}, headers=bob.headers)
    response = client.get(list_url(post_id, list_suffix), headers=bob.headers)
    assert response.status_code == 200
    entries = response.get_json()
    assert [entry["owner"]["id"] for entry in entries] == [carol.id, bob.id]
    assert all(list(entry) == ENTRY_KEYS and entry["post"] == post_id for entry in entries)
    assert response.headers["X-Total-Count"] == "2"
    assert "Link" not in response.headers
    page = client.get(f"{list_url(post_id, list_suffix)}?limit=1", headers=bob.headers)
    assert len(page.get_json()) == 1 and 'rel="next"' in page.headers["Link"]


@KINDS
def test_list_of_a_post_the_caller_cannot_see_is_404(
    app,
    client,
    alice,
    bob,
    carol,
    make_account,
    make_post,
    create_path,
    list_suffix,
    model,
    counter,
):
    private = make_account("private@example.com", is_private=True)
    hidden = [
        make_post(private),
        make_post(alice),  # blocked below
        make_post(carol, is_active=False),
        str(uuid.uuid4()),
    ]
    block(app, alice, bob)
    for post_id in hidden:
        response = client.get(list_url(post_id, list_suffix), headers=bob.headers)
        assert response.status_code == 404, post_id
        assert response.get_json() == {"error": "Resource not found"}
    assert (
        client.get(f"/api/posts/not-a-uuid/{list_suffix}/", headers=bob.headers).status_code == 404
    )


@KINDS
def test_entries_of_blocked_users_are_hidden_except_from_the_post_owner(
    app, client, alice, bob, carol, make_post, create_path, list_suffix, model, counter
):
    post_id = make_post(alice, likers=[bob], viewers=[bob])
    block(app, carol, bob)
    seen_by_carol = client.get(list_url(post_id, list_suffix), headers=carol.headers).get_json()
    assert seen_by_carol == []
    seen_by_bob = client.get(list_url(post_id, list_suffix), headers=bob.headers).get_json()
    assert [entry["owner"]["id"] for entry in seen_by_bob] == [bob.id]
    block(app, alice, bob)
    seen_by_owner = client.get(list_url(post_id, list_suffix), headers=alice.headers).get_json()
    assert [entry["owner"]["id"] for entry in seen_by_owner] == [bob.id]


# --- unlike ------------------------------------------------------------------------------------


def test_unlike_removes_ones_own_like(app, client, alice, bob, make_post):
    post_id = make_post(alice)
    like_id = like(client, bob, post_id)
    response = client.delete(f"{LIKE}{like_id}/", headers=bob.headers)
    assert response.status_code == 204
    post = client.get(post_url(post_id), headers=bob.headers).get_json()
    assert post["like_count"] == 0 and post["is_liked"] is False
    assert like(client, bob, post_id)  # liking again works


def test_another_users_like_is_403(app, client, alice, bob, staff, make_post):
    post_id = make_post(alice)
    like_id = like(client, bob, post_id)
    for account in (alice, staff):
        response = client.delete(f"{LIKE}{like_id}/", headers=account.headers)
        assert response.status_code == 403
        assert set(response.get_json()) == {"detail"}
    assert count_rows(app, PostLike) == 1


def test_a_like_the_caller_cannot_see_is_404(app, client, alice, bob, carol, make_post):
    post_id = make_post(alice)
    like_id = like(client, bob, post_id)
    block(app, carol, bob)  # Carol sees the post, not Bob's like.
    assert client.delete(f"{LIKE}{like_id}/", headers=carol.headers).status_code == 404
    block(app, alice, bob)  # Bob no longer sees the post his like is on.
    assert client.delete(f"{LIKE}{like_id}/", headers=bob.headers).status_code == 404
    assert count_rows(app, PostLike) == 1


@pytest.mark.parametrize("like_id", ["not-a-uuid", "7", str(uuid.uuid4())])
def test_bad_or_unknown_like_ids_are_404(client, alice, like_id):
    response = client.delete(f"{LIKE}{like_id}/", headers=alice.headers)
    assert response.status_code == 404
    assert response.get_json() == {"error": "Resource not found"}


@pytest.mark.parametrize("path", [LIKE, VIEWS])
def test_likes_and_views_are_not_listed_globally(client, alice, path):
    assert client.get(path, headers=alice.headers).status_code == 405


def test_a_like_costs_its_insert_the_owners_notification_and_the_answer(
    client, alice, bob, make_post, statements
):
    """No load of the caller (their cached state suffices), of the post (the insert sees it
    or not) nor a savepoint (the unique constraint decides in the insert)."""
    first, second = make_post(alice), make_post(alice)
    like(client, bob, first)  # the caller's token state is cached from here on
    with statements() as executed:
        response = client.post(LIKE, json={"post": second}, headers=bob.headers)
    assert response.status_code == 201
    starts = [" ".join(statement.split()[:3]).upper() for statement in executed]
    assert starts == [
        "INSERT INTO POST_LIKES",
        "INSERT INTO NOTIFICATION_ACTORS",
        "SELECT USERS.ID, USERS.USERNAME,",
    ]
    assert "password_hash" not in executed[-1]


@KINDS
def test_recording_answers_the_schemas_dump_of_the_stored_entry(
    app, client, alice, bob, make_post, create_path, list_suffix, model, counter
):
    """The entry written by one statement built once answers as LikeSchema (= ViewSchema)
    dumps the row read back from the database, byte for byte."""
    update_user(app, bob, profile_picture="profile_pictures/bob.png", last_name="")
    post_id = make_post(alice)
    response = client.post(create_path, json={"post": post_id}, headers=bob.headers)
    entry_id = uuid.UUID(response.get_json()["id"])
    with app.test_request_context(create_path):
        stored = db.session.scalar(
            select(model).where(model.id == entry_id).options(joinedload(model.owner))
        )
        expected = LikeSchema().dump(stored)
    assert_answers_the_dump(response, expected, status=201)

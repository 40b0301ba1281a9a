"""Posts 9-12: comments and replies on a post."""

import uuid

import pytest

from tests.support.answers import field_errors
from tests.support.factories import add_contact, block
from tests.support.posts import COMMENT, count_rows, moment, post_url
from uzbekhub.posts.models import PostComment

COMMENT_KEYS = [
    "id",
    "owner",
    "post",
    "comment",
    "reply_to",
    "is_edited",
    "created_at",
    "updated_at",
]

THE_POST = object()  # stands for the id of a visible post in parametrized bodies


def comments_url(post_id) -> str:
    return f"/api/posts/{post_id}/comments/"


def comment_on(client, account, post_id, text="Great post!", reply_to=None):
    return client.post(
        COMMENT,
        json={"post": post_id, "comment": text, "reply_to": reply_to},
        headers=account.headers,
    )


def comment_id(client, account, post_id, text="Great post!", reply_to=None) -> str:
    response = comment_on(client, account, post_id, text, reply_to)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


# --- create ------------------------------------------------------------------------------------


def test_create_answers_the_spec_shape(client, alice, bob, make_post):
    post_id = make_post(alice)
    response = comment_on(client, bob, post_id, "  Great post!  ")
    assert response.status_code == 201
    comment = response.get_json()
    assert list(comment) == COMMENT_KEYS
    uuid.UUID(comment["id"])
    assert comment["owner"]["id"] == bob.id and comment["owner"]["full_name"] == "Bob Usmonov"
    assert comment["post"] == post_id
    assert comment["comment"] == "Great post!"
    assert comment["reply_to"] is None
    assert comment["is_edited"] is False and comment["updated_at"] is None
    assert client.get(post_url(post_id), headers=bob.headers).get_json()["comment_count"] == 1


def test_reply_to_is_optional_and_may_be_omitted(client, alice, make_post):
    post_id = make_post(alice)
    response = client.post(COMMENT, json={"post": post_id, "comment": "Hi"}, headers=alice.headers)
    assert response.status_code == 201 and response.get_json()["reply_to"] is None


def test_a_reply_names_a_comment_of_the_same_post(client, alice, bob, make_post):
    post_id = make_post(alice)
    first = comment_id(client, bob, post_id)
    response = comment_on(client, alice, post_id, "Thanks!", reply_to=first)
    assert response.status_code == 201
    assert response.get_json()["reply_to"] == first


def test_a_reply_to_a_comment_of_another_post_is_400(app, client, alice, bob, make_post):
    post_id = make_post(alice)
    elsewhere = comment_id(client, bob, make_post(bob))
    response = comment_on(client, alice, post_id, "Wrong thread", reply_to=elsewhere)
    assert response.status_code == 400
    assert "reply_to" in field_errors(response)
    assert count_rows(app, PostComment) == 1


@pytest.mark.parametrize("reply_to", [str(uuid.uuid4()), "not-a-uuid", 5])
def test_a_reply_to_an_unknown_or_malformed_comment_is_400(client, alice, make_post, reply_to):
    response = comment_on(client, alice, make_post(alice), "Hm", reply_to=reply_to)
    assert response.status_code == 400
    assert "reply_to" in field_errors(response)


def test_a_reply_to_a_comment_the_caller_cannot_see_is_400(
    app, client, alice, bob, carol, make_post
):
    post_id = make_post(alice)
    bobs = comment_id(client, bob, post_id)
    block(app, carol, bob)
    response = comment_on(client, carol, post_id, "To whom?", reply_to=bobs)
    assert response.status_code == 400
    assert "reply_to" in field_errors(response)


def test_a_reply_to_a_comment_on_a_hidden_post_is_400(app, client, alice, bob, carol, make_post):
    hidden_post = make_post(carol)
    hidden_comment = comment_id(client, carol, hidden_post)
    block(app, carol, bob)
    response = comment_on(client, bob, make_post(alice), "Hi", reply_to=hidden_comment)
    assert response.status_code == 400
    assert "reply_to" in field_errors(response)
    assert field_errors(response)["reply_to"] == [
        f'Invalid pk "{hidden_comment}" - object does not exist.'
    ]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"comment": "No post"}, "post"),
        ({"post": "not-a-uuid", "comment": "x"}, "post"),
        ({"post": str(uuid.uuid4()), "comment": "x"}, "post"),
        ({"post": THE_POST}, "comment"),
        ({"post": THE_POST, "comment": ""}, "comment"),
        ({"post": THE_POST, "comment": "   "}, "comment"),
        ({"post": THE_POST, "comment": "x" * 2001}, "comment"),
        ({"post": THE_POST, "comment": "x" * (100 * 1024)}, "comment"),
        ({"post": THE_POST, "comment": 42}, "comment"),
        ({"post": THE_POST, "comment": "x", "is_edited": True}, "is_edited"),
    ],
)
def test_bad_comment_bodies_are_400_on_the_field(app, client, alice, make_post, body, field):
    post_id = make_post(alice)
    body = {key: post_id if value is THE_POST else value for key, value in body.items()}
    response = client.post(COMMENT, json=body, headers=alice.headers)
    assert response.status_code == 400
    assert field in field_errors(response)
    assert count_rows(app, PostComment) == 0


def test_a_comment_of_the_maximum_length_is_accepted(client, alice, make_post):
    assert comment_on(client, alice, make_post(alice), "x" * 2000).status_code == 201


@pytest.mark.parametrize("blocker", ["owner", "caller"])
def test_commenting_on_a_post_hidden_by_a_block_is_400_on_post(
    app, client, alice, bob, make_post, blocker
):
    post_id = make_post(alice)
    block(app, *((alice, bob) if blocker == "owner" else (bob, alice)))
    response = comment_on(client, bob, post_id)
    assert response.status_code == 400
    assert "post" in field_errors(response)


def test_commenting_on_a_private_owners_post_needs_their_contact(
    app, client, bob, carol, make_account, make_post
):
    private = make_account("private@example.com", is_private=True)
    post_id = make_post(private)
    add_contact(app, private, carol)
    assert comment_on(client, bob, post_id).status_code == 400
    assert comment_on(client, carol, post_id).status_code == 201


# --- update ------------------------------------------------------------------------------------


def test_author_edits_a_comment_and_it_says_so(client, alice, bob, make_post):
    post_id = make_post(alice)
    cid = comment_id(client, bob, post_id)
    response = client.patch(
        f"{COMMENT}{cid}/", json={"comment": "Updated comment text"}, headers=bob.headers
    )
    assert response.status_code == 200
    comment = response.get_json()
    assert list(comment) == COMMENT_KEYS
    assert comment["comment"] == "Updated comment text"
    assert comment["is_edited"] is True
    assert comment["updated_at"].endswith("Z")
    assert moment(comment["updated_at"]) > moment(comment["created_at"])


def test_edit_accepts_a_form_body(client, alice, make_post):
    cid = comment_id(client, alice, make_post(alice))
    response = client.patch(
        f"{COMMENT}{cid}/",
        data={"comment": "Form"},
        headers=alice.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and response.get_json()["comment"] == "Form"


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "comment"),
        ({"comment": ""}, "comment"),
        ({"comment": "x" * 2001}, "comment"),
        ({"comment": "x", "post": "y"}, "post"),
    ],
)
def test_bad_edits_are_400(client, alice, make_post, body, field):
    post_id = make_post(alice)
    cid = comment_id(client, alice, post_id, "Original")
    response = client.patch(f"{COMMENT}{cid}/", json=body, headers=alice.headers)
    assert response.status_code == 400
    assert field in field_errors(response)
    listed = client.get(comments_url(post_id), headers=alice.headers).get_json()
    assert [(c["comment"], c["is_edited"]) for c in listed] == [("Original", False)]


def test_only_the_author_edits_a_comment(client, alice, bob, carol, staff, make_post):
    post_id = make_post(alice)
    cid = comment_id(client, bob, post_id, "Bob's words")
    for account in (alice, carol, staff):  # the post's owner, a stranger, staff
        response = client.patch(
            f"{COMMENT}{cid}/", json={"comment": "Not yours"}, headers=account.headers
        )
        assert response.status_code == 403
        assert set(response.get_json()) == {"detail"}
    texts = [
        c["comment"] for c in client.get(comments_url(post_id), headers=alice.headers).get_json()
    ]
    assert texts == ["Bob's words"]


def test_editing_a_comment_the_caller_cannot_see_is_404(app, client, alice, bob, carol, make_post):
    post_id = make_post(alice)
    cid = comment_id(client, bob, post_id)
    block(app, bob, carol)
    assert (
        client.patch(f"{COMMENT}{cid}/", json={"comment": "x"}, headers=carol.headers).status_code
        == 404
    )
    block(app, alice, bob)  # Bob no longer sees the post his comment is on.
    assert (
        client.patch(f"{COMMENT}{cid}/", json={"comment": "x"}, headers=bob.headers).status_code
        == 404
    )


@pytest.mark.parametrize("method", ["patch", "delete"])
@pytest.mark.parametrize("cid", ["not-a-uuid", "3", str(uuid.uuid4())])
def test_bad_or_unknown_comment_ids_are_404(client, alice, method, cid):
    response = getattr(client, method)(
        f"{COMMENT}{cid}/", json={"comment": "x"}, headers=alice.headers
    )
    assert response.status_code == 404
    assert response.get_json() == {"error": "Resource not found"}


# --- delete ------------------------------------------------------------------------------------


def test_author_deletes_a_comment(app, client, alice, bob, make_post):
    post_id = make_post(alice)
    cid = comment_id(client, bob, post_id)
    response = client.delete(f"{COMMENT}{cid}/", headers=bob.headers)
    assert response.status_code == 204 and response.data == b""
    assert count_rows(app, PostComment) == 0
    assert client.get(post_url(post_id), headers=bob.headers).get_json()["comment_count"] == 0


def test_the_post_owner_deletes_any_comment_on_their_post(app, client, alice, bob, make_post):
    post_id = make_post(alice)
    cid = comment_id(client, bob, post_id)
    block(app, alice, bob)  # even one by a user they have since blocked
    assert client.delete(f"{COMMENT}{cid}/", headers=alice.headers).status_code == 204
    assert count_rows(app, PostComment) == 0


def test_others_may_not_delete_a_comment(app, client, alice, bob, carol, staff, make_post):
    post_id = make_post(alice)
    cid = comment_id(client, bob, post_id)
    for account in (carol, staff):
        assert client.delete(f"{COMMENT}{cid}/", headers=account.headers).status_code == 403
    block(app, carol, bob)
    assert client.delete(f"{COMMENT}{cid}/", headers=carol.headers).status_code == 404
    assert count_rows(app, PostComment) == 1


def test_replies_outlive_the_comment_they_answered(client, alice, bob, make_post):
    post_id = make_post(alice)
    first = comment_id(client, bob, post_id, "Question?")
    reply = comment_id(client, alice, post_id, "Answer.", reply_to=first)
    assert client.delete(f"{COMMENT}{first}/", headers=bob.headers).status_code == 204
    listed = client.get(comments_url(post_id), headers=alice.headers).get_json()
    assert [(c["id"], c["reply_to"]) for c in listed] == [(reply, None)]


# --- list --------------------------------------------------------------------------------------


def test_comments_are_listed_oldest_first(client, alice, bob, carol, make_post):
    post_id = make_post(alice)
    made = [
        comment_id(client, account, post_id, f"#{n}")
        for n, account in enumerate((bob, carol, alice))
    ]
    comment_id(client, bob, make_post(bob), "elsewhere")
    response = client.get(comments_url(post_id), headers=carol.headers)
    assert response.status_code == 200
    assert [c["id"] for c in response.get_json()] == made
    assert all(list(c) == COMMENT_KEYS for c in response.get_json())
    assert response.headers["X-Total-Count"] == "3"
    second = client.get(f"{comments_url(post_id)}?limit=1&offset=1", headers=carol.headers)
    assert [c["id"] for c in second.get_json()] == [made[1]]
    assert 'rel="next"' in second.headers["Link"] and 'rel="prev"' in second.headers["Link"]


@pytest.mark.parametrize("query", ["limit=0", "limit=abc", "offset=-1"])
def test_bad_list_paging_is_400(client, alice, make_post, query):
    response = client.get(f"{comments_url(make_post(alice))}?{query}", headers=alice.headers)
    assert response.status_code == 400


def test_comments_of_blocked_users_are_hidden_except_from_the_post_owner(
    app, client, alice, bob, carol, make_post
):
    post_id = make_post(alice)
    comment_id(client, bob, post_id, "from Bob")
    comment_id(client, carol, post_id, "from Carol")
    block(app, bob, carol)
    block(app, alice, bob)
    as_carol = [
        c["comment"] for c in client.get(comments_url(post_id), headers=carol.headers).get_json()
    ]
    as_owner = [
        c["comment"] for c in client.get(comments_url(post_id), headers=alice.headers).get_json()
    ]
    assert as_carol == ["from Carol"]
    assert as_owner == ["from Bob", "from Carol"]


def test_comments_of_a_post_the_caller_cannot_see_are_404(app, client, alice, bob, make_post):
    post_id = make_post(alice)
    comment_id(client, alice, post_id)
    block(app, bob, alice)
    response = client.get(comments_url(post_id), headers=bob.headers)
    assert response.status_code == 404
    assert client.get(comments_url(str(uuid.uuid4())), headers=alice.headers).status_code == 404
    assert client.get("/api/posts/xyz/comments/", headers=alice.headers).status_code == 404

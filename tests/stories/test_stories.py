"""Stories 1-6: the caller's active stories, creation (caption, audience, marked), detail,
update and deletion. The media file itself, on either storage: test_media.py."""

import io

import pytest

from tests.support.answers import field_errors
from tests.support.factories import block
from tests.support.stories import (
    ACTIVE,
    REACTION,
    VIEWED,
    create_story,
    new_story,
    png_bytes,
)

STORY_KEYS = [
    "id",
    "owner",
    "media",
    "caption",
    "marked",
    "is_active",
    "audience",
    "created_at",
    "updated_at",
]


# --- creation --------------------------------------------------------------------------------------


def test_create_answers_the_story_as_the_spec_shows(app, client, alice, bob, make_account):
    carol = make_account()
    response = create_story(
        client,
        alice,
        caption="Beautiful sunset!",
        audience="public",
        marked=[str(bob.id), str(carol.id)],
    )
    assert response.status_code == 201
    story = response.get_json()
    assert list(story) == STORY_KEYS
    assert story["owner"] == {
        "id": alice.id,
        "username": alice.username,
        "full_name": "Alice Karimova",
        "profile_picture": None,
    }
    assert story["media"].startswith("http://localhost/media/stories/")
    assert story["media"].endswith(".png")
    assert story["caption"] == "Beautiful sunset!"
    assert story["marked"] == sorted([bob.id, carol.id])
    assert story["is_active"] is True
    assert story["audience"] == "public"
    assert story["created_at"].endswith("Z")
    assert story["updated_at"] == story["created_at"]


def test_create_defaults_to_a_public_story_without_caption_or_marks(client, alice):
    story = new_story(client, alice)
    assert (story["audience"], story["caption"], story["marked"]) == ("public", "", [])


def test_media_is_required_and_must_be_a_file(client, alice):
    missing = create_story(client, alice, media=False, caption="no file")
    assert "media" in field_errors(missing)
    as_text = client.post(
        ACTIVE,
        data={"media": "not a file"},
        headers=alice.headers,
        content_type="multipart/form-data",
    )
    assert field_errors(as_text)["media"] == ["Not a file."]


def test_an_unknown_audience_is_400(client, alice):
    response = create_story(client, alice, audience="friends")
    assert response.status_code == 400
    assert "audience" in field_errors(response)


def test_marked_are_repeated_multipart_fields_without_repeats(client, alice, bob, make_account):
    carol = make_account()
    story = new_story(client, alice, marked=[str(carol.id), str(bob.id), str(carol.id)])
    assert story["marked"] == sorted([bob.id, carol.id])


@pytest.mark.parametrize("bad", ["unknown", "blocked_by_me", "blocked_me", "inactive", "myself"])
def test_marked_users_must_exist_be_active_and_not_be_blocked(
    app, client, alice, bob, make_account, bad
):
    other = make_account(is_active=(bad != "inactive"))
    ids = {
        "unknown": 987654,
        "blocked_by_me": other.id,
        "blocked_me": other.id,
        "inactive": other.id,
        "myself": alice.id,
    }
    if bad == "blocked_by_me":
        block(app, alice, other)
    if bad == "blocked_me":
        block(app, other, alice)
    response = create_story(client, alice, marked=[str(bob.id), str(ids[bad])])
    assert response.status_code == 400
    assert field_errors(response)["marked"] == [f"These users cannot be marked: {ids[bad]}."]


@pytest.mark.parametrize("value", ["abc", "0", "-3", "99999999999"])
def test_marked_ids_must_be_positive_integers(client, alice, value):
    response = create_story(client, alice, marked=[value])
    assert "marked" in field_errors(response)


def test_at_most_100_users_are_marked(client, alice):
    response = create_story(client, alice, marked=[str(n) for n in range(1, 102)])
    assert "marked" in field_errors(response)


def test_the_marked_audience_needs_marked_users(client, alice):
    response = create_story(client, alice, audience="marked")
    assert "marked" in field_errors(response)


def test_caption_is_limited_to_2200_characters(client, alice):
    assert create_story(client, alice, caption="x" * 2200).status_code == 201
    assert "caption" in field_errors(create_story(client, alice, caption="x" * 2201))


def test_unknown_fields_are_400(client, alice):
    response = create_story(client, alice, mood="happy")
    assert field_errors(response)["mood"] == ["Unknown field."]


def test_stories_need_a_token(client):
    assert client.get(ACTIVE).status_code == 401
    response = client.post(
        ACTIVE,
        data={"media": (io.BytesIO(png_bytes()), "a.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 401
    assert set(response.get_json()) == {"detail"}
    assert client.get(f"{ACTIVE}1/").status_code == 401
    assert client.get(f"{ACTIVE}1/stories/").status_code == 401


# --- listing and detail --------------------------------------------------------------------------


def test_my_active_stories_are_mine_only_oldest_first_and_bounded(client, alice, bob, statements):
    mine = [new_story(client, alice, caption=str(n))["id"] for n in range(3)]
    new_story(client, bob)
    response = client.get(ACTIVE, headers=alice.headers)
    assert response.status_code == 200
    assert [item["id"] for item in response.get_json()] == mine
    assert response.headers["X-Total-Count"] == "3"
    assert "Link" not in response.headers

    page = client.get(f"{ACTIVE}?limit=2", headers=alice.headers)
    assert [item["id"] for item in page.get_json()] == mine[:2]
    assert 'rel="next"' in page.headers["Link"]


def test_listing_costs_the_same_statements_for_one_story_or_many(client, alice, bob, statements):
    new_story(client, alice, marked=[str(bob.id)])
    with statements() as one:
        client.get(ACTIVE, headers=alice.headers)
    for _ in range(4):
        new_story(client, alice, marked=[str(bob.id)])
    with statements() as five:
        response = client.get(ACTIVE, headers=alice.headers)
    assert len(response.get_json()) == 5
    assert len(five) == len(one)


def test_detail_of_an_unknown_story_is_404(client, alice):
    assert client.get(f"{ACTIVE}424242/", headers=alice.headers).status_code == 404


def test_a_story_never_shows_its_views_or_reactions(client, alice, bob):
    story = new_story(client, alice)
    client.post(VIEWED, json={"story": story["id"]}, headers=bob.headers)
    client.post(REACTION, json={"story": story["id"], "reaction": "👍"}, headers=bob.headers)
    for account in (alice, bob):
        detail = client.get(f"{ACTIVE}{story['id']}/", headers=account.headers).get_json()
        assert list(detail) == STORY_KEYS


# --- update --------------------------------------------------------------------------------------


def test_the_owner_updates_caption_audience_and_marked_with_json(client, alice, bob, make_account):
    carol = make_account()
    story = new_story(client, alice, marked=[str(bob.id)])
    response = client.patch(
        f"{ACTIVE}{story['id']}/",
        json={"caption": "Updated caption", "audience": "contact", "marked": [carol.id]},
        headers=alice.headers,
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["caption"], body["audience"], body["marked"]) == (
        "Updated caption",
        "contact",
        [carol.id],
    )
    assert body["updated_at"] > body["created_at"]
    assert body["created_at"] == story["created_at"]
    assert client.get(f"{ACTIVE}{story['id']}/", headers=alice.headers).get_json() == body


def test_the_owner_updates_with_multipart_and_keeps_what_is_not_sent(
    client, alice, bob, make_account
):
    carol = make_account()
    story = new_story(client, alice, caption="keep me", marked=[str(bob.id)])
    url = f"{ACTIVE}{story['id']}/"
    response = client.patch(
        url, data={"audience": "marked"}, headers=alice.headers, content_type="multipart/form-data"
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["caption"], body["audience"], body["marked"]) == ("keep me", "marked", [bob.id])
    response = client.patch(
        url,
        data={"marked": [str(carol.id), str(bob.id)]},
        headers=alice.headers,
        content_type="multipart/form-data",
    )
    assert response.get_json()["marked"] == sorted([bob.id, carol.id])


@pytest.mark.parametrize("how", ["json", "multipart"])
def test_marked_can_be_emptied(client, alice, bob, how):
    story = new_story(client, alice, marked=[str(bob.id)])
    url = f"{ACTIVE}{story['id']}/"
    if how == "json":
        response = client.patch(url, json={"marked": []}, headers=alice.headers)
    else:
        response = client.patch(
            url, data={"marked": ""}, headers=alice.headers, content_type="multipart/form-data"
        )
    assert response.status_code == 200
    assert response.get_json()["marked"] == []


def test_update_refuses_bad_input(app, client, alice, bob, make_account):
    story = new_story(client, alice, marked=[str(bob.id)])
    url = f"{ACTIVE}{story['id']}/"
    carol = make_account()
    block(app, carol, alice)
    assert "audience" in field_errors(
        client.patch(url, json={"audience": "friends"}, headers=alice.headers)
    )
    assert "marked" in field_errors(
        client.patch(url, json={"marked": [carol.id]}, headers=alice.headers)
    )
    assert "marked" in field_errors(
        client.patch(url, json={"audience": "marked", "marked": []}, headers=alice.headers)
    )
    assert "marked" in field_errors(client.patch(url, json={"marked": "2"}, headers=alice.headers))
    assert "media" in field_errors(client.patch(url, json={"media": "x"}, headers=alice.headers))
    unchanged = client.get(url, headers=alice.headers).get_json()
    assert (unchanged["audience"], unchanged["marked"]) == ("public", [bob.id])


def test_only_the_owner_updates_or_deletes(app, client, alice, bob, make_account):
    story = new_story(client, alice, audience="public")
    hidden = new_story(client, alice, audience="contact")
    url = f"{ACTIVE}{story['id']}/"
    response = client.patch(url, json={"caption": "mine now"}, headers=bob.headers)
    assert response.status_code == 403
    assert set(response.get_json()) == {"detail"}
    assert client.delete(url, headers=bob.headers).status_code == 403
    # A story the caller may not see does not exist for them.
    url = f"{ACTIVE}{hidden['id']}/"
    assert client.patch(url, json={"caption": "x"}, headers=bob.headers).status_code == 404
    assert client.delete(url, headers=bob.headers).status_code == 404
    blocked = make_account()
    block(app, alice, blocked)
    url = f"{ACTIVE}{story['id']}/"
    assert client.patch(url, json={"caption": "x"}, headers=blocked.headers).status_code == 404
    assert client.delete(url, headers=blocked.headers).status_code == 404
    assert client.get(url, headers=alice.headers).get_json()["caption"] == ""


# --- deletion ------------------------------------------------------------------------------------


def test_the_openapi_document_describes_the_story_paths(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    expected = {
        "/api/stories/active/": {"get", "post"},
        "/api/stories/active/{story_id}/": {"get", "patch", "delete"},
        "/api/stories/active/{user_id}/stories/": {"get"},
        "/api/stories/active/{story_id}/viewers/": {"get"},
        "/api/stories/archive/": {"get"},
        "/api/stories/archive/{pk}/": {"get", "delete"},
        "/api/stories/reaction/": {"post"},
        "/api/stories/reaction/{reaction_id}/": {"patch", "delete"},
        "/api/stories/viewed/": {"post"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
        for method in methods:
            assert paths[path][method]["security"] == [{"bearerAuth": []}]
    create = paths["/api/stories/active/"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in create

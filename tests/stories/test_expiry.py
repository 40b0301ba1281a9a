"""Expiry (computed from created_at and STORY_TTL_HOURS at query time) and the archive
(Stories 7-9). A short TTL is set in the test instead of waiting."""

from tests.support.factories import add_contact
from tests.support.stories import (
    ACTIVE,
    ARCHIVE,
    REACTION,
    VIEWED,
    age_story,
    new_story,
)


def test_a_story_expires_when_its_ttl_has_passed_without_any_job(client, alice, story_ttl):
    story = new_story(client, alice)
    assert client.get(ACTIVE, headers=alice.headers).get_json()[0]["is_active"] is True
    story_ttl(0)  # everything created before now has expired
    assert client.get(ACTIVE, headers=alice.headers).get_json() == []
    archived = client.get(ARCHIVE, headers=alice.headers).get_json()
    assert [item["id"] for item in archived] == [story["id"]]
    assert archived[0]["is_active"] is False


def test_a_fractional_ttl_is_honoured(app, client, alice, story_ttl):
    story = new_story(client, alice)
    age_story(app, story["id"], minutes=20)
    story_ttl(0.5)  # 30 minutes: still active
    detail = client.get(f"{ACTIVE}{story['id']}/", headers=alice.headers)
    assert detail.status_code == 200
    assert detail.get_json()["is_active"] is True
    assert client.get(f"{ARCHIVE}{story['id']}/", headers=alice.headers).status_code == 404
    story_ttl(0.25)  # 15 minutes: expired
    assert client.get(f"{ACTIVE}{story['id']}/", headers=alice.headers).status_code == 404
    archived = client.get(f"{ARCHIVE}{story['id']}/", headers=alice.headers)
    assert archived.status_code == 200
    assert archived.get_json()["is_active"] is False


def test_an_expired_story_is_404_under_active_for_everyone(app, client, alice, bob, story_ttl):
    add_contact(app, alice, bob)
    story = new_story(client, alice, marked=[str(bob.id)])
    story_ttl(0)
    for account in (alice, bob):
        assert client.get(f"{ACTIVE}{story['id']}/", headers=account.headers).status_code == 404
    assert client.get(f"{ACTIVE}{alice.id}/stories/", headers=bob.headers).get_json() == []
    assert (
        client.patch(
            f"{ACTIVE}{story['id']}/", json={"caption": "late"}, headers=alice.headers
        ).status_code
        == 404
    )
    assert client.delete(f"{ACTIVE}{story['id']}/", headers=alice.headers).status_code == 404


def test_an_expired_story_cannot_be_viewed_or_reacted_to(client, alice, bob, story_ttl):
    story = new_story(client, alice)
    story_ttl(0)
    viewed = client.post(VIEWED, json={"story": story["id"]}, headers=bob.headers)
    assert viewed.status_code == 404
    assert viewed.get_json() == {"error": "Resource not found"}
    reacted = client.post(
        REACTION, json={"story": story["id"], "reaction": "😢"}, headers=bob.headers
    )
    assert reacted.status_code == 404


def test_the_archive_is_the_owners_expired_stories_newest_first(app, client, alice, bob, story_ttl):
    first = new_story(client, alice)
    second = new_story(client, alice)
    new_story(client, bob)
    age_story(app, first["id"], minutes=60)
    age_story(app, second["id"], minutes=30)
    fresh = new_story(client, alice)
    story_ttl(0.1)  # 6 minutes: the two aged stories expired, the fresh one did not
    response = client.get(ARCHIVE, headers=alice.headers)
    assert response.status_code == 200
    assert [item["id"] for item in response.get_json()] == [second["id"], first["id"]]
    assert response.headers["X-Total-Count"] == "2"
    assert [item["id"] for item in client.get(ACTIVE, headers=alice.headers).get_json()] == [
        fresh["id"]
    ]


def test_an_active_story_is_404_under_archive(client, alice):
    story = new_story(client, alice)
    assert client.get(f"{ARCHIVE}{story['id']}/", headers=alice.headers).status_code == 404
    assert client.delete(f"{ARCHIVE}{story['id']}/", headers=alice.headers).status_code == 404
    assert client.get(f"{ACTIVE}{story['id']}/", headers=alice.headers).status_code == 200


def test_the_archive_is_the_owners_alone(client, alice, bob, story_ttl):
    story = new_story(client, alice)
    story_ttl(0)
    assert client.get(ARCHIVE, headers=bob.headers).get_json() == []
    assert client.get(f"{ARCHIVE}{story['id']}/", headers=bob.headers).status_code == 404
    assert client.delete(f"{ARCHIVE}{story['id']}/", headers=bob.headers).status_code == 404
    assert client.get(f"{ARCHIVE}{story['id']}/", headers=alice.headers).status_code == 200
    assert client.get(ARCHIVE).status_code == 401

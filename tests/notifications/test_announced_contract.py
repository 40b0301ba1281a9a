"""What an announcement sends about a group is what the listing shows of it: the same
NotificationSchema dump, for every kind of target, hidden actors left out alike."""

from tests.accounts.helpers import CONTACTS
from tests.notifications.conftest import results_of
from tests.notifications.test_hidden_actors import set_private
from tests.notifications.test_other_domains import react
from tests.realtime.support import received
from tests.support.chat import create_group
from tests.support.posts import comment, like, new_post
from tests.support.stories import new_story


def announced_groups(socket) -> dict[int, dict]:
    """The latest announced dump of each group, by id."""
    frames = received(socket, notifications=True)
    return {
        f["notification"]["id"]: f["notification"] for f in frames if f["type"] == "notification"
    }


def test_announced_groups_are_dumped_as_the_listing_shows_them(
    client, alice, bob, make_account, sio, announced
):
    socket = sio(alice)
    post_id = new_post(client, alice, "A post about " + "words " * 30)
    like(client, bob, post_id)
    like(client, make_account("carol@example.com", first_name="Carol"), post_id)
    first = comment(client, alice, post_id, "Alice's comment")
    comment(client, bob, post_id, "An answer", reply_to=first)
    react(client, bob, new_story(client, alice)["id"])
    create_group(client, bob, [alice], name="Hikers")
    added = client.post(CONTACTS, json={"contact": alice.id}, headers=bob.headers)
    assert added.status_code == 201, added.get_json()
    dave = make_account("dave@example.com", first_name="Dave")
    like(client, dave, post_id)
    announced()
    set_private(client, dave, True)  # hidden from alice, and announced again without him
    announced()

    sent = announced_groups(socket)
    listed = {n["id"]: n for n in results_of(client, alice)}
    kinds = {n["target"]["kind"] if n["target"] else None for n in listed.values()}
    assert kinds == {"post", "comment", "story", "room", None}
    assert sent == listed

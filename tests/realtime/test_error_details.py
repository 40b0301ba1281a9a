"""One error format on every transport: an error of a list item is a sentence naming the item,
in the field's list of sentences, whether it came over REST, Socket.IO or the plain WebSocket."""

import uuid

from tests.realtime.support import NAMESPACE, received
from tests.support.answers import field_errors
from tests.support.chat import ROOMS, create_group
from tests.support.posts import create_post, post_url
from tests.support.stories import ACTIVE, new_story
from uzbekhub.chat import protocol

BAD_SECOND_ITEM = ["Item 1: Not a valid integer."]


def test_rest_answers_a_bad_list_item_as_a_sentence_naming_it(client, alice, bob):
    group = {"room_type": "group", "name": "Team", "members": [bob.id, "x"]}
    response = client.post(ROOMS, json=group, headers=alice.headers)
    assert response.status_code == 400
    assert field_errors(response) == {"members": BAD_SECOND_ITEM}

    post = create_post(client, alice).get_json()
    response = client.patch(
        post_url(post["id"]),
        json={"remove_images": [str(uuid.uuid4()), "x"]},
        headers=alice.headers,
    )
    assert response.status_code == 400
    assert field_errors(response) == {"remove_images": ["Item 1: Not a valid UUID."]}

    story = new_story(client, alice)
    response = client.patch(
        f"{ACTIVE}{story['id']}/", json={"marked": [bob.id, "x"]}, headers=alice.headers
    )
    assert response.status_code == 400
    assert field_errors(response) == {"marked": BAD_SECOND_ITEM}


def test_rest_names_every_bad_item_of_a_multipart_list(client, alice):
    post = create_post(client, alice).get_json()
    response = client.patch(
        post_url(post["id"]),
        data={"remove_images": ["x", str(uuid.uuid4()), "y"]},
        headers=alice.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert field_errors(response) == {
        "remove_images": ["Item 0: Not a valid UUID.", "Item 2: Not a valid UUID."]
    }


def chat_frame_with_a_bad_file(room) -> dict:
    return {"type": "chat_message", "room_id": room, "message": "x", "files": [1, "x"]}


def bad_file_error() -> dict:
    return {"type": "error", "error": protocol.INVALID, "details": {"files": BAD_SECOND_ITEM}}


def test_socketio_answers_a_bad_list_item_as_a_sentence_naming_it(client, sio, alice):
    room = create_group(client, alice)
    member = sio(alice)
    member.emit("chat_message", chat_frame_with_a_bad_file(room), namespace=NAMESPACE)
    assert received(member) == [bad_file_error()]


def test_the_websocket_answers_a_bad_list_item_as_a_sentence_naming_it(
    live_server, clients, client, alice
):
    room = create_group(client, alice)
    browser = clients.ws(live_server, alice)
    browser.send(chat_frame_with_a_bad_file(room))
    assert browser.next() == bad_file_error()

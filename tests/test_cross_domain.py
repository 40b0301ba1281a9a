"""Rules that span domains: what an account deletion takes along."""

import io
import uuid

from tests.accounts.helpers import DELETE_CONFIRM
from tests.support.chat import MEMBERS, create_group, member_action, upload
from tests.support.images import png
from uzbekhub.chat.models import Room
from uzbekhub.extensions import db

DELETE_REQUEST = "/api/accounts/account/delete/"


def media_path(url: str) -> str:
    return url.removeprefix("http://localhost")


def test_deleting_an_account_removes_its_post_images_and_story_media(
    client, alice, bob, mail_catcher
):
    post = client.post(
        "/api/posts/post/",
        data={"content": "hi", "images": [(io.BytesIO(png()), "a.png")]},
        headers=alice.headers,
        content_type="multipart/form-data",
    ).get_json()
    story = client.post(
        "/api/stories/active/",
        data={"media": (io.BytesIO(png()), "s.png"), "audience": "public"},
        headers=alice.headers,
        content_type="multipart/form-data",
    ).get_json()
    bobs_post = client.post(
        "/api/posts/post/",
        data={"content": "mine", "images": [(io.BytesIO(png()), "b.png")]},
        headers=bob.headers,
        content_type="multipart/form-data",
    ).get_json()
    files = [media_path(post["images"][0]["image"]), media_path(story["media"])]
    assert all(client.get(path).status_code == 200 for path in files)

    client.post(DELETE_REQUEST, json={"password": alice.password}, headers=alice.headers)
    code = mail_catcher.code_for(alice.email)
    assert (
        client.post(DELETE_CONFIRM, json={"code": code}, headers=alice.headers).status_code == 204
    )

    assert [client.get(path).status_code for path in files] == [404, 404]
    assert client.get(media_path(bobs_post["images"][0]["image"])).status_code == 200


def delete_account(client, account, mail_catcher):
    client.post(DELETE_REQUEST, json={"password": account.password}, headers=account.headers)
    code = mail_catcher.code_for(account.email)
    response = client.post(DELETE_CONFIRM, json={"code": code}, headers=account.headers)
    assert response.status_code == 204


def roles_in(client, room_id, viewer) -> dict:
    answer = client.get(MEMBERS.format(room_id, "list_members"), headers=viewer.headers)
    assert answer.status_code == 200, answer.get_json()
    return {row["user"]["id"]: row["role"] for row in answer.get_json()}


def test_a_deleted_owner_hands_the_group_to_its_admin(client, make_account, mail_catcher):
    owner, member, admin = make_account(), make_account(), make_account()
    room = create_group(client, owner, members=[member, admin])
    assert member_action(client, owner, room, "set_admin", admin).status_code == 200
    delete_account(client, owner, mail_catcher)
    assert roles_in(client, room, member) == {member.id: "member", admin.id: "owner"}


def test_without_admins_the_longest_standing_member_takes_over(client, make_account, mail_catcher):
    owner, first, second = make_account(), make_account(), make_account()
    room = create_group(client, owner, members=[first])
    assert member_action(client, owner, room, "add_member", second).status_code == 200
    delete_account(client, owner, mail_catcher)
    assert roles_in(client, room, second) == {first.id: "owner", second.id: "member"}


def test_a_group_with_nobody_else_goes_with_its_owner(app, client, make_account, mail_catcher):
    owner = make_account()
    room = create_group(client, owner)
    delete_account(client, owner, mail_catcher)
    with app.app_context():
        assert db.session.get(Room, uuid.UUID(room)) is None


def test_chat_bytes_go_with_the_account_unless_someone_else_has_them(
    client, alice, bob, mail_catcher
):
    own = upload(client, alice, b"only alice has these bytes").get_json()
    shared = upload(client, alice, b"both have these bytes").get_json()
    upload(client, bob, b"both have these bytes")
    own_path, shared_path = media_path(own["file"]), media_path(shared["file"])
    delete_account(client, alice, mail_catcher)
    assert client.get(own_path, headers=bob.headers).status_code == 404
    assert client.get(shared_path, headers=bob.headers).status_code == 200

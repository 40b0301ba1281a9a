"""Rules that span domains: what an account deletion takes along."""

import io
import uuid

import pytest

from tests.accounts.helpers import DELETE_CONFIRM, PROFILE
from tests.support.chat import MEMBERS, ROOMS, create_group, member_action, upload
from tests.support.images import png
from tests.support.media import fetch_media, is_stored
from uzbekhub.chat.models import Room
from uzbekhub.extensions import db

DELETE_REQUEST = "/api/accounts/account/delete/"

# What goes with an account includes media: those tests run on the local disk and on S3.
on_each_storage = pytest.mark.usefixtures("each_storage")


@on_each_storage
def test_deleting_an_account_removes_its_picture_post_images_and_story_media(
    app, client, alice, bob, mail_catcher
):
    picture = client.patch(
        PROFILE,
        data={"profile_picture": (io.BytesIO(png()), "me.png")},
        headers=alice.headers,
        content_type="multipart/form-data",
    ).get_json()["profile_picture"]
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
    files = [picture, post["images"][0]["image"], story["media"]]
    assert [fetch_media(client, url)[0] for url in files] == [200, 200, 200]

    client.post(DELETE_REQUEST, json={"password": alice.password}, headers=alice.headers)
    code = mail_catcher.code_for(alice.email)
    assert (
        client.post(DELETE_CONFIRM, json={"code": code}, headers=alice.headers).status_code == 204
    )

    assert [fetch_media(client, url)[0] for url in files] == [404, 404, 404]
    assert not any(is_stored(app, url) for url in files)
    assert fetch_media(client, bobs_post["images"][0]["image"])[0] == 200


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


def create_group_with_picture(client, owner) -> str:
    response = client.post(
        ROOMS,
        data={"room_type": "group", "name": "Team", "profile_pic": (io.BytesIO(png()), "t.png")},
        headers=owner.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


@on_each_storage
def test_a_group_with_nobody_else_goes_with_its_owner_and_its_picture(
    app, client, make_account, mail_catcher
):
    owner = make_account()
    room = create_group_with_picture(client, owner)
    picture = client.get(f"{ROOMS}{room}/", headers=owner.headers).get_json()["profile_pic"]
    assert is_stored(app, picture)
    delete_account(client, owner, mail_catcher)
    with app.app_context():
        assert db.session.get(Room, uuid.UUID(room)) is None
    assert not is_stored(app, picture)


@on_each_storage
def test_chat_bytes_go_with_the_account_unless_someone_else_has_them(
    app, client, alice, bob, mail_catcher
):
    own = upload(client, alice, b"only alice has these bytes").get_json()
    shared = upload(client, alice, b"both have these bytes").get_json()
    upload(client, bob, b"both have these bytes")
    delete_account(client, alice, mail_catcher)
    assert not is_stored(app, own["file"])
    assert fetch_media(client, own["file"], headers=bob.headers)[0] == 404
    status, body, _ = fetch_media(client, shared["file"], headers=bob.headers)
    assert (status, body) == (200, b"both have these bytes")

"""Rules that span domains: what an account deletion takes along."""

import io

from PIL import Image

from tests.accounts.helpers import DELETE_CONFIRM

DELETE_REQUEST = "/api/accounts/account/delete/"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


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

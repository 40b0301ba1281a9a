"""Chat API 17-19: files, stored once per content, with a quota, served only to those who may
see them; on the local disk and on S3 (moto's server), where a fetch that the rules allow is
answered with a redirect to the bucket."""

import hashlib
import io

import pytest
from sqlalchemy import func, select

from tests.support.answers import field_errors
from tests.support.chat import FILES, create_private, send, upload
from tests.support.media import fetch_media, is_stored, stored_bytes, stored_names
from uzbekhub.chat.models import ChatFile
from uzbekhub.extensions import db

FILE_KEYS = ["id", "unique_id", "file", "file_type", "file_size", "is_temporary", "uploaded_at"]

pytestmark = pytest.mark.usefixtures("each_storage")


def fetch_status(client, record: dict, **kwargs) -> int:
    """What fetching the file's URL comes to (a redirect to the bucket followed)."""
    return fetch_media(client, record["file"], **kwargs)[0]


@pytest.fixture
def small_limits(app):
    saved = app.config["MAX_UPLOAD_MB"], app.config["MEDIA_QUOTA_MB"]
    app.config["MAX_UPLOAD_MB"], app.config["MEDIA_QUOTA_MB"] = 1, 2
    yield
    app.config["MAX_UPLOAD_MB"], app.config["MEDIA_QUOTA_MB"] = saved


# --- upload -------------------------------------------------------------------------------------


def test_upload_answers_the_record(app, client, alice):
    data = b"%PDF-1.4 a small document"
    response = upload(client, alice, data, file_type="document", name="report.pdf")
    assert response.status_code == 201
    record = response.get_json()
    assert list(record) == FILE_KEYS
    assert record["unique_id"] == hashlib.sha256(data).hexdigest()
    assert record["file"] == f"http://localhost/media/chat_files/{record['unique_id']}.pdf"
    assert record["file_type"] == "document"
    assert record["file_size"] == len(data)
    assert record["is_temporary"] is True
    assert record["uploaded_at"].endswith("Z")
    assert stored_bytes(app, record["file"]) == data


@pytest.mark.parametrize("file_type", ["image", "video", "voice", "document", "other"])
def test_every_listed_file_type_is_accepted(client, alice, file_type):
    response = upload(client, alice, file_type.encode(), file_type=file_type)
    assert response.status_code == 201
    assert response.get_json()["file_type"] == file_type


def test_uploading_the_same_bytes_again_returns_my_record(app, client, alice):
    first = upload(client, alice, b"same bytes").get_json()
    again = upload(client, alice, b"same bytes", file_type="other", name="copy.txt")
    assert again.status_code == 200
    assert again.get_json() == first
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ChatFile)) == 1


def test_identical_bytes_are_stored_once_for_everyone(app, client, alice, bob):
    mine = upload(client, alice, b"shared bytes").get_json()
    theirs = upload(client, bob, b"shared bytes").get_json()
    assert theirs["id"] != mine["id"]
    assert theirs["unique_id"] == mine["unique_id"]
    assert theirs["file"] == mine["file"]
    copies = {n for n in stored_names(app, "chat_files") if n.startswith(mine["unique_id"])}
    assert copies == {mine["file"].rsplit("/", 1)[-1]}


A_FILE = b"x"  # stands for a file part, made afresh for each run (a stream is read once)


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"file_type": "document"}, "file"),
        ({"file": "just text", "file_type": "document"}, "file"),
        ({"file": A_FILE}, "file_type"),
        ({"file": A_FILE, "file_type": "spreadsheet"}, "file_type"),
        ({"file": A_FILE, "file_type": ""}, "file_type"),
        ({"file": A_FILE, "file_type": "document", "room": "1"}, "room"),
    ],
)
def test_bad_uploads_are_400_on_the_field(client, alice, fields, field):
    data = {
        name: (io.BytesIO(value), "x") if value is A_FILE else value
        for name, value in fields.items()
    }
    response = client.post(
        FILES, data=data, headers=alice.headers, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert field in field_errors(response)


def test_an_empty_file_is_400(app, client, alice):
    response = upload(client, alice, b"")
    assert response.status_code == 400
    assert "file" in field_errors(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ChatFile)) == 0


def test_json_is_not_an_upload(client, alice):
    response = client.post(FILES, json={"file_type": "document"}, headers=alice.headers)
    assert response.status_code == 415
    assert "multipart/form-data" in response.get_json()["error"]


def test_a_file_over_the_upload_limit_is_413(app, client, alice, small_limits):
    response = upload(client, alice, b"x" * (1024 * 1024 + 1))
    assert response.status_code == 413
    assert set(response.get_json()) == {"error"}
    assert upload(client, alice, b"x" * (1024 * 1024)).status_code == 201


def test_uploads_over_the_quota_are_413(app, client, alice, bob, small_limits):
    megabyte = 1024 * 1024
    assert upload(client, alice, b"a" * megabyte).status_code == 201
    assert upload(client, alice, b"b" * megabyte).status_code == 201
    over = upload(client, alice, b"c")
    assert over.status_code == 413
    assert "quota" in over.get_json()["error"]
    assert not is_stored(app, f"/media/chat_files/{hashlib.sha256(b'c').hexdigest()}.bin")
    # Bytes I already have cost nothing; another user's quota is their own.
    assert upload(client, alice, b"a" * megabyte).status_code == 200
    assert upload(client, bob, b"c").status_code == 201


def test_a_crash_after_storing_the_bytes_leaves_no_file_and_no_record(
    app, client, alice, monkeypatch
):
    def broken_commit():
        raise RuntimeError("database went away mid-request")

    before = stored_names(app, "chat_files")
    monkeypatch.setattr(db.session, "commit", broken_commit)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = upload(client, alice, b"%PDF-1.4 never recorded", name="lost.pdf")
    monkeypatch.undo()
    assert response.status_code == 500
    assert stored_names(app, "chat_files") == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ChatFile)) == 0


def test_deleting_frees_quota(client, alice, small_limits):
    megabyte = 1024 * 1024
    first = upload(client, alice, b"a" * megabyte).get_json()
    upload(client, alice, b"b" * megabyte)
    assert upload(client, alice, b"c").status_code == 413
    client.delete(f"{FILES}{first['id']}/", headers=alice.headers)
    assert upload(client, alice, b"c").status_code == 201


def test_files_need_a_token(client):
    assert client.get(FILES).status_code == 401
    assert client.post(FILES, data={}, content_type="multipart/form-data").status_code == 401
    assert client.delete(f"{FILES}1/").status_code == 401


# --- list ---------------------------------------------------------------------------------------


def test_the_list_holds_only_my_files_newest_first(client, alice, bob):
    older = upload(client, alice, b"one").get_json()
    newer = upload(client, alice, b"two").get_json()
    upload(client, bob, b"bob's")
    response = client.get(FILES, headers=alice.headers)
    assert response.status_code == 200
    assert [f["id"] for f in response.get_json()] == [newer["id"], older["id"]]
    assert response.headers["X-Total-Count"] == "2"


# --- delete -------------------------------------------------------------------------------------


def test_deleting_the_last_record_removes_the_bytes(app, client, alice, bob):
    mine = upload(client, alice, b"shared").get_json()
    theirs = upload(client, bob, b"shared").get_json()
    response = client.delete(f"{FILES}{mine['id']}/", headers=alice.headers)
    assert response.status_code == 204
    assert is_stored(app, mine["file"]), "bob's record still refers to the bytes"
    assert fetch_status(client, theirs, headers=bob.headers) == 200
    assert client.get(FILES, headers=alice.headers).get_json() == []
    assert client.delete(f"{FILES}{theirs['id']}/", headers=bob.headers).status_code == 204
    assert not is_stored(app, mine["file"])


def test_nobody_deletes_someone_elses_file(app, client, alice, bob):
    record = upload(client, alice, b"private").get_json()
    assert client.delete(f"{FILES}{record['id']}/", headers=bob.headers).status_code == 404
    assert is_stored(app, record["file"])


@pytest.mark.parametrize("pk", ["999999", "2147483648", "99999999999999999999", "abc", "-1"])
def test_unknown_or_malformed_file_ids_are_404(client, alice, pk):
    assert client.delete(f"{FILES}{pk}/", headers=alice.headers).status_code == 404


def test_deleting_an_attached_file_takes_it_off_the_message(app, client, alice, bob):
    room = create_private(client, alice, bob)
    record = upload(client, alice, b"attachment").get_json()
    send(app, alice, room, "see file", files=[record["id"]])
    assert client.delete(f"{FILES}{record['id']}/", headers=alice.headers).status_code == 204
    (message,) = client.get(
        f"/api/chat/message/{room}/list_by_room/", headers=bob.headers
    ).get_json()["results"]
    assert message["attachments"] == []
    assert not is_stored(app, record["file"])


# --- fetching the bytes -------------------------------------------------------------------------


def test_the_uploader_fetches_with_a_header_or_a_query_token(client, alice):
    record = upload(client, alice, b"my bytes").get_json()
    status, body, headers = fetch_media(client, record["file"], headers=alice.headers)
    assert (status, body) == (200, b"my bytes")
    assert headers["content-disposition"] == "attachment"
    assert headers["cache-control"] == "private, max-age=31536000, immutable"
    by_query = fetch_media(client, f"{record['file']}?token={alice.access}")
    assert by_query[:2] == (200, b"my bytes")


def test_only_the_uploader_fetches_a_file_not_yet_sent(client, alice, bob):
    record = upload(client, alice, b"draft").get_json()
    assert client.get(record["file"], headers=bob.headers).status_code == 404


def test_members_of_a_room_where_it_was_sent_fetch_it(app, client, cast):
    record = upload(client, cast.member, b"for the team").get_json()
    send(app, cast.member, cast.room, "here", files=[record["id"]])
    for account in (cast.owner, cast.admin):
        assert fetch_status(client, record, headers=account.headers) == 200
    assert client.get(record["file"], headers=cast.outsider.headers).status_code == 404


def test_access_ends_with_the_message(app, client, cast):
    record = upload(client, cast.member, b"brief").get_json()
    message = send(app, cast.member, cast.room, "here", files=[record["id"]])
    client.delete(f"/api/chat/message/{message}/", headers=cast.member.headers)
    assert client.get(record["file"], headers=cast.owner.headers).status_code == 404
    assert fetch_status(client, record, headers=cast.member.headers) == 200


def test_fetching_a_chat_file_needs_a_valid_token(client, alice, bob):
    record = upload(client, alice, b"secret").get_json()
    assert client.get(record["file"]).status_code == 401
    assert client.get(f"{record['file']}?token=garbage").status_code == 401
    refresh = client.get(f"{record['file']}?token={alice.refresh}")
    assert refresh.status_code == 401


def test_images_are_served_inline_with_their_type(client, alice):
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), "green").save(out, format="PNG")
    record = upload(client, alice, out.getvalue(), file_type="image").get_json()
    assert record["file"].endswith(".png")
    status, _, headers = fetch_media(client, record["file"], headers=alice.headers)
    assert status == 200
    assert headers["content-type"] == "image/png"
    assert not headers.get("content-disposition", "inline").startswith("attachment")

"""`flask --app wsgi seed-demo`: the world it promises, once, and never in production."""

import os
import subprocess
import sys
from pathlib import Path

from PIL import Image
from sqlalchemy import func, select

from tests.conftest import ROOT
from uzbekhub import demo
from uzbekhub.extensions import db


def seed(app):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return result.output


def sign_in(client, name):
    body = {"email": f"{name}@{demo.DOMAIN}", "password": demo.PASSWORD}
    response = client.post("/api/accounts/auth/signin/", json=body)
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']['access']}"}


def row_counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }


def media_files(app) -> set[Path]:
    return set(Path(app.config["MEDIA_ROOT"]).rglob("*.*"))


def test_it_prints_a_dozen_users_who_can_sign_in(app, client):
    output = seed(app)
    emails = [line.split()[0] for line in output.splitlines() if f"@{demo.DOMAIN}" in line]
    assert len(emails) == 12
    assert demo.PASSWORD in output
    assert "staff" in next(line for line in output.splitlines() if emails[0] in line)
    for email in emails:
        sign_in(client, email.split("@")[0])
    staff = client.get("/api/accounts/account/profile/", headers=sign_in(client, "aziza"))
    assert staff.status_code == 200


def test_the_world_has_relations_places_posts_stories_and_chats(app, client):
    seed(app)
    bekzod = sign_in(client, "bekzod")

    contacts = client.get("/api/accounts/account/contact/", headers=bekzod).get_json()
    assert len(contacts) == 2
    rustam = sign_in(client, "rustam")
    blocks = client.get("/api/accounts/account/block/", headers=rustam).get_json()
    assert [b["blocked_user"]["username"] for b in blocks] == ["laziz"]

    def nearby(headers):
        found = client.get("/api/accounts/account/location/10/", headers=headers).get_json()
        return {user["username"] for user in found}

    assert nearby(bekzod) == {"aziza", "jasur", "laziz", "otabek", "rustam", "timur"}
    assert nearby(sign_in(client, "dilnoza")) == {"kamola", "nodir", "sevara"}

    feed = client.get("/api/posts/post/?page_size=100", headers=bekzod).get_json()
    posts = feed["results"]
    assert len(posts) >= 8
    assert any(len(p["images"]) >= 2 for p in posts)
    assert any(
        p["like_count"] > 0 and p["comment_count"] > 0 and p["view_count"] > 0 for p in posts
    )
    image_url = next(p["images"][0]["image"] for p in posts if p["images"])
    picture = client.get(image_url.removeprefix("http://localhost"))
    assert picture.status_code == 200 and picture.mimetype == "image/jpeg"

    stranger = sign_in(client, "otabek")
    private = client.get("/api/posts/post/?page_size=100", headers=stranger).get_json()
    assert "madina" not in {p["owner"]["username"] for p in private["results"]}
    assert "madina" in {p["owner"]["username"] for p in posts}  # bekzod is her contact

    jasur = sign_in(client, "jasur")
    active = client.get("/api/stories/active/", headers=jasur).get_json()
    assert active and active[0]["caption"]
    viewers = client.get(f"/api/stories/active/{active[0]['id']}/viewers/", headers=jasur)
    assert any(row["reaction"] for row in viewers.get_json())
    archive = client.get("/api/stories/archive/", headers=bekzod).get_json()
    assert archive

    rooms = client.get("/api/chat/rooms/", headers=bekzod).get_json()
    assert {r["room_type"] for r in rooms} == {"private", "group"}
    group = next(r for r in rooms if r["room_type"] == "group")
    history = client.get(
        f"/api/chat/message/{group['id']}/list_by_room/", headers=bekzod
    ).get_json()
    assert history["count"] == 5
    [with_file] = [m for m in history["results"] if m["attachments"]]
    file_url = with_file["attachments"][0]["file"].removeprefix("http://localhost")
    assert client.get(file_url, headers=bekzod).status_code == 200


def test_a_second_run_changes_nothing(app):
    seed(app)
    rows, files = row_counts(app), media_files(app)
    output = seed(app)
    assert "already there" in output
    assert row_counts(app) == rows
    assert media_files(app) == files
    assert rows["users"] == 12


def test_its_pictures_are_real_images(app):
    seed(app)
    with app.app_context():
        from uzbekhub.posts.models import PostImage

        paths = db.session.scalars(select(PostImage.image)).all()
    assert paths
    for path in paths:
        with Image.open(Path(app.config["MEDIA_ROOT"]) / path) as image:
            image.verify()


def test_production_refuses_it_and_touches_nothing(empty_database):
    env = {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": "s" * 40,
        "JWT_SECRET_KEY": "j" * 40,
        "DATABASE_URL": empty_database,
        "ASYNC_MODE": "threading",
    }
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "seed-demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "refused when APP_ENV=production" in result.stderr
    assert "demo world" not in result.stdout


def test_the_readme_walk_through_a_demo_user_chats_over_a_websocket(app, live_server):
    """Quick start: seed, sign in as a demo user, open the socket with its token, send to the
    group; another member's socket receives it."""
    import json
    import urllib.request

    import websocket

    seed(app)

    def call(path, body=None, token=None):
        request = urllib.request.Request(
            f"{live_server}{path}",
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json"}
            | ({"Authorization": f"Bearer {token}"} if token else {}),
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def access(name):
        body = {"email": f"{name}@{demo.DOMAIN}", "password": demo.PASSWORD}
        return call("/api/accounts/auth/signin/", body)["token"]["access"]

    bekzod, jasur = access("bekzod"), access("jasur")
    [group] = [r for r in call("/api/chat/rooms/", token=bekzod) if r["room_type"] == "group"]
    socket_url = live_server.replace("http", "ws", 1) + "/ws/chat/?token="
    sender = websocket.create_connection(socket_url + bekzod, timeout=10)
    listener = websocket.create_connection(socket_url + jasur, timeout=10)
    try:
        frame = {"type": "chat_message", "room_id": group["id"], "message": "Salom!"}
        sender.send(json.dumps(frame))
        received = json.loads(listener.recv())
        acknowledged = json.loads(sender.recv())
    finally:
        sender.close()
        listener.close()
    assert received["type"] == "chat_message"
    assert received["message"]["text"] == "Salom!"
    assert received["message"]["sender"]["username"] == "bekzod"
    assert acknowledged == received

"""Images whose decoding would cost far more than their bytes: refused from their headers
on every image route, before any pixel is decoded; what is accepted is computed off the
event loop (the live tests: other requests keep answering meanwhile)."""

import io
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import run_wsgi
from tests.support.animated import sparse_gif
from tests.trust.live import call, multipart
from tests.trust.test_upload_abuse import (
    IMAGE_ROUTES,
    assert_refused,
    files_under,
    stored_url,
    upload,
)
from uzbekhub.common.media import MAX_IMAGE_FRAMES

ROUTES = list(IMAGE_ROUTES)


@pytest.fixture
def disk(app):
    root = Path(app.config["MEDIA_ROOT"])
    return lambda: files_under(root)


@pytest.mark.parametrize("route", ROUTES)
def test_eighty_frames_of_2000_by_2000_are_refused_on_every_route(client, alice, disk, route):
    before = disk()
    response = upload(client, alice, route, sparse_gif(80, 2000, 2000), "party.gif")
    assert_refused(response, 400, IMAGE_ROUTES[route][2])
    assert "too many pixels" in str(response.get_json()["details"])
    assert disk() == before


@pytest.mark.parametrize("route", ROUTES)
def test_too_many_tiny_frames_are_refused_on_every_route(client, alice, disk, route):
    before = disk()
    response = upload(client, alice, route, sparse_gif(MAX_IMAGE_FRAMES + 1, 4, 4), "many.gif")
    assert_refused(response, 400, IMAGE_ROUTES[route][2])
    assert f"at most {MAX_IMAGE_FRAMES} frames" in str(response.get_json()["details"])
    assert disk() == before


def test_a_million_frames_are_refused_without_walking_them_all(client, alice):
    data = sparse_gif(1_000_000, 4, 4)
    started = time.monotonic()
    response = upload(client, alice, "profile picture", data, "million.gif")
    assert response.status_code == 400
    assert time.monotonic() - started < 2


def test_an_animation_within_the_budget_is_kept_animated(client, alice):
    response = upload(client, alice, "post image", sparse_gif(MAX_IMAGE_FRAMES, 8, 8), "ok.gif")
    assert response.status_code == 201, response.get_data()
    url = stored_url("post image", response.get_json())
    stored = client.get(url[url.index("/media/") :]).get_data()
    assert Image.open(io.BytesIO(stored)).n_frames > 1


# --- the live server: one upload does not stall the others ------------------------------------


COMMENTS = "/api/comments/comment"
# No database: on SQLite under eventlet one connection is handed between requests, so a
# request that holds it while it computes delays others' queries (README, "SQLite under
# eventlet"); what offloading guarantees is that the server itself keeps answering.
NO_DATABASE = "/redoc/"


def slowest_answer_while(base: str, busy: threading.Thread, path: str = COMMENTS) -> float:
    """The longest `GET path` while `busy` runs (at least one)."""
    slowest = 0.0
    busy.start()
    while True:
        started = time.monotonic()
        status, _ = call("GET", f"{base}{path}")
        assert status == 200
        slowest = max(slowest, time.monotonic() - started)
        if not busy.is_alive():
            return slowest
        time.sleep(0.02)


def usual_answer(base: str, path: str = COMMENTS) -> float:
    times = []
    for _ in range(5):
        started = time.monotonic()
        call("GET", f"{base}{path}")
        times.append(time.monotonic() - started)
    return max(times)


def upload_in_thread(base: str, account, data: bytes, answers: list) -> threading.Thread:
    body, content_type = multipart({}, {"profile_picture": ("party.gif", data)})

    def run():
        status, _ = call(
            "PATCH",
            f"{base}/api/accounts/account/profile/",
            headers=account.headers,
            raw=body,
            content_type=content_type,
            timeout=120,
        )
        answers.append(status)

    return threading.Thread(target=run)


@pytest.mark.parametrize(
    ("frames", "status", "path"),
    [(80, 400, COMMENTS), (9, 200, NO_DATABASE)],
    ids=["80 frames of 2000x2000 (refused)", "9 frames of 2000x2000 (accepted)"],
)
def test_an_animated_upload_does_not_delay_other_requests(live_server, alice, frames, status, path):
    baseline = usual_answer(live_server, path)
    answers: list[int] = []
    busy = upload_in_thread(live_server, alice, sparse_gif(frames, 2000, 2000), answers)
    slowest = slowest_answer_while(live_server, busy, path)
    busy.join()
    assert answers == [status]
    assert slowest < baseline + 0.5, (slowest, baseline)


def test_password_hashing_does_not_delay_other_requests(app_overrides, test_paths, mail_catcher):
    with run_wsgi(
        app_overrides,
        test_paths,
        mail_catcher,
        PASSWORD_HASH_TIME_COST="6",
        PASSWORD_HASH_MEMORY_KIB="131072",
    ) as server:
        hash_while_others_ask(server)


def hash_while_others_ask(server) -> None:
    baseline = usual_answer(server.url, NO_DATABASE)
    answers: list = []

    def sign_in():
        for i in range(3):
            answers.append(
                call(
                    "POST",
                    f"{server.url}/api/accounts/auth/signin/",
                    {"email": f"nobody{i}@example.com", "password": "whatever-42"},
                )[0]
            )

    busy = threading.Thread(target=sign_in)
    slowest = slowest_answer_while(server.url, busy, NO_DATABASE)
    busy.join()
    assert len(answers) == 3 and all(a in (400, 401) for a in answers), answers
    assert slowest < baseline + 0.5, (slowest, baseline)

"""Uniqueness holds under concurrent requests to the real server (`python wsgi.py`)."""

import json
import threading
import urllib.error
import urllib.request

import pytest

from tests.support.posts import LIKE, VIEWS, count_rows
from uzbekhub.posts.models import PostLike, PostView

CALLERS = 20


def post_json(url: str, body: dict, headers: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={**headers, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize(
    "path, model, duplicate",
    [
        (LIKE, PostLike, "You have already liked this post."),
        (VIEWS, PostView, "You have already viewed this post."),
    ],
    ids=["like", "view"],
)
def test_concurrent_identical_requests_make_one_row_and_400s(
    app, live_server, alice, bob, make_post, path, model, duplicate
):
    post_id = make_post(alice)
    start = threading.Barrier(CALLERS)
    answers: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def call():
        start.wait()
        answer = post_json(f"{live_server}{path}", {"post": post_id}, bob.headers)
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=call) for _ in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] + [400] * (CALLERS - 1), answers
    for status, body in answers:
        if status == 400:
            assert body["error"] == "Invalid request data"
            assert body["details"] == {"non_field_errors": [duplicate]}
    assert count_rows(app, model) == 1

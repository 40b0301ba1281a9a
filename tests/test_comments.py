"""The public comments app (spec: Notifications API, /api/comments/comment)."""

import pytest

from tests.support.answers import field_errors

URLS = ["/api/comments/comment", "/api/comments/comment/"]
URL = URLS[0]


@pytest.mark.parametrize("url", URLS)
def test_anyone_comments_without_an_account_at_either_url(client, url):
    response = client.post(url, json={"content": "This is a new comment"})
    assert response.status_code == 201
    body = response.get_json()
    assert list(body) == ["id", "content", "created_at"]
    assert body["content"] == "This is a new comment"
    assert isinstance(body["id"], int)
    assert body["created_at"].endswith("Z")


@pytest.mark.parametrize("url", URLS)
def test_the_list_answers_at_either_url_without_a_redirect(client, url):
    client.post(URL, json={"content": "hello"})
    response = client.get(url)
    assert response.status_code == 200
    assert "Location" not in response.headers
    assert [item["content"] for item in response.get_json()] == ["hello"]


def test_an_account_is_not_needed_and_a_token_does_no_harm(client, alice):
    assert client.get(URL).status_code == 200
    assert client.post(URL, json={"content": "hi"}, headers=alice.headers).status_code == 201


def test_comments_are_listed_newest_first_and_bounded(client):
    ids = [client.post(URL, json={"content": f"c{n}"}).get_json()["id"] for n in range(5)]
    response = client.get(URL)
    assert [item["id"] for item in response.get_json()] == ids[::-1]
    assert response.headers["X-Total-Count"] == "5"
    assert "Link" not in response.headers

    page = client.get(f"{URL}?limit=2&offset=2")
    assert [item["id"] for item in page.get_json()] == ids[::-1][2:4]
    assert 'rel="next"' in page.headers["Link"]
    assert 'rel="prev"' in page.headers["Link"]
    assert "limit" in field_errors(client.get(f"{URL}?limit=0"))


@pytest.mark.parametrize(
    "body",
    [{}, {"content": ""}, {"content": "   \n "}, {"content": "x" * 601}, {"content": 5}],
    ids=["missing", "empty", "blank", "601-chars", "not-a-string"],
)
def test_bad_content_is_400(client, body):
    response = client.post(URL, json=body)
    assert response.status_code == 400
    assert "content" in field_errors(response)
    assert client.get(URL).get_json() == []


def test_600_characters_are_accepted(client):
    response = client.post(URL, json={"content": "ж" * 600})
    assert response.status_code == 201
    assert len(response.get_json()["content"]) == 600


def test_unknown_fields_are_400(client):
    response = client.post(URL, json={"content": "hi", "id": 7})
    assert "id" in field_errors(response)


def test_a_flood_of_comments_is_throttled(app, client, throttled):
    limit = int(app.config["THROTTLE_COMMENTS"].split("/")[0])
    for n in range(limit):
        assert client.post(URL, json={"content": f"spam {n}"}).status_code == 201
    response = client.post(URL, json={"content": "one more"})
    assert response.status_code == 429
    body = response.get_json()
    assert body["message"] == "Request was throttled"
    assert body["wait_seconds"] >= 1
    assert int(response.headers["Retry-After"]) >= 1
    # The trailing-slash URL shares the budget, and reading is not throttled.
    assert client.post(URLS[1], json={"content": "sneaky"}).status_code == 429
    assert client.get(URL).status_code == 200
    assert len(client.get(URL).get_json()) == limit


def test_the_openapi_document_names_the_spec_url(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    assert set(paths["/api/comments/comment"]) >= {"get", "post"}
    assert "/api/comments/comment/" not in paths

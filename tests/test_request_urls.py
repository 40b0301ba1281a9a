"""The URLs an answer builds from its request (media URLs, page links) are each request's
own, though they are built once for each host and path (`common.request_urls`)."""

from tests.support.posts import POSTS, make_post
from uzbekhub.common.request_urls import _current_url


def feed_urls(client, account, host: str) -> tuple[str, str]:
    answer = client.get(f"{POSTS}?page_size=1", headers=account.headers, base_url=f"http://{host}/")
    assert answer.status_code == 200, answer.get_json()
    page = answer.get_json()
    return page["next"], page["results"][0]["images"][0]["image"]


def test_page_links_and_media_urls_follow_each_requests_host(app, client, alice, bob):
    make_post(app, bob, "older")
    make_post(app, bob, "with an image", images=1)
    made_up = feed_urls(client, alice, "attacker.example")
    assert all(url.startswith("http://attacker.example/") for url in made_up), made_up
    own = feed_urls(client, alice, "uzbekhub.example")
    assert own[0] == f"http://uzbekhub.example{POSTS}?page_size=1&page=2"
    assert own[1].startswith("http://uzbekhub.example/media/"), own


def test_a_hosts_and_paths_urls_are_built_once(app, client, alice, bob):
    make_post(app, bob, "older")
    make_post(app, bob, "with an image", images=1)
    feed_urls(client, alice, "once.example")
    built = _current_url.cache_info()
    assert feed_urls(client, alice, "once.example") == feed_urls(client, alice, "once.example")
    again = _current_url.cache_info()
    assert again.misses == built.misses
    assert again.hits >= built.hits + 4  # host_url and base_url, twice

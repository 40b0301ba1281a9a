"""What SECURITY.md says of private accounts, checked from a stranger's side: their profile
and posts are hidden, while their comments and likes under someone else's public post are
public with that post (as on Instagram)."""

from tests.accounts.helpers import update_user

POSTS = "/api/posts/post/"


def test_a_private_accounts_comment_and_like_on_a_public_post_are_public(
    app, client, alice, bob, make_account
):
    stranger = make_account()
    update_user(app, alice, is_private=True)
    post = client.post(POSTS, json={"content": "Open to all"}, headers=bob.headers).get_json()
    client.post(
        "/api/posts/comment/", json={"post": post["id"], "comment": "Hi"}, headers=alice.headers
    )
    client.post("/api/posts/like/", json={"post": post["id"]}, headers=alice.headers)
    comments = client.get(f"/api/posts/{post['id']}/comments/", headers=stranger.headers)
    likes = client.get(f"/api/posts/{post['id']}/likes/", headers=stranger.headers)
    assert alice.username in comments.get_data(as_text=True)
    assert alice.username in likes.get_data(as_text=True)


def test_a_private_accounts_own_posts_stay_hidden_from_strangers(app, client, alice, make_account):
    stranger = make_account()
    update_user(app, alice, is_private=True)
    post = client.post(POSTS, json={"content": "Mine"}, headers=alice.headers).get_json()
    assert client.get(f"{POSTS}{post['id']}/", headers=stranger.headers).status_code == 404

"""Posts for tests: URLs, posts made through the API or straight in the database, and where
their images are stored."""

import io
import uuid
from datetime import datetime

from sqlalchemy import select

from tests.support.factories import Account
from tests.support.images import png
from tests.support.media import stored_names
from uzbekhub.common.db import new_uuid
from uzbekhub.extensions import db
from uzbekhub.posts.models import Post, PostComment, PostImage, PostLike, PostView

POSTS = "/api/posts/post/"
MYPOSTS = "/api/posts/post/myposts/"
LIKE = "/api/posts/like/"
COMMENT = "/api/posts/comment/"
VIEWS = "/api/posts/views/"


def post_url(post_id) -> str:
    return f"{POSTS}{post_id}/"


def image_part(data: bytes | None = None, name: str = "photo.png"):
    """A multipart file part for the test client."""
    return (io.BytesIO(data if data is not None else png()), name)


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def create_post(client, account: Account, content="Hello", images=0, **extra):
    """Create a post through the API (multipart); returns the response."""
    data = {"images": [image_part() for _ in range(images)], **extra}
    if content is not None:
        data["content"] = content
    return client.post(
        POSTS, data=data, headers=account.headers, content_type="multipart/form-data"
    )


def new_post(client, account: Account, content="Hello") -> str:
    """A text post through the API (JSON); returns its id."""
    response = client.post(POSTS, json={"content": content}, headers=account.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def like(client, account: Account, post_id: str) -> str:
    response = client.post(LIKE, json={"post": post_id}, headers=account.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def unlike(client, account: Account, like_id: str) -> None:
    response = client.delete(f"{LIKE}{like_id}/", headers=account.headers)
    assert response.status_code == 204, response.get_json()


def comment(client, account: Account, post_id: str, text="Nice", reply_to=None) -> str:
    body = {"post": post_id, "comment": text, "reply_to": reply_to}
    response = client.post(COMMENT, json=body, headers=account.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def make_post(
    app,
    owner: Account,
    content="A post",
    *,
    images=0,
    likers=(),
    commenters=(),
    viewers=(),
    **fields,
) -> str:
    """A post made straight in the database, with optional images, likes, comments, views."""
    with app.app_context():
        post = Post(id=new_uuid(), owner_id=owner.id, content=content, **fields)
        post.images = [
            PostImage(id=new_uuid(), image=f"posts/images/fake-{uuid.uuid4().hex}.png", position=i)
            for i in range(images)
        ]
        db.session.add(post)
        db.session.flush()
        for user in likers:
            db.session.add(PostLike(id=new_uuid(), owner_id=user.id, post_id=post.id))
        for user in commenters:
            db.session.add(
                PostComment(id=new_uuid(), owner_id=user.id, post_id=post.id, comment="Nice")
            )
        for user in viewers:
            db.session.add(PostView(id=new_uuid(), owner_id=user.id, post_id=post.id))
        db.session.commit()
        return str(post.id)


def stored_images(app) -> set[str]:
    """The names of the stored post images, on whichever storage the app uses."""
    return stored_names(app, "posts/images")


def count_rows(app, model) -> int:
    with app.app_context():
        return len(db.session.scalars(select(model.id)).all())

from sqlalchemy import Select, select

from uzbekhub.comments.models import PublicComment
from uzbekhub.extensions import db


def newest_comments() -> Select:
    return select(PublicComment).order_by(PublicComment.created_at.desc(), PublicComment.id.desc())


def create_comment(content: str) -> PublicComment:
    comment = PublicComment(content=content)
    db.session.add(comment)
    db.session.commit()
    return comment

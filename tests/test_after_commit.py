"""What a transaction gathers to announce (`gathered_until_commit`) reaches its receiver once,
after the commit, and never after a rollback."""

from sqlalchemy import text

from uzbekhub.common.db import gathered_until_commit
from uzbekhub.extensions import db


def gather(received: list, item: str) -> None:
    gathered_until_commit(db.session(), "test_items", list, received.append).append(item)


def test_what_a_transaction_gathers_arrives_once_after_its_commit(app):
    received = []
    with app.app_context():
        gather(received, "a")
        db.session.execute(text("SELECT 1"))
        gather(received, "b")
        assert received == []
        db.session.commit()
        assert received == [["a", "b"]]
        gather(received, "c")
        db.session.commit()
    assert received == [["a", "b"], ["c"]]


def test_a_rollback_drops_what_was_gathered(app):
    received = []
    with app.app_context():
        gather(received, "lost")
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        db.session.commit()
        gather(received, "kept")
        db.session.commit()
    assert received == [["kept"]]


def test_a_savepoints_commit_is_not_the_transactions(app):
    """SQLAlchemy signals a savepoint's commit (a unique check inside a request) as a commit too:
    what was gathered before it waits for the outermost commit, since all may still roll back."""
    received = []
    with app.app_context():
        gather(received, "before the savepoint")
        with db.session.begin_nested():
            db.session.execute(text("SELECT 1"))
        assert received == []
        db.session.rollback()
        gather(received, "kept")
        with db.session.begin_nested():
            db.session.execute(text("SELECT 1"))
        db.session.commit()
    assert received == [["kept"]]

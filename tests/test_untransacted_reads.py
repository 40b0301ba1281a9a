"""The hot reads run outside a transaction (`common.reads.untransacted`): on PostgreSQL no
BEGIN before their statements and no ROLLBACK after; the pooled connection they used is
back in transactions for whoever takes it next; a request that reads and writes keeps its
writes in one transaction; the reads run statements prepared on their connection; a read
on a connection PostgreSQL dropped is still answered (and prepares its statements again);
on a green connection (as under `python wsgi.py`) the read makes no round trip but its
statements."""

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from psycopg2.extensions import set_wait_callback
from psycopg2.extras import wait_select
from sqlalchemy import select, text

from tests.accounts.helpers import nearby_url, search_url, set_location
from tests.support.chat import HISTORY, create_group, send
from tests.support.database import drop_connections
from tests.support.posts import LIKE, POSTS, make_post
from uzbekhub.common.reads import named_rows, untransacted
from uzbekhub.extensions import db
from uzbekhub.posts.feed import feed_page
from uzbekhub.posts.models import Post

ON_POSTGRES = (os.environ.get("DATABASE_URL") or "").startswith("postgres")
needs_postgres = pytest.mark.skipif(not ON_POSTGRES, reason="what psycopg2 sends PostgreSQL")
TRANSACTION_WORDS = {"BEGIN", "COMMIT", "ROLLBACK"}
FEED_ARGS = {"page": 1, "page_size": 10}


@pytest.fixture
def hot_reads(app, client, alice, bob, make_account) -> dict[str, str]:
    """Each hot read's path, with something to answer (alice calls them all)."""
    make_post(app, bob, "with an image", images=1)
    room = create_group(client, alice, [bob], name="Reads")
    send(app, alice, room, "hello")
    set_location(app, alice, 41.30, 69.24)
    set_location(app, make_account(first_name="Near"), 41.31, 69.25)
    return {
        "feed": POSTS,
        "history": HISTORY.format(room),
        "search": search_url("near"),
        "nearby": nearby_url(10),
    }


@needs_postgres
@pytest.mark.parametrize("read", ["feed", "history", "search", "nearby"])
def test_a_hot_read_sends_no_begin_and_no_rollback(client, alice, hot_reads, round_trips, read):
    client.get(hot_reads[read], headers=alice.headers)  # the token's user state is cached
    with round_trips() as sent:
        answer = client.get(hot_reads[read], headers=alice.headers)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()
    assert sent, "no statement reached PostgreSQL"
    assert TRANSACTION_WORDS.isdisjoint(sent), sent


@needs_postgres
@pytest.mark.parametrize("read", ["feed", "history", "search", "nearby"])
def test_a_hot_read_runs_statements_its_connection_prepared(
    app, client, alice, hot_reads, round_trips, read
):
    """PostgreSQL plans a statement sent as text every time it comes; a prepared one is
    planned at most once per connection when a generic plan does as well. The statement is
    prepared in the round trip of its first use, so the request costs no more round trips."""
    with app.app_context():
        db.engine.dispose()  # one connection, which has prepared nothing yet
    client.get(hot_reads["feed" if read != "feed" else "history"], headers=alice.headers)
    answers = []
    with round_trips() as first:
        answers.append(client.get(hot_reads[read], headers=alice.headers))
    with round_trips() as then:
        answers.append(client.get(hot_reads[read], headers=alice.headers))
    assert [answer.status_code for answer in answers] == [200, 200], answers[0].get_json()
    assert answers[0].get_json() == answers[1].get_json()
    assert first and all(
        re.fullmatch(r"PREPARE (uzbekhub_read_\d+) AS .+; EXECUTE \1\b.*", text, re.S)
        for text in first
    ), first
    assert len(then) == len(first), then
    assert all(text.startswith("EXECUTE uzbekhub_read_") for text in then), then


@needs_postgres
@pytest.mark.parametrize("read", ["feed", "history", "search", "nearby"])
def test_a_hot_read_is_planned_once_per_connection(app, client, alice, hot_reads, read):
    """Left to choose, PostgreSQL plans a prepared statement anew at each of its first five
    executions, and kept doing so for the feed; its statements use one generic plan."""
    with app.app_context():
        db.engine.dispose()  # one connection: the statements below run on it
    for _ in range(3):
        answer = client.get(hot_reads[read], headers=alice.headers)
        assert answer.status_code == 200, answer.get_json()
    with app.app_context(), db.engine.connect() as connection:
        plans = connection.execute(
            text(
                "SELECT name, generic_plans, custom_plans FROM pg_prepared_statements"
                " WHERE name LIKE 'uzbekhub_read_%'"
            )
        ).all()
    assert plans, "the read prepared no statement"
    assert all(custom == 0 and generic >= 1 for _, generic, custom in plans), plans
    assert max(generic for _, generic, _ in plans) == 3, plans


@needs_postgres
def test_after_hot_reads_the_pooled_connections_are_transactional_again(
    app, client, alice, bob, hot_reads, round_trips
):
    for path in hot_reads.values():
        client.get(path, headers=alice.headers)
    with app.app_context():
        pool = db.engine.pool
        connections = [db.engine.connect() for _ in range(pool.checkedin())]
        try:
            assert connections
            assert not any(c.connection.dbapi_connection.autocommit for c in connections)
        finally:
            for connection in connections:
                connection.close()

    post_id = make_post(app, bob, "to like")
    with round_trips() as sent:
        answer = client.post(LIKE, json={"post": post_id}, headers=alice.headers)
    assert answer.status_code == 201, answer.get_json()
    insert = next(i for i, text in enumerate(sent) if text.startswith("INSERT INTO post_likes"))
    assert "BEGIN" in sent[:insert] and "COMMIT" in sent[insert:], sent


def test_a_request_that_reads_then_writes_keeps_its_writes_in_one_transaction(app, alice):
    with app.test_request_context():
        assert feed_page(alice.id, None, FEED_ARGS)["count"] == 0
        db.session.add(Post(owner_id=alice.id, content="never committed"))
        db.session.flush()
        db.session.rollback()
        assert db.session.scalar(select(Post.id)) is None


def test_a_read_inside_a_transaction_sees_its_uncommitted_writes(app, alice):
    with app.test_request_context():
        db.session.add(Post(owner_id=alice.id, content="not yet committed"))
        db.session.flush()
        with untransacted() as reader:
            assert reader is db.session()
        page = feed_page(alice.id, None, FEED_ARGS)
        assert [post["content"] for post in page["results"]] == ["not yet committed"]
        db.session.rollback()


@needs_postgres
@pytest.mark.parametrize(
    "first", ["feed", "history"], ids=["its statement prepared", "its statement not prepared"]
)
@pytest.mark.usefixtures("busy_pool")
def test_a_hot_read_on_a_connection_the_database_dropped_is_answered(
    app, client, alice, hot_reads, database_url, first
):
    """The pool holds one connection, on which the feed's statement was prepared or not:
    its first use after the drop is the EXECUTE or the PREPARE."""
    with app.app_context():
        db.engine.dispose()
    assert client.get(hot_reads[first], headers=alice.headers).status_code == 200
    assert drop_connections(database_url) >= 1
    answer = client.get(hot_reads["feed"], headers=alice.headers)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["count"] == 1


@contextmanager
def green_round_trips() -> Iterator[list[int]]:
    """Each round trip psycopg2 makes while a wait callback is set, as psycogreen sets one
    under `python wsgi.py`: psycopg2 then runs every operation asynchronously and waits
    through the callback once per operation, its own `SET`s included, which no SQLAlchemy
    event shows."""
    waits: list[int] = []

    def counting_wait(connection) -> None:
        waits.append(1)
        wait_select(connection)

    set_wait_callback(counting_wait)
    try:
        yield waits
    finally:
        set_wait_callback(None)


@needs_postgres
@pytest.mark.parametrize("read", ["feed", "history", "search", "nearby"])
def test_a_hot_read_on_a_green_connection_makes_only_its_statements_round_trips(
    app, client, alice, hot_reads, round_trips, read
):
    with app.app_context():
        db.engine.dispose()  # connections opened in green mode, as a server's are
    try:
        with green_round_trips() as waits:
            client.get(hot_reads[read], headers=alice.headers)  # connected, token state cached
            waits.clear()
            with round_trips() as sent:
                answer = client.get(hot_reads[read], headers=alice.headers)
        assert answer.status_code == 200, answer.get_json()
        assert sent
        assert len(waits) == len(sent), sent
    finally:
        with app.app_context():
            db.engine.dispose()


def test_named_rows_answer_each_column_by_its_name_and_position(app, alice, bob):
    make_post(app, bob, "first")
    make_post(app, alice, "second")
    statement = select(Post.content, Post.owner_id.label("owner")).order_by(Post.content)
    with app.app_context():
        rows = db.session.execute(statement).all()
        named = named_rows(db.session.execute(statement))
    assert [tuple(row) for row in named] == [tuple(row) for row in rows]
    assert [(row.content, row.owner) for row in named] == [("first", bob.id), ("second", alice.id)]

"""How chat history scales: one room with a million messages on PostgreSQL.

History pages answer `count` on every request (the spec's limit/offset envelope),
so `count` must stay fast for a big room. Rooms keep `message_count` up to date
in the transactions that add and remove messages, so a page reads one integer
instead of counting rows. This fills one room with N messages (and a neighbour
room with N/10, so the table is not one room), then times the real endpoint's
first page and a deep page, and, for comparison, the `count(*)` the counter saves.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/<scratch db> \
        .venv/bin/python bench/chat_history.py [--messages 1000000] [--runs 15]

It creates the tables if they are missing and removes every row it added at the
end. Do not point it at a database whose tables you need untouched while it runs.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

from flask_migrate import upgrade

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete, text  # noqa: E402

from tests.support.factories import make_account  # noqa: E402
from uzbekhub import create_app  # noqa: E402
from uzbekhub.accounts.models import User  # noqa: E402
from uzbekhub.chat.models import GROUP, OWNER, Message, Room, RoomMember  # noqa: E402
from uzbekhub.extensions import db, limiter  # noqa: E402

HISTORY_PAGE = (
    "SELECT * FROM chat_messages WHERE room_id = :r ORDER BY created_at DESC, id DESC LIMIT 50"
)


def timed(fn, runs: int) -> tuple[float, float]:
    """Median and worst wall time in milliseconds over `runs` calls (after one warm-up)."""
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), max(samples)


def fill(room_id: uuid.UUID, sender_id: int, count: int) -> None:
    db.session.execute(
        text(
            """
            INSERT INTO chat_messages
                (id, room_id, sender_id, text, is_edited, created_at, update_at)
            SELECT gen_random_uuid(), :room, :sender, 'message ' || n, false,
                   now() - make_interval(secs => :count - n),
                   now() - make_interval(secs => :count - n)
            FROM generate_series(1, :count) AS n
            """
        ),
        {"room": room_id, "sender": sender_id, "count": count},
    )
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (this measures PostgreSQL).")

    app = create_app({"ASYNC_MODE": "threading", "LOG_LEVEL": "WARNING"})
    limiter.enabled = False
    with app.app_context():
        # The schema as production has it: through the Alembic migrations.
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    owner = make_account(app, f"bench-{uuid.uuid4().hex[:8]}@example.com")
    room_id, neighbour_id = uuid.uuid4(), uuid.uuid4()
    with app.app_context():
        for room, size in ((room_id, args.messages), (neighbour_id, args.messages // 10)):
            db.session.add(Room(id=room, room_type=GROUP, name="Bench", message_count=size))
            db.session.add(RoomMember(room_id=room, user_id=owner.id, role=OWNER))
        db.session.commit()
        started = time.perf_counter()
        fill(room_id, owner.id, args.messages)
        fill(neighbour_id, owner.id, args.messages // 10)
        print(
            f"inserted {args.messages * 1.1:,.0f} messages in {time.perf_counter() - started:.1f} s"
        )

    client = app.test_client()
    history = f"/api/chat/message/{room_id}/list_by_room/"

    def page(query: str):
        def call():
            response = client.get(history + query, headers=owner.headers)
            assert response.status_code == 200, response.get_json()

        return call

    def count_statement():
        with app.app_context():
            db.session.scalar(
                text("SELECT count(*) FROM chat_messages WHERE room_id = :r"), {"r": room_id}
            )

    def report(label: str) -> None:
        print(f"\n{label}")
        for name, fn in [
            ("GET first page (limit 50)", page("")),
            (
                f"GET page at offset {args.messages // 2:,}",
                page(f"?limit=50&offset={args.messages // 2}"),
            ),
            ("count(*), which the counter saves", count_statement),
        ]:
            median, worst = timed(fn, args.runs)
            print(f"  {name:<36} median {median:8.1f} ms   worst {worst:8.1f} ms")
        with app.app_context():
            plan = db.session.execute(
                text(f"EXPLAIN ANALYZE {HISTORY_PAGE}"), {"r": room_id}
            ).scalars()
            print("  first page plan: " + "\n                   ".join(plan))

    try:
        with app.app_context(), db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("ANALYZE chat_messages")
            )
        report("after ANALYZE (a freshly filled table: heap pages not yet all-visible)")
        with app.app_context(), db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE chat_messages")
            )
        report("after VACUUM (the steady state autovacuum keeps: index-only scans)")
    finally:
        with app.app_context():
            rooms = (room_id, neighbour_id)
            db.session.execute(delete(Message).where(Message.room_id.in_(rooms)))
            db.session.execute(delete(RoomMember).where(RoomMember.room_id.in_(rooms)))
            db.session.execute(delete(Room).where(Room.id.in_(rooms)))
            db.session.execute(delete(User).where(User.id == owner.id))
            db.session.commit()


if __name__ == "__main__":
    main()

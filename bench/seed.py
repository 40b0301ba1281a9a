"""Fill a database with the benchmark workload (issue 9), deterministically and fast.

    .venv/bin/python bench/seed.py                      # the workload, on $DATABASE_URL
    .venv/bin/python bench/seed.py --users 100000 --posts 0 --out bench/out/scale.json

The database is emptied and migrated first (Alembic, as in production), then filled
with bulk inserts: COPY on PostgreSQL, executemany on SQLite. Every row comes from
one `random.Random(SEED)`, so two seeds of the same size are identical. All users
share one password hash, computed once. The tokens and ids the runner needs are
written to a JSON file.

The chat part is one group room with 50 members and 100,000 messages, one a minute.
"""

import argparse
import io
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SEED = 20260109
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench"
DEFAULT_OUT = ROOT / "bench" / "out" / "seed.json"
PASSWORD = "bench-password-42"
# Everything is dated before this moment, so the data never depends on the clock.
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
TOKEN_DAYS = 30
BATCH = 20_000

FIRST_NAMES = (
    "Aziz", "Dilshod", "Jasur", "Sardor", "Otabek", "Javlon", "Sherzod", "Ulugbek", "Farrukh",
    "Rustam", "Timur", "Anvar", "Nodir", "Shahzod", "Islom", "Malika", "Dilnoza", "Nigora",
    "Madina", "Gulnora", "Zarina", "Kamola", "Sevara", "Nilufar", "Shahnoza", "Feruza", "Lola",
)  # fmt: skip
LAST_NAMES = (
    "Karimov", "Rahimov", "Yusupov", "Tursunov", "Aliyev", "Ismoilov", "Saidov", "Nazarov",
    "Qodirov", "Ergashev", "Xolmatov", "Sobirov", "Umarov", "Hamidov", "Jurayev", "Mirzayev",
    "Karimova", "Rahimova", "Yusupova", "Tursunova", "Aliyeva", "Saidova", "Nazarova",
)  # fmt: skip
SEARCH_NAME = "Bekzod"
WORDS = (
    "salom", "bugun", "Toshkent", "Samarqand", "Buxoro", "choy", "osh", "non", "kitob", "yoz",
    "qish", "bahor", "kuz", "do'stlar", "oila", "ish", "sport", "futbol", "musiqa", "kino",
    "tog'", "daryo", "bozor", "sayohat", "rasm", "yangilik", "ta'lim", "dastur", "kod", "server",
)  # fmt: skip


@dataclass(frozen=True)
class Workload:
    """The fixed workload of issue 9; other sizes are for the scale runs."""

    users: int = 10_000
    private: int = 2_000
    search_every: int = 80
    lat: tuple[float, float] = (37.2, 45.6)
    long: tuple[float, float] = (56.0, 73.1)
    posts: int = 100_000
    image_share: float = 0.2
    likes: int = 300_000
    comments: int = 100_000
    views: int = 200_000
    room_members: int = 50
    messages: int = 100_000

    def scaled(self, users: int, posts: int, chat: bool = True) -> "Workload":
        """Another size with the same shape: privacy share and entries per post kept."""
        per_post = posts / self.posts
        return Workload(
            users=users,
            private=users * self.private // self.users,
            posts=posts,
            likes=int(self.likes * per_post),
            comments=int(self.comments * per_post),
            views=int(self.views * per_post),
            room_members=min(self.room_members, users) if chat else 0,
            messages=self.messages if chat else 0,
        )


@dataclass
class Seeded:
    """What the runner needs, written to the JSON file."""

    workload: dict
    database: str
    caller: dict = field(default_factory=dict)
    liker: dict = field(default_factory=dict)
    member: dict = field(default_factory=dict)
    like_targets: list[str] = field(default_factory=list)
    chat: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)


# --- bulk writing ------------------------------------------------------------------------------


def _copy_text(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class Writer:
    """Bulk inserts through one connection: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self, connection):
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        self.counts: dict[str, int] = {}
        if self.postgres:
            from sqlalchemy import text

            # The rows are consistent by construction: skip the per-row foreign-key triggers.
            connection.execute(text("SET LOCAL session_replication_role = replica"))

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
        batch: list[Sequence] = []
        written = 0
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                written += self._write(table, columns, batch)
                batch = []
        if batch:
            written += self._write(table, columns, batch)
        self.counts[table] = self.counts.get(table, 0) + written
        return written

    def _write(self, table: str, columns: Sequence[str], rows: list[Sequence]) -> int:
        if self.postgres:
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join(_copy_text(v) for v in row))
                buffer.write("\n")
            buffer.seek(0)
            names = ", ".join(f'"{c}"' for c in columns)
            cursor = self.connection.connection.dbapi_connection.cursor()
            cursor.copy_expert(f'COPY "{table}" ({names}) FROM STDIN', buffer)
            cursor.close()
        else:
            from uzbekhub.extensions import db

            # The models' column types turn UUIDs and aware datetimes into SQLite's values.
            self.connection.execute(
                db.metadata.tables[table].insert(),
                [dict(zip(columns, row, strict=True)) for row in rows],
            )
        return len(rows)

    def reset_sequence(self, table: str, column: str = "id") -> None:
        if not self.postgres:
            return
        from sqlalchemy import text

        self.connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                f'coalesce((SELECT max("{column}") FROM "{table}"), 1))'
            )
        )


# --- the parts of the workload -----------------------------------------------------------------


@dataclass
class Context:
    workload: Workload
    rng: random.Random
    writer: Writer
    password_hash: str
    seeded: Seeded
    user_ids: list[int] = field(default_factory=list)
    private_ids: set[int] = field(default_factory=set)
    post_ids: list[uuid.UUID] = field(default_factory=list)
    post_owner: list[int] = field(default_factory=list)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _sentence(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high))).capitalize() + "."


class Texts:
    """Texts of 1-`high` words, drawn from a fixed pool (writing each anew is the slow part)."""

    def __init__(self, rng: random.Random, low: int, high: int, size: int = 4096):
        self.rng = rng
        self.pool = [_sentence(rng, low, high) for _ in range(size)]

    def __call__(self) -> str:
        return self.pool[self.rng.getrandbits(12)]


def _unique_pairs(rng: random.Random, count: int, posts: int, users: int) -> list[tuple[int, int]]:
    """`count` distinct (post index, user index) pairs, in generation order."""
    seen: set[tuple[int, int]] = set()
    pairs = []
    while len(pairs) < count:
        pair = (rng.randrange(posts), rng.randrange(users))
        if pair not in seen:
            seen.add(pair)
            pairs.append(pair)
    return pairs


def seed_users(ctx: Context) -> None:
    """Active users, a share of them private, each with a location; every 80th is a Bekzod."""
    w, rng = ctx.workload, ctx.rng
    ids = list(range(1, w.users + 1))
    ctx.user_ids = ids
    ctx.private_ids = set(rng.sample(ids, w.private))
    joined = EPOCH - timedelta(days=400)

    def users():
        for i in ids:
            first = SEARCH_NAME if i % w.search_every == 0 else rng.choice(FIRST_NAMES)
            yield (
                i,
                f"user{i}@bench.uzbekhub.test",
                ctx.password_hash,
                f"u{i:07d}",
                first,
                rng.choice(LAST_NAMES),
                _sentence(rng, 3, 12),
                None,
                None,
                i in ctx.private_ids,
                True,
                False,
                joined + timedelta(seconds=i),
                None,
                None,
                0,
            )

    columns = (
        "id", "email", "password_hash", "username", "first_name", "last_name", "bio",
        "profile_picture", "phone", "is_private", "is_active", "is_staff", "date_joined",
        "last_login", "last_online", "token_version",
    )  # fmt: skip
    ctx.writer.insert("users", columns, users())
    (lat_low, lat_high), (long_low, long_high) = w.lat, w.long

    def locations():
        for i in ids:
            yield (
                i,
                i,
                round(rng.uniform(lat_low, lat_high), 6),
                round(rng.uniform(long_low, long_high), 6),
                None,
                None,
                None,
                None,
                joined,
                joined,
            )

    columns = (
        "id", "owner_id", "lat", "long", "country", "city", "county", "neighbourhood",
        "created_at", "update_at",
    )  # fmt: skip
    ctx.writer.insert("locations", columns, locations())
    ctx.writer.reset_sequence("users")
    ctx.writer.reset_sequence("locations")

    public = [i for i in ids if i not in ctx.private_ids]
    # The caller of B1/B3/B4 and the liker of B5: ordinary public users.
    ctx.seeded.caller = {"id": public[0]}
    ctx.seeded.liker = {"id": public[1]}


def seed_posts(ctx: Context) -> None:
    """Posts uniform over users over the year before EPOCH, and their images, likes,
    comments and views (likes and views unique per post and user)."""
    w, rng = ctx.workload, ctx.rng
    if w.posts == 0:
        return
    users = len(ctx.user_ids)
    year = 365 * 24 * 3600
    ctx.post_ids = [_uuid(rng) for _ in range(w.posts)]
    ctx.post_owner = [rng.randrange(users) + 1 for _ in range(w.posts)]
    created = [EPOCH - timedelta(seconds=rng.randrange(year)) for _ in range(w.posts)]

    post_texts = Texts(rng, 5, 40)

    def posts():
        for n in range(w.posts):
            content = post_texts()
            yield (ctx.post_ids[n], ctx.post_owner[n], content, True, False, created[n], None)

    columns = ("id", "owner_id", "content", "is_active", "is_edited", "created_at", "updated_at")
    ctx.writer.insert("posts", columns, posts())

    with_image = rng.sample(range(w.posts), int(w.posts * w.image_share))

    def images():
        for n in with_image:
            yield (_uuid(rng), ctx.post_ids[n], f"posts/images/bench-{n}.jpg", 0, created[n])

    columns = ("id", "post_id", "image", "position", "created_at")
    ctx.writer.insert("post_images", columns, images())

    def entries(pairs):
        for post_n, user_n in pairs:
            when = created[post_n] + timedelta(seconds=rng.randrange(3600, 30 * 24 * 3600))
            yield (_uuid(rng), user_n + 1, ctx.post_ids[post_n], min(when, EPOCH))

    columns = ("id", "owner_id", "post_id", "created_at")
    likes = list(entries(_unique_pairs(rng, w.likes, w.posts, users)))
    ctx.writer.insert("post_likes", columns, likes)
    seed_like_notifications(ctx, likes)
    views = _unique_pairs(rng, w.views, w.posts, users)
    ctx.writer.insert("post_views", columns, entries(views))

    comment_texts = Texts(rng, 2, 25)

    def comments():
        for _ in range(w.comments):
            post_n = rng.randrange(w.posts)
            when = created[post_n] + timedelta(seconds=rng.randrange(60, 7 * 24 * 3600))
            text = comment_texts()
            owner = rng.randrange(users) + 1
            yield (_uuid(rng), owner, ctx.post_ids[post_n], text, None, False, when, None)

    columns = (
        "id", "owner_id", "post_id", "comment", "reply_to_id", "is_edited", "created_at",
        "updated_at",
    )  # fmt: skip
    ctx.writer.insert("post_comments", columns, comments())
    # COPY skipped the triggers that keep post_counts and public_post_totals (replica role):
    # count once here, the public totals from the counts.
    from sqlalchemy import text

    from uzbekhub.posts.models import BACKFILL_POST_COUNTS, BACKFILL_PUBLIC_POST_TOTALS

    ctx.writer.connection.execute(text("DELETE FROM post_counts"))
    ctx.writer.connection.execute(text(BACKFILL_POST_COUNTS))
    ctx.writer.connection.execute(text("DELETE FROM public_post_totals"))
    ctx.writer.connection.execute(text(BACKFILL_PUBLIC_POST_TOTALS))

    # B5 likes a different post per request: posts of public owners, which the liker sees.
    liker = ctx.seeded.liker["id"]
    ctx.seeded.like_targets = [
        str(ctx.post_ids[n])
        for n in range(w.posts)
        if ctx.post_owner[n] not in ctx.private_ids and ctx.post_owner[n] != liker
    ]


def seed_like_notifications(ctx: Context, likes: list[tuple]) -> None:
    """The `post_liked` notifications that the seeded likes made: one actor row per like of
    someone else's post, grouped per post (B5 then adds its likes to existing groups, as in
    a live service)."""
    from sqlalchemy import text

    from uzbekhub.notifications.models import BACKFILL_NOTIFICATION_GROUPS

    owner_of = {post_id: ctx.post_owner[n] for n, post_id in enumerate(ctx.post_ids)}

    def actors():
        for _, liker, post_id, when in likes:
            owner = owner_of[post_id]
            if liker != owner:
                yield (owner, "post_liked", f"post:{post_id}", liker, post_id, when)

    columns = ("recipient_id", "type", "target_key", "actor_id", "post_id", "created_at")
    ctx.writer.insert("notification_actors", columns, actors())
    # Written without the triggers that keep the groups (replica role): group once here.
    ctx.writer.connection.execute(text("DELETE FROM notifications"))
    ctx.writer.connection.execute(text(BACKFILL_NOTIFICATION_GROUPS))


def seed_chat(ctx: Context) -> None:
    """One group room: `room_members` public members (the first owns it) and `messages`
    messages, one a minute up to EPOCH, senders uniform over the members."""
    w, rng = ctx.workload, ctx.rng
    if w.room_members == 0:
        return
    public = sorted(set(ctx.user_ids) - ctx.private_ids)
    members = rng.sample(public, w.room_members)
    room_id = _uuid(rng)
    first = EPOCH - timedelta(minutes=w.messages)
    columns = (
        "id", "room_type", "name", "username", "description", "profile_pic",
        "private_low_id", "private_high_id", "message_count", "created_at",
    )  # fmt: skip
    room = (room_id, "group", "Bench room", None, "Where the benchmark talks", None, None,
            None, w.messages, first - timedelta(days=1))  # fmt: skip
    ctx.writer.insert("chat_rooms", columns, [room])

    def memberships():
        for n, user_id in enumerate(members):
            role = "owner" if n == 0 else "member"
            joined = first - timedelta(hours=1) + timedelta(seconds=n)
            yield (n + 1, room_id, user_id, role, joined, EPOCH)

    columns = ("id", "room_id", "user_id", "role", "joined_at", "last_read_at")
    ctx.writer.insert("chat_members", columns, memberships())
    ctx.writer.reset_sequence("chat_members")
    texts = Texts(rng, 1, 20)

    def messages():
        for n in range(w.messages):
            when = first + timedelta(minutes=n + 1)
            sender = members[rng.randrange(len(members))]
            yield (_uuid(rng), room_id, sender, texts(), None, False, when, when)

    columns = (
        "id", "room_id", "sender_id", "text", "reply_to_id", "is_edited", "created_at",
        "update_at",
    )  # fmt: skip
    ctx.writer.insert("chat_messages", columns, messages())
    # B2 reads the history as an ordinary member; B7 connects every member.
    ctx.seeded.chat = {"room": str(room_id), "members": members}
    ctx.seeded.member = {"id": members[1]}


Part = Callable[[Context], None]
PARTS: tuple[tuple[str, Part], ...] = (
    ("users", seed_users),
    ("posts", seed_posts),
    ("chat", seed_chat),
)


# --- orchestration -----------------------------------------------------------------------------


def make_app(database_url: str):
    os.environ.setdefault("ASYNC_MODE", "threading")
    from uzbekhub import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": _normalised(database_url),
            "ASYNC_MODE": "threading",
            "JWT_ACCESS_MINUTES": TOKEN_DAYS * 24 * 60,
            "LOG_LEVEL": "WARNING",
        }
    )


def _normalised(url: str) -> str:
    from config import normalise_database_url

    return normalise_database_url(url)


def empty_and_migrate(app) -> None:
    """Drop everything, then build the schema with the Alembic migrations."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from uzbekhub.extensions import db

    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            db.session.remove()
            engine.dispose()
            path = engine.url.database
            if path and os.path.exists(path):
                os.remove(path)
        upgrade(directory=str(ROOT / "migrations"))
        db.session.remove()
        db.engine.dispose()


def issue_access(app, user_id: int) -> str:
    """An access token for a seeded user (all have token_version 0), valid TOKEN_DAYS."""
    from uzbekhub.accounts.models import User
    from uzbekhub.accounts.tokens import issue_tokens

    with app.app_context():
        return issue_tokens(User(id=user_id, token_version=0))["access"]


def shared_password_hash(app) -> str:
    from uzbekhub.common.security import hash_password

    with app.app_context():
        return hash_password(PASSWORD)


def seed(database_url: str, workload: Workload, out: Path) -> Seeded:
    from sqlalchemy import text

    from uzbekhub.extensions import db

    app = make_app(database_url)
    started = time.perf_counter()
    empty_and_migrate(app)
    seeded = Seeded(workload=asdict(workload), database=database_url)
    seeded.seconds["migrate"] = round(time.perf_counter() - started, 2)
    with app.app_context():
        with db.engine.begin() as conn:
            writer = Writer(conn)
            ctx = Context(
                workload=workload,
                rng=random.Random(SEED),
                writer=writer,
                password_hash=shared_password_hash(app),
                seeded=seeded,
            )
            for name, part in PARTS:
                began = time.perf_counter()
                part(ctx)
                seeded.seconds[name] = round(time.perf_counter() - began, 2)
        began = time.perf_counter()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        seeded.seconds["analyze"] = round(time.perf_counter() - began, 2)
        db.session.remove()
        db.engine.dispose()
    seeded.counts = writer.counts
    for who in (seeded.caller, seeded.liker, seeded.member):
        if who:
            who["token"] = issue_access(app, who["id"])
    seeded.seconds["total"] = round(time.perf_counter() - started, 2)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(asdict(seeded), indent=1))
    return seeded


def main(argv: list[str] | None = None) -> None:
    base = Workload()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_URL)
    parser.add_argument("--users", type=int, default=base.users)
    parser.add_argument("--posts", type=int, default=base.posts)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    workload = base if (args.users, args.posts) == (base.users, base.posts) else None
    workload = workload or base.scaled(args.users, args.posts)
    seeded = seed(args.database_url, workload, args.out)
    print(json.dumps({"counts": seeded.counts, "seconds": seeded.seconds}, indent=1))


if __name__ == "__main__":
    main()

"""Run the benchmark suite of issue 9 and write bench/RESULTS.md.

    .venv/bin/python bench/run.py            # seed (if needed), load, scale, startup; ~20 min

Load scenarios run with wrk (2 threads, 32 connections, 15 s; a Lua script sends the
Bearer header) against `python wsgi.py` on PostgreSQL, one process, throttles off;
each three times, interleaved with B6 (bench/ceiling.py, the same eventlet server
with a trivial app), and the median run is reported. SQL statements per request are
counted in-process (Flask test client, a SQLAlchemy `before_cursor_execute`
listener) for one request of each scenario. See bench/README.md.
"""

import argparse
import contextlib
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import seed as seeding  # noqa: E402

BENCH = ROOT / "bench"
OUT = BENCH / "out"
LUA = BENCH / "wrk" / "bench.lua"
RESULTS = BENCH / "RESULTS.md"
PYTHON = sys.executable


# --- scenarios ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    method: str
    path: str
    ratio_target: float | None = None
    statements_target: int | None = None
    who: str = "caller"
    posts_each_request: bool = False
    needs_chat: bool = False
    notifications_off: bool = False
    served_by: str = "app"  # or "ceiling" (bench/ceiling.py) or "floor" (bench/floor.py)

    @property
    def of_the_app(self) -> bool:
        return self.served_by == "app"

    def url_path(self, seeded: dict) -> str:
        return self.path.format(room=seeded.get("chat", {}).get("room", "<room>"))


SCENARIOS = (
    Scenario("B6", "ceiling: constant 2 KB JSON", "GET", "/", served_by="ceiling"),
    Scenario("F1", "floor: bare Flask route + one SELECT", "GET", "/", served_by="floor"),
    Scenario("B1", "feed, first page of 10", "GET", "/api/posts/post/", 0.10, 5),
    Scenario(
        "B2",
        "chat history, 50 messages",
        "GET",
        "/api/chat/message/{room}/list_by_room/?limit=50",
        0.08,
        5,
        who="member",
        needs_chat=True,
    ),
    Scenario("B3", "search `bekzod`", "GET", "/api/accounts/account/search/bekzod/", 0.10, 5),
    Scenario("B4", "nearby within 10 km", "GET", "/api/accounts/account/location/10/", 0.15, 4),
    # A like writes its notification in the same transaction: one INSERT ... SELECT into the
    # post owner's existing group (seeded from the likes), whatever its size.
    Scenario(
        "B5",
        "like a different post, with its notification",
        "POST",
        "/api/posts/like/",
        0.08,
        None,
        who="liker",
        posts_each_request=True,
    ),
    # B5 with every owner's `post_liked` turned off: the like alone, so that the two
    # together give what the notification costs the like path (at most 10 %).
    Scenario(
        "B5q",
        "like a different post, notifications off",
        "POST",
        "/api/posts/like/",
        None,
        None,
        who="liker",
        posts_each_request=True,
        notifications_off=True,
    ),
)
SCENARIOS_BY_KEY = {s.key: s for s in SCENARIOS}
P99_TARGET_MS = 250


# --- processes ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM (peak RSS) and friends of a process, in KiB."""
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name.startswith("Vm"):
                fields[name] = int(value.split()[0])
    return fields


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        parts = stat.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def settle(server: "Server", quiet_seconds: float = 0.3, timeout: float = 10) -> None:
    """Wait until `server` has spent no CPU for `quiet_seconds`: its requests are done."""
    deadline = time.monotonic() + timeout
    spent = cpu_seconds(server.process.pid)
    while time.monotonic() < deadline:
        time.sleep(quiet_seconds)
        now = cpu_seconds(server.process.pid)
        if now == spent:
            return
        spent = now


def load_average() -> float:
    return os.getloadavg()[0]


@dataclass
class Server:
    """A server process (python wsgi.py or bench/ceiling.py) on a free port."""

    name: str
    argv: list[str]
    env: dict[str, str]
    ready_path: str = "/"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    ready_seconds: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> "Server":
        OUT.mkdir(parents=True, exist_ok=True)
        log = open(OUT / f"{self.name}.log", "ab")  # noqa: SIM115 - kept open while it runs
        env = {**os.environ, **self.env, "HOST": "127.0.0.1", "PORT": str(self.port)}
        started = time.perf_counter()
        self.process = subprocess.Popen(
            self.argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {OUT / (self.name + '.log')}")
            if http_status(self.url + self.ready_path) is not None:
                self.ready_seconds = time.perf_counter() - started
                return self
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {timeout} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def status(self) -> dict[str, int]:
        return proc_status(self.process.pid)


def http_status(url: str, headers: dict | None = None, method="GET", body=None) -> int | None:
    request = urllib.request.Request(url, headers=headers or {}, method=method, data=body)
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def app_env(database_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "RATELIMIT_ENABLED": "false",
        "ASYNC_MODE": "eventlet",
        "APP_ENV": "development",
        "LOG_LEVEL": "INFO",
        "REDIS_URL": "",
    }


def app_server(database_url: str, name: str = "server", **extra_env: str) -> Server:
    # Any path answers once the app is up; a 401 costs no database work.
    return Server(
        name,
        [PYTHON, "wsgi.py"],
        {**app_env(database_url), **extra_env},
        ready_path="/api/accounts/account/profile/",
    )


def ceiling_server() -> Server:
    return Server("ceiling", [PYTHON, str(BENCH / "ceiling.py")], {"LOG_LEVEL": "INFO"})


def floor_server(database_url: str) -> Server:
    return Server("floor", [PYTHON, str(BENCH / "floor.py")], app_env(database_url))


# --- wrk ---------------------------------------------------------------------------------------


@dataclass
class WrkResult:
    requests: int
    seconds: float
    errors: int
    non_2xx: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    load_before: float
    load_after: float
    server_cpu_ms: float | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk(
    url: str,
    token: str | None,
    *,
    duration: float,
    threads: int,
    connections: int,
    post_ids: Path | None = None,
    server: Server | None = None,
) -> WrkResult:
    env = {**os.environ, "BENCH_TOKEN": token or "", "BENCH_THREADS": str(threads)}
    env["BENCH_POST_IDS"] = str(post_ids) if post_ids else ""
    argv = [
        shutil.which("wrk") or "/usr/bin/wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration:g}s",
        "--timeout",
        "5s",
        "-s",
        str(LUA),
        url,
    ]
    load_before = load_average()
    cpu_before = cpu_seconds(server.process.pid) if server else None
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=duration + 60)
    cpu_after = cpu_seconds(server.process.pid) if server else None
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no summary:\n{done.stdout}\n{done.stderr}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    result = WrkResult(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        errors=raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
        non_2xx=raw["status"],
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        mean_ms=raw["mean_us"] / 1000,
        load_before=load_before,
        load_after=load_average(),
    )
    if server and raw["requests"]:
        result.server_cpu_ms = (cpu_after - cpu_before) * 1000 / raw["requests"]
    return result


def median_run(runs: list[WrkResult]) -> WrkResult:
    """The run with the median requests/s (its latencies are reported with it)."""
    ordered = sorted(runs, key=lambda r: r.rps)
    return ordered[len(ordered) // 2]


# --- database helpers --------------------------------------------------------------------------


def forget_likes(database_url: str, user_id: int) -> None:
    """B5 likes posts that its liker has not liked: take back the likes of earlier runs, and
    the liker's place in the notifications they made (as an unlike would)."""
    from sqlalchemy import create_engine, text

    from config import normalise_database_url

    engine = create_engine(normalise_database_url(database_url))
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM post_likes WHERE owner_id = :u"), {"u": user_id})
        conn.execute(
            text("DELETE FROM notification_actors WHERE actor_id = :u AND type = 'post_liked'"),
            {"u": user_id},
        )
    engine.dispose()


@contextlib.contextmanager
def post_liked_off(database_url: str) -> Iterator[None]:
    """Every user's `post_liked` notifications off (a settings row each) while it lasts."""
    from sqlalchemy import create_engine, text

    from config import normalise_database_url

    engine = create_engine(normalise_database_url(database_url))
    setting = "notification_settings WHERE type = 'post_liked'"
    try:
        with engine.begin() as conn:
            conn.execute(text(f"DELETE FROM {setting}"))
            conn.execute(
                text(
                    "INSERT INTO notification_settings (user_id, type, enabled) "
                    "SELECT id, 'post_liked', false FROM users"
                )
            )
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DELETE FROM {setting}"))
        engine.dispose()


def sibling_database(database_url: str, suffix: str) -> str:
    """A second database next to the benchmark one (created if missing), for the scale runs."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database)
        return str(url.set(database=str(path.with_name(path.stem + suffix + path.suffix))))
    name = f"{url.database}{suffix}"
    admin = create_engine(url.set(drivername="postgresql+psycopg2", database="postgres"))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists.first() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


# --- statements per request --------------------------------------------------------------------


def statement_counts(database_url: str, seeded: dict) -> dict[str, dict]:
    """SQL statements of one request of each scenario, counted in-process after a warm-up:
    the request's own, and apart from them those of the notifications it announces after its
    commit (another thread: waited for, so that neither request's leak into the other's)."""
    from sqlalchemy import event

    from uzbekhub.extensions import db, limiter
    from uzbekhub.notifications.services import NOTIFIER_KEY

    app = seeding.make_app(database_url)
    limiter.enabled = False
    client = app.test_client()
    notifier = app.extensions[NOTIFIER_KEY]
    with app.app_context():
        engine = db.engine
    counts: dict[str, dict] = {}
    targets = iter(seeded["like_targets"][-20:])
    request_thread = threading.get_ident()
    for scenario in SCENARIOS:
        if not scenario.of_the_app:
            continue
        if scenario.needs_chat and "room" not in seeded.get("chat", {}):
            continue
        who = seeded.get(scenario.who)
        headers = {"Authorization": f"Bearer {who['token']}"} if who else {}

        def call(scenario=scenario, headers=headers):
            if scenario.posts_each_request:
                return client.post(scenario.path, json={"post": next(targets)}, headers=headers)
            return client.get(scenario.url_path(seeded), headers=headers)

        settings = post_liked_off(database_url) if scenario.notifications_off else None
        with settings or contextlib.nullcontext():
            call()
            notifier.wait_idle()
            statements: list[str] = []
            announced: list[str] = []

            def record(conn, cursor, statement, *args, statements=statements, announced=announced):
                mine = threading.get_ident() == request_thread
                (statements if mine else announced).append(" ".join(statement.split())[:160])

            event.listen(engine, "before_cursor_execute", record)
            try:
                response = call()
                notifier.wait_idle()
            finally:
                event.remove(engine, "before_cursor_execute", record)
        if not 200 <= response.status_code < 300:
            raise RuntimeError(f"{scenario.key} answered {response.status_code}")
        counts[scenario.key] = {
            "count": len(statements),
            "statements": statements,
            "announced": announced,
        }
    forget_likes(database_url, seeded["liker"]["id"])
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return counts


# --- what a request costs in-process -----------------------------------------------------------


def cpu_per_request(database_url: str, seeded: dict, repeat: int = 200) -> dict[str, float]:
    """CPU ms per request in-process (Flask test client, no server, no eventlet).

    Besides the scenarios, three floors: a bare Flask route of the same app, the same with
    one SQL statement, and one that only verifies the access token (what every
    authenticated endpoint pays). The best of three rounds of `repeat` requests.
    """
    from sqlalchemy import text

    from uzbekhub.accounts.caller import verify_access
    from uzbekhub.extensions import db, limiter

    app = seeding.make_app(database_url)
    limiter.enabled = False

    @app.get("/bench/floor/flask")
    def flask_floor():
        return {"ok": True}

    @app.get("/bench/floor/sql")
    def sql_floor():
        return {"ok": db.session.execute(text("SELECT 1")).scalar()}

    @app.get("/bench/floor/token")
    def token_floor():
        return {"ok": verify_access().id}

    client = app.test_client()
    paths = {
        "Flask route, no work": "/bench/floor/flask",
        "+ one SQL statement": "/bench/floor/sql",
        "token verified, no work": "/bench/floor/token",
    }
    for scenario in SCENARIOS:
        chat_missing = scenario.needs_chat and "room" not in seeded.get("chat", {})
        if scenario.of_the_app and scenario.method == "GET" and not chat_missing:
            paths[scenario.key] = scenario.url_path(seeded)
    costs = {}
    for label, path in paths.items():
        who = seeded.get(SCENARIOS_BY_KEY[label].who if label in SCENARIOS_BY_KEY else "caller")
        headers = {"Authorization": f"Bearer {who['token']}"}
        for _ in range(20):
            client.get(path, headers=headers)
        rounds = []
        for _ in range(3):
            started = time.process_time()
            for _ in range(repeat):
                response = client.get(path, headers=headers)
            rounds.append((time.process_time() - started) * 1000 / repeat)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        costs[label] = min(rounds)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return costs


# --- the load runs -----------------------------------------------------------------------------


def load_runs(database_url: str, seeded: dict, args) -> tuple[dict, dict]:
    """Each scenario `args.runs` times, interleaved with B6; returns runs and peak RSS."""
    OUT.mkdir(parents=True, exist_ok=True)
    post_ids = OUT / "like-targets.txt"
    post_ids.write_text("\n".join(seeded["like_targets"]) + "\n")
    servers = {
        "app": app_server(database_url).start(),
        "ceiling": ceiling_server().start(),
        "floor": floor_server(database_url).start(),
    }
    runs: dict[str, list[WrkResult]] = {s.key: [] for s in SCENARIOS}
    active = [s for s in SCENARIOS if not (s.needs_chat and "room" not in seeded.get("chat", {}))]
    active = [s for s in active if not args.only or s.key in args.only or not s.of_the_app]
    try:
        for scenario in active:
            if scenario.posts_each_request:
                forget_likes(database_url, seeded["liker"]["id"])
            check_answer(scenario, seeded, servers[scenario.served_by])

        def one(scenario: Scenario, duration: float) -> WrkResult:
            target = servers[scenario.served_by]
            who = seeded.get(scenario.who) if scenario.of_the_app else None
            if scenario.posts_each_request:
                # Likes still in flight when the last run's wrk stopped would land after
                # the reset and make this run's first likes of those posts duplicates.
                settle(target)
                forget_likes(database_url, seeded["liker"]["id"])
            settings = post_liked_off(database_url) if scenario.notifications_off else None
            with settings or contextlib.nullcontext():
                return wrk(
                    target.url + scenario.url_path(seeded),
                    who["token"] if who else None,
                    duration=duration,
                    threads=args.threads,
                    connections=args.connections,
                    post_ids=post_ids if scenario.posts_each_request else None,
                    server=target,
                )

        for scenario in active:  # warm-up: connections pooled, caches filled
            one(scenario, args.warmup)
        for run in range(args.runs):
            for scenario in active:
                result = one(scenario, args.duration)
                runs[scenario.key].append(result)
                print(
                    f"  run {run + 1} {scenario.key}: {result.rps:8.1f} req/s  "
                    f"p50 {result.p50_ms:6.1f} ms  p99 {result.p99_ms:6.1f} ms  "
                    f"non-2xx {result.non_2xx}  load {result.load_before:.2f}",
                    flush=True,
                )
        memory = {name: server.status() for name, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()
        forget_likes(database_url, seeded["liker"]["id"])
    return runs, memory


def check_answer(scenario: Scenario, seeded: dict, target: Server) -> None:
    """One real request before the load: the scenario must answer 2xx."""
    who = seeded.get(scenario.who) if scenario.of_the_app else None
    headers = {"Authorization": f"Bearer {who['token']}"} if who else {}
    body = None
    if scenario.posts_each_request:
        headers["Content-Type"] = "application/json"
        body = json.dumps({"post": seeded["like_targets"][0]}).encode()
    status = http_status(
        target.url + scenario.url_path(seeded), headers, method=scenario.method, body=body
    )
    if status is None or not 200 <= status < 300:
        raise RuntimeError(f"{scenario.key} answered {status} before the load")


# --- B8: B1 while others sign in and upload images ---------------------------------------------

B8_CLIENTS = 4
B8_TARGET = 2.0  # B1's p99 in B8 at most this many times its p99 alone


def b8_image() -> bytes:
    """A 1600 x 1200 photo-like JPEG (noise over gradients): real decoding and re-encoding."""
    import io  # noqa: PLC0415

    from PIL import Image  # noqa: PLC0415

    noise = Image.effect_noise((1600, 1200), 40).convert("RGB")
    gradient = Image.linear_gradient("L").resize((1600, 1200)).convert("RGB")
    out = io.BytesIO()
    Image.blend(noise, gradient, 0.5).save(out, "JPEG", quality=90)
    return out.getvalue()


def multipart(field_name: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = "b8-" + os.urandom(8).hex()
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field_name}"; '
            f'filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


class SignInAndUpload:
    """One of B8's background clients: sign in (argon2id), set a profile picture (image
    decoded and re-encoded), again, until stopped; counts what it completed."""

    def __init__(self, base: str, email: str, image: bytes):
        self.base, self.email, self.image = base, email, image
        self.signins = self.uploads = self.failures = 0
        self.stopping = False

    def _call(self, path: str, body: bytes, content_type: str, method="POST", token=None):
        request = urllib.request.Request(self.base + path, data=body, method=method)
        request.add_header("Content-Type", content_type)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def run(self) -> None:
        credentials = json.dumps({"email": self.email, "password": seeding.PASSWORD}).encode()
        picture, content_type = multipart("profile_picture", "photo.jpg", self.image)
        while not self.stopping:
            try:
                answer = self._call("/api/accounts/auth/signin/", credentials, "application/json")
                self.signins += 1
                token = answer["token"]["access"]
                self._call("/api/accounts/account/profile/", picture, content_type, "PATCH", token)
                self.uploads += 1
            except (OSError, KeyError, ValueError):
                self.failures += 1
                time.sleep(0.1)


def mixed_runs(database_url: str, seeded: dict, args) -> dict:
    """B8: B1 alone, then B1 while B8_CLIENTS clients sign in and upload continuously, on
    one server, `args.runs` times; p99s of both and what the clients completed."""
    import threading  # noqa: PLC0415

    taken = {seeded[who]["id"] for who in ("caller", "liker", "member") if seeded.get(who)}
    uploaders = [i for i in range(100, 1000) if i not in taken][:B8_CLIENTS]
    image = b8_image()
    b1 = SCENARIOS_BY_KEY["B1"]
    server = app_server(database_url, "b8-server").start()
    results: dict = {"alone": [], "mixed": [], "clients": []}

    def load() -> WrkResult:
        return wrk(
            server.url + b1.url_path(seeded),
            seeded[b1.who]["token"],
            duration=args.duration,
            threads=args.threads,
            connections=args.connections,
            server=server,
        )

    try:
        check_answer(b1, seeded, server)
        wrk(
            server.url + b1.url_path(seeded),
            seeded[b1.who]["token"],
            duration=args.warmup,
            threads=args.threads,
            connections=args.connections,
        )
        for run in range(args.runs):
            alone = load()
            clients = [
                SignInAndUpload(server.url, f"user{i}@bench.uzbekhub.test", image)
                for i in uploaders
            ]
            threads = [threading.Thread(target=c.run, daemon=True) for c in clients]
            for thread in threads:
                thread.start()
            try:
                mixed = load()
            finally:
                for client in clients:
                    client.stopping = True
                for thread in threads:
                    thread.join(60)
            done = {
                "signins": sum(c.signins for c in clients),
                "uploads": sum(c.uploads for c in clients),
                "failures": sum(c.failures for c in clients),
                "seconds": mixed.seconds,
            }
            results["alone"].append(alone)
            results["mixed"].append(mixed)
            results["clients"].append(done)
            print(
                f"  run {run + 1} B8: B1 alone p99 {alone.p99_ms:.1f} ms, mixed p99"
                f" {mixed.p99_ms:.1f} ms ({mixed.rps:.0f} req/s); {done['signins']} sign-ins,"
                f" {done['uploads']} uploads, {done['failures']} failures",
                flush=True,
            )
    finally:
        server.stop()
    return results


def mixed_report(mixed: dict | None) -> list[str]:
    if not mixed or not mixed["mixed"]:
        return []
    alone = statistics.median(r.p99_ms for r in mixed["alone"])
    loaded = statistics.median(r.p99_ms for r in mixed["mixed"])
    ratio = loaded / alone if alone else float("inf")
    rps = statistics.median(r.rps for r in mixed["mixed"])
    clients = mixed["clients"]
    per_second = statistics.median(
        (c["signins"] + c["uploads"]) / c["seconds"] for c in clients if c["seconds"]
    )
    failures = sum(c["failures"] for c in clients)
    runs = ", ".join(
        f"{a.p99_ms:.0f} → {m.p99_ms:.0f} ms"
        for a, m in zip(mixed["alone"], mixed["mixed"], strict=True)
    )
    return [
        "## B8: B1 while others sign in and upload images",
        "",
        f"B1 under wrk ({len(mixed['mixed'])} runs of B1 alone, then B1 while {B8_CLIENTS} clients"
        " each sign in (argon2id) and set a 1600 × 1200 JPEG profile picture (decoded, re-encoded)"
        " in a loop, on the same server; medians). Password hashing and image work run in a"
        " thread pool (`uzbekhub/common/offload.py`), off the event loop.",
        "",
        "| figure | measured | target | verdict |",
        "|---|---:|---|---|",
        f"| B1 p99 alone | {alone:.1f} ms |  | — |",
        f"| B1 p99 in B8 | {loaded:.1f} ms |  | — |",
        f"| ratio | {ratio:.2f}× | ≤ {B8_TARGET:g}× | {verdict(ratio <= B8_TARGET)} |",
        f"| B1 req/s in B8 | {rps:.0f} |  | — |",
        f"| sign-ins + uploads per second | {per_second:.1f} |  | — |",
        f"| failed sign-ins or uploads | {failures} | 0 | {verdict(failures == 0)} |",
        "",
        f"Every run (p99 alone → in B8): {runs}.",
        "",
    ]


# --- B7: chat fan-out over the plain WebSocket ---------------------------------------------------

# One sender at 100 frames/s is B7's load: the per-socket frame throttle (10/s in
# production) is lifted like the HTTP throttles.
FANOUT_ENV = {"CHAT_FRAMES_PER_SECOND": "1000000", "CHAT_FRAME_BURST": "1000000"}


def fanout_runs(database_url: str, seeded: dict, runs: int) -> dict:
    """Phases 1-2 of bench/fanout.py `runs` times on one server, phase 3 on a fresh one."""
    room = seeded["chat"]["room"]
    app = seeding.make_app(database_url)
    tokens = [seeding.issue_access(app, member) for member in seeded["chat"]["members"]]
    clients = OUT / "fanout-clients.json"
    results: dict = {"messages": [], "idle": None}
    try:
        with running(app_server(database_url, "fanout-server", **FANOUT_ENV)) as server:
            for _ in range(runs):
                results["messages"].append(_fanout(server, clients, room, tokens, "messages"))
                print(f"  B7 messages: {results['messages'][-1]}", flush=True)
        with running(app_server(database_url, "fanout-idle-server", **FANOUT_ENV)) as server:
            results["idle"] = _fanout(server, clients, room, tokens, "idle")["idle"]
            print(f"  B7 idle: {results['idle']}", flush=True)
    finally:
        forget_bench_messages(database_url, room)
    return results


def _fanout(server: Server, clients: Path, room: str, tokens: list[str], phases: str) -> dict:
    clients.write_text(json.dumps({"room": room, "tokens": tokens, "pid": server.process.pid}))
    done = subprocess.run(
        [PYTHON, str(BENCH / "fanout.py"), server.url, str(clients), phases],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"fanout.py gave no result:\n{done.stdout}\n{done.stderr}")
    return json.loads(line.removeprefix("BENCH_JSON "))


def forget_bench_messages(database_url: str, room: str) -> None:
    """B7's messages leave the room as seeded (history and its kept count)."""
    from sqlalchemy import create_engine, text

    from config import normalise_database_url

    engine = create_engine(normalise_database_url(database_url))
    with engine.begin() as conn:
        gone = conn.execute(
            text("DELETE FROM chat_messages WHERE room_id = :r AND text LIKE 'b7 %'"), {"r": room}
        ).rowcount
        conn.execute(
            text("UPDATE chat_rooms SET message_count = message_count - :n WHERE id = :r"),
            {"n": gone, "r": room},
        )
    engine.dispose()


# --- scale, startup ----------------------------------------------------------------------------


def single_request_ms(url: str, token: str, args) -> WrkResult:
    """One request at a time (wrk at 1 connection) for `--scale-duration` seconds."""
    run = wrk(url, token, duration=args.scale_duration, threads=1, connections=1)
    if run.non_2xx or run.errors:
        raise RuntimeError(f"{url}: {run.non_2xx} non-2xx, {run.errors} errors")
    return run


SCALE_PATHS = {
    "B1": "/api/posts/post/",
    "B3": "/api/accounts/account/search/bekzod/",
    "B4": "/api/accounts/account/location/10/",
}


def scale_database(database_url: str, name: str, workload, reseed: bool) -> dict:
    """A sibling database holding one size of the workload, seeded once and kept."""
    url = sibling_database(database_url, f"_scale_{name}")
    out = OUT / f"scale-{name}.json"
    if not reseed and out.exists():
        seeded = json.loads(out.read_text())
        if seeded["workload"] == _asdict(workload) and seeded["database"] == url:
            return seeded
    print(f"  seeding {url.rsplit('/', 1)[-1]} ...", flush=True)
    return _asdict(seeding.seed(url, workload, out))


def scale_runs(database_url: str, args) -> dict:
    """B3/B4 at 1k/10k/100k located users; B1 at 100k/1M posts.

    Each size has its own database and server; the sizes are measured in turn, run after
    run, so that a change in the machine's load touches every size alike.
    """
    base = seeding.Workload()
    groups = {
        "users": [(n, base.scaled(n, 0, chat=False), ("B3", "B4")) for n in args.scale_users],
        "posts": [(n, base.scaled(base.users, n, chat=False), ("B1",)) for n in args.scale_posts],
    }
    results: dict = {"users": {}, "posts": {}, "databases": []}
    for group, sizes in groups.items():
        if not sizes:
            continue
        seeded = {
            n: scale_database(database_url, f"{group}_{n}", w, args.reseed) for n, w, _ in sizes
        }
        results["databases"] += [seeded[n]["database"].rsplit("/", 1)[-1] for n, _, _ in sizes]
        servers = {n: app_server(seeded[n]["database"], f"scale-{group}-{n}") for n, _, _ in sizes}
        samples: dict = {(n, key): [] for n, _, keys in sizes for key in keys}
        try:
            for server in servers.values():
                server.start()
            for n, _, keys in sizes:  # warm-up: pools, caches
                for key in keys:
                    wrk(
                        servers[n].url + SCALE_PATHS[key],
                        seeded[n]["caller"]["token"],
                        duration=1,
                        threads=1,
                        connections=1,
                    )
            for _ in range(args.runs):
                for n, _, keys in sizes:
                    for key in keys:
                        run = single_request_ms(
                            servers[n].url + SCALE_PATHS[key], seeded[n]["caller"]["token"], args
                        )
                        samples[(n, key)].append(run.p50_ms)
        finally:
            for server in servers.values():
                server.stop()
        for (n, key), values in samples.items():
            results[group].setdefault(n, {})[key] = statistics.median(values)
            results[group][n][key + "_runs"] = values
        print(f"  {group}: {results[group]}", flush=True)
    return results


def _asdict(seeded) -> dict:
    from dataclasses import asdict

    return json.loads(json.dumps(asdict(seeded)))


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


def startup_runs(database_url: str, runs: int) -> dict:
    """Seconds from spawning `python wsgi.py` to its first answer, and RSS once idle."""
    ready, rss = [], []
    for _ in range(runs):
        with running(app_server(database_url, "startup")) as server:
            ready.append(server.ready_seconds)
            time.sleep(2)
            rss.append(server.status()["VmRSS"])
    return {
        "ready_s": statistics.median(ready),
        "ready_all": ready,
        "idle_rss_mib": statistics.median(rss) / 1024,
        "idle_rss_all": [r / 1024 for r in rss],
    }


# --- report ------------------------------------------------------------------------------------


def machine(database_url: str) -> dict:
    cpu = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        cpu = next(ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name"))
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    wrk_version = subprocess.run(
        [shutil.which("wrk") or "wrk", "-v"], capture_output=True, text=True
    ).stdout.split("\n")[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "commit": commit + ("+changes" if dirty else ""),
        "wrk": wrk_version.strip(),
        "database": database_version(database_url),
    }


def database_version(database_url: str) -> str:
    from sqlalchemy import create_engine

    from config import normalise_database_url

    engine = create_engine(normalise_database_url(database_url))
    try:
        with engine.connect() as conn:
            info = conn.dialect.server_version_info or ()
            return f"{engine.dialect.name} " + ".".join(str(part) for part in info)
    finally:
        engine.dispose()


def verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "**not met**")


def report(
    seeded: dict,
    counts: dict,
    costs: dict,
    runs: dict,
    memory: dict,
    fanout: dict | None,
    scale: dict | None,
    startup: dict | None,
    args,
    mixed: dict | None = None,
) -> str:
    info = machine(seeded["database"])
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    b6 = median_run(runs["B6"]) if runs.get("B6") else None
    lines = [
        "# Benchmark results",
        "",
        f"Measured {when} at commit `{info['commit']}` by `bench/run.py` "
        f"({args.runs} runs of {args.duration:g} s per scenario, wrk {args.threads} threads / "
        f"{args.connections} connections; median run shown).",
        "",
        f"Machine: {info['cores']} cores ({info['cpu']}), Python {info['python']}, "
        f"{info['database']}, {info['wrk']}. The server, PostgreSQL and wrk share "
        "the cores; other engineers' test suites may run at the same time (load averages below).",
        "",
        *load_report(seeded, counts, runs, memory, args, b6),
        *cost_report(costs, runs, b6),
        *mixed_report(mixed),
        *fanout_report(fanout),
        *scale_report(scale),
        *startup_report(startup),
        *method_notes(seeded, args),
    ]
    notes = BENCH / "NOTES.md"
    if notes.exists():
        lines.append(notes.read_text().rstrip("\n"))
    return "\n".join(lines) + "\n"


def load_report(seeded, counts, runs, memory, args, b6) -> list[str]:
    if not runs:
        return []
    lines = [
        "## Load (targets as ratios to B6 of the same run)",
        "",
        "| scenario | req/s | ratio to B6 | target | p50 ms | p99 ms | non-2xx + errors "
        "| SQL/request (target) | server CPU ms/req | load avg | verdict |",
        "|---|---:|---:|---|---:|---:|---:|---|---:|---|---|",
    ]
    for scenario in SCENARIOS:
        if not runs.get(scenario.key):
            reason = seeded.get("chat", {}).get("pending", "not run")
            target = f"≥ {scenario.ratio_target:.0%}" if scenario.ratio_target else ""
            lines.append(
                f"| {scenario.key} {scenario.title} | — | — | {target} "
                f"| — | — | — | — | — | — | {reason} |"
            )
            continue
        best = median_run(runs[scenario.key])
        loads = [r.load_before for r in runs[scenario.key]] + [
            r.load_after for r in runs[scenario.key]
        ]
        ratio = best.rps / b6.rps if b6 and scenario.served_by != "ceiling" else None
        stmt = counts.get(scenario.key, {}).get("count")
        stmt_text = "—" if stmt is None else str(stmt)
        if scenario.statements_target is not None and stmt is not None:
            stmt_text += f" (≤ {scenario.statements_target})"
        ok = None
        if scenario.ratio_target is not None:
            ok = (
                ratio is not None
                and ratio >= scenario.ratio_target
                and best.non_2xx + best.errors == 0
                and best.p99_ms <= P99_TARGET_MS
                and (
                    scenario.statements_target is None
                    or (stmt is not None and stmt <= scenario.statements_target)
                )
            )
        cpu = f"{best.server_cpu_ms:.2f}" if best.server_cpu_ms is not None else "—"
        lines.append(
            f"| {scenario.key} {scenario.title} | {best.rps:.0f} | "
            f"{'' if ratio is None else f'{ratio:.1%}'} | "
            f"{'' if scenario.ratio_target is None else f'≥ {scenario.ratio_target:.0%}'} | "
            f"{best.p50_ms:.1f} | {best.p99_ms:.1f} | {best.non_2xx + best.errors} | "
            f"{stmt_text} | {cpu} | {min(loads):.2f}–{max(loads):.2f} | {verdict(ok)} |"
        )
    lines += [
        "",
        f"Targets besides the ratio: 0 non-2xx/errors and p99 ≤ {P99_TARGET_MS} ms at "
        f"{args.connections} connections. All runs (req/s): "
        + "; ".join(f"{k} " + ", ".join(f"{r.rps:.0f}" for r in v) for k, v in runs.items() if v)
        + ".",
        "",
        *notification_cost(runs),
        f"Peak RSS (VmHWM) of `python wsgi.py` over the load runs: "
        f"{memory['app']['VmHWM'] / 1024:.0f} MiB (B6 server: "
        f"{memory['ceiling']['VmHWM'] / 1024:.0f} MiB, F1 server: "
        f"{memory['floor']['VmHWM'] / 1024:.0f} MiB).",
        "",
    ]
    lines += ["### SQL statements per request", ""]
    for key, value in counts.items():
        lines.append(f"- **{key}** ({value['count']}):")
        lines += [f"  1. `{s}`" for s in value["statements"]]
        announced = value.get("announced")
        if announced:
            lines.append(f"  - after the commit, announcing its notifications ({len(announced)}):")
            lines += [f"    1. `{s}`" for s in announced]
    lines.append("")
    return lines


def notification_cost(runs: dict) -> list[str]:
    """What the `post_liked` notification costs the like path: B5 against B5q."""
    if not runs.get("B5") or not runs.get("B5q"):
        return []
    with_notes, alone = median_run(runs["B5"]).rps, median_run(runs["B5q"]).rps
    loss = 1 - with_notes / alone
    return [
        f"The like path's notification costs {loss:.1%} of B5's requests/s (B5 {with_notes:.0f} "
        f"with it, B5q {alone:.0f} with `post_liked` off for every owner; target ≤ 10 %): "
        f"{verdict(loss <= 0.10)}.",
        "",
    ]


def cost_report(costs: dict, runs: dict, b6) -> list[str]:
    """Why the ratios are what they are: CPU per request against B6's and F1's."""
    if not costs:
        return []
    b6_cpu = b6.server_cpu_ms if b6 else None
    f1 = median_run(runs["F1"]) if runs.get("F1") else None
    f1_cpu = f1.server_cpu_ms if f1 else None
    lines = [
        "## CPU per request (what bounds the ratios)",
        "",
        "One server process is bound by one core, so a scenario's ratio to B6 cannot exceed "
        "B6's CPU time per request over the scenario's. In-process figures: the Flask test "
        "client without a server (best of three rounds of 200 requests); server figures: "
        "the server process under the load above. The in-process floors' bounds use their "
        "in-process cost, which a server only adds to. The last column is a scenario's server "
        "CPU over F1's: how many framework floors (a bare Flask route and one statement, "
        "served as the API is) a request costs.",
        "",
        "| request | in-process CPU ms | server CPU ms (load) | ratio bound (B6 CPU / CPU) "
        "| × F1 CPU |",
        "|---|---:|---:|---:|---:|",
    ]
    rows = [(label, ms, None) for label, ms in costs.items() if label not in SCENARIOS_BY_KEY]
    for scenario in SCENARIOS:
        if scenario.served_by == "ceiling" or not (scenario.key in costs or runs.get(scenario.key)):
            continue
        server = median_run(runs[scenario.key]).server_cpu_ms if runs.get(scenario.key) else None
        rows.append((scenario.key, costs.get(scenario.key), server))
    for label, ms, server in rows:
        spent = server or ms
        bound = f"≤ {b6_cpu / spent:.1%}" if b6_cpu and spent else ""
        floors = f"{server / f1_cpu:.1f}" if server and f1_cpu else ""
        in_process = "—" if ms is None else f"{ms:.2f}"
        lines.append(
            f"| {label} | {in_process} | {'' if server is None else f'{server:.2f}'} "
            f"| {bound} | {floors} |"
        )
    if b6_cpu:
        lines.append(f"| B6 (the ceiling) | | {b6_cpu:.2f} | | |")
    lines.append("")
    return lines


def fanout_report(fanout: dict | None) -> list[str]:
    if not fanout or not fanout["messages"]:
        return []
    runs = fanout["messages"]

    def median(phase: str, key: str) -> float:
        return statistics.median(run[phase][key] for run in runs)

    def lost(phase: str) -> int:
        return sum(run[phase]["lost"] for run in runs)

    p50 = median("paced", "receiver_p50_median_ms")
    p99_worst = median("paced", "receiver_p99_worst_ms")
    p99_all = median("paced", "p99_ms")
    per_s = median("closed_loop", "messages_per_s")
    deliveries = median("closed_loop", "deliveries_per_s")
    per_connection = fanout["idle"]["kib_per_connection"]
    connections = fanout["idle"]["connections"]
    rows = [
        ("paced 100/s: delivery p50 (median receiver)", f"{p50:.1f} ms", "", None),
        ("paced 100/s: delivery p99 (worst receiver)", f"{p99_worst:.1f} ms", "≤ 50 ms",
         p99_worst <= 50),
        ("paced 100/s: delivery p99 (all deliveries)", f"{p99_all:.1f} ms", "", None),
        ("paced: lost deliveries (all runs)", str(lost("paced")), "0", lost("paced") == 0),
        ("closed loop: messages/s", f"{per_s:.0f}", "≥ 300", per_s >= 300),
        ("closed loop: deliveries/s", f"{deliveries:,.0f}", "≥ 15,000", deliveries >= 15_000),
        ("closed loop: lost deliveries (all runs)", str(lost("closed_loop")), "0",
         lost("closed_loop") == 0),
        (f"idle: RSS per connection ({connections} connections)", f"{per_connection:.1f} KiB",
         "≤ 64 KiB", per_connection <= 64),
    ]  # fmt: skip
    lines = [
        "## B7: chat fan-out over the plain WebSocket",
        "",
        f"`bench/fanout.py`: the room's {runs[0]['paced']['receivers']} members connected to "
        "`/ws/chat/<room>/`, one of them sending; every connection (the sender's too: its copy "
        f"is the acknowledgement) times each message. {len(runs)} runs on one server, each "
        "after 50 messages of warm-up, median shown; the idle phase on a fresh server. The "
        "per-socket frame throttle is lifted for the sender (`CHAT_FRAMES_PER_SECOND`), as the "
        "HTTP throttles are. Latency is measured by the clients, one process with green "
        "threads on the same machine (its own scheduling is included).",
        "",
        "| figure | measured | target | verdict |",
        "|---|---:|---|---|",
    ]
    lines += [
        f"| {name} | {value} | {target} | {verdict(ok)} |" for name, value, target, ok in rows
    ]
    idle = fanout["idle"]
    lines += [
        "",
        f"Idle RSS: {idle['rss_before_kib'] / 1024:.0f} MiB before the connections, "
        f"{idle['rss_after_kib'] / 1024:.0f} MiB with them. Every run: "
        + "; ".join(
            f"{run['paced']['receiver_p99_worst_ms']:.0f} ms p99, "
            f"{run['closed_loop']['messages_per_s']:.0f} msg/s"
            for run in runs
        )
        + ".",
        "",
    ]
    return lines


def startup_report(startup: dict | None) -> list[str]:
    if not startup:
        return []
    return [
        "## Startup",
        "",
        "| figure | median | runs | target | verdict |",
        "|---|---:|---|---|---|",
        f"| ready to serve (spawn → first answer) | {startup['ready_s']:.2f} s | "
        + ", ".join(f"{v:.2f}" for v in startup["ready_all"])
        + f" | ≤ 3 s | {verdict(startup['ready_s'] <= 3)} |",
        f"| RSS idle (2 s after ready) | {startup['idle_rss_mib']:.0f} MiB | "
        + ", ".join(f"{v:.0f}" for v in startup["idle_rss_all"])
        + f" | ≤ 200 MiB | {verdict(startup['idle_rss_mib'] <= 200)} |",
        "",
    ]


def scale_report(scale: dict | None) -> list[str]:
    if not scale:
        return []
    lines = [
        "## Scale (single-request latency: wrk at 1 connection, median of the runs' p50)",
        "",
        "| scenario | " + " | ".join(f"{int(u):,} users" for u in scale["users"]) + " | target |",
        "|---|" + "---:|" * len(scale["users"]) + "---|",
    ]
    users = list(scale["users"])
    for key in ("B3", "B4"):
        row = [scale["users"][u][key] for u in users]
        target = ""
        if 10_000 in users and 100_000 in users:
            ten, hundred = scale["users"][10_000][key], scale["users"][100_000][key]
            target = (
                f"100k ≤ 2× 10k: {hundred / ten:.2f}× — {verdict(hundred <= 2 * ten)}"
                if ten
                else ""
            )
        lines.append(f"| {key} | " + " | ".join(f"{v:.2f} ms" for v in row) + f" | {target} |")
    posts = list(scale["posts"])
    if posts:
        lines += [
            "",
            "| scenario | " + " | ".join(f"{int(p):,} posts" for p in posts) + " | target |",
            "|---|" + "---:|" * len(posts) + "---|",
        ]
        row = [scale["posts"][p]["B1"] for p in posts]
        target = ""
        if 100_000 in posts and 1_000_000 in posts:
            small, big = scale["posts"][100_000]["B1"], scale["posts"][1_000_000]["B1"]
            target = f"1M ≤ 1.5× 100k: {big / small:.2f}× — {verdict(big <= 1.5 * small)}"
        lines.append("| B1 | " + " | ".join(f"{v:.2f} ms" for v in row) + f" | {target} |")
    lines += [
        "",
        "Each size has its own database ("
        + ", ".join(f"`{name}`" for name in scale["databases"])
        + ") and server; the sizes are measured in turn, run after run. The users sizes have "
        "no posts; the posts sizes have 10,000 users and likes, comments and views in the "
        "workload's proportion to posts.",
        "",
    ]
    return lines


def method_notes(seeded: dict, args) -> list[str]:
    w = seeded["workload"]
    return [
        "## How the figures were obtained",
        "",
        f"- Data: `bench/seed.py` (seed {seeding.SEED}): {w['users']:,} active users "
        f"({w['private']:,} private, every {w['search_every']}th named Bekzod), each located "
        f"uniformly in lat {w['lat'][0]}–{w['lat'][1]}, long {w['long'][0]}–{w['long'][1]}; "
        f"{w['posts']:,} posts (owners uniform, {w['image_share']:.0%} with one image), "
        f"{w['likes']:,} likes, {w['comments']:,} comments, {w['views']:,} views. "
        "Built with the Alembic migrations, then bulk-loaded (COPY) and `VACUUM ANALYZE`d.",
        "- Server: `python wsgi.py` (eventlet, psycopg2 made green by psycogreen), one process, "
        "`RATELIMIT_ENABLED=false`, no `REDIS_URL` (one process needs none; the token blocklist "
        "is then the `revoked_tokens` table), access log on (to a file), as in production.",
        "- B6: `bench/ceiling.py`, `eventlet.wsgi.server` (what `socketio.run` starts) with the "
        "same access logger, answering a constant 2,048-byte JSON; run between the other "
        "scenarios so that every ratio compares runs under the same load.",
        "- F1: `bench/floor.py`, the framework floor: the same eventlet server and access "
        "logger, a bare Flask route running `SELECT 1` through SQLAlchemy on a pooled green "
        "psycopg2 connection in autocommit (as the hot reads run), no authentication and no "
        "middleware of this service. What no endpoint here can cost less than.",
        f"- Load: `wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s` with "
        "`bench/wrk/bench.lua` (Bearer header; for B5 a different post per request, split "
        "between the threads). Each scenario warms up for "
        f"{args.warmup:g} s, then runs {args.runs} times; the run with the median req/s is "
        "shown with its latencies. non-2xx is wrk's count of 4xx/5xx answers plus socket "
        "errors and timeouts (each scenario is checked to answer 2xx before the load).",
        "- B1 calls as an ordinary public user; B5 likes posts of public users, and the "
        "liker's likes are deleted before every run (once the server has finished the last "
        "run's requests) so that no like is a duplicate.",
        "- SQL statements per request: the Flask test client in-process on the same database, "
        "a `before_cursor_execute` listener counting one request after a warm-up one (B5q with "
        "`post_liked` off); the statements of the notifications it announces after its commit "
        "(another thread) are listed apart.",
        "- Server CPU ms/req: the server process's user+system CPU time over the run divided "
        "by its requests (what one process spends per request).",
        "- Peak RSS: `VmHWM` from `/proc/<pid>/status` after the load runs. Startup: time from "
        "spawning `python wsgi.py` until it answers an HTTP request; idle RSS: `VmRSS` 2 s "
        "later; median of three starts.",
        "- Load average: the 1-minute load average before and after each run (2 cores: above "
        "~2.5 means other work competed).",
        "",
    ]


# --- main --------------------------------------------------------------------------------------


def ensure_seed(database_url: str, reseed: bool) -> dict:
    out = seeding.DEFAULT_OUT
    wanted = _asdict(seeding.Workload())
    kept = json.loads(out.read_text()) if out.exists() else {}
    if reseed or kept.get("database") != database_url or kept.get("workload") != wanted:
        print(f"seeding {database_url} ...", flush=True)
        seeding.seed(database_url, seeding.Workload(), out)
    seeded = json.loads(out.read_text())
    app = seeding.make_app(database_url)
    for who in ("caller", "liker", "member"):
        if seeded.get(who):
            seeded[who]["token"] = seeding.issue_access(app, seeded[who]["id"])
    return seeded


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or None)
    parser.add_argument("--reseed", action="store_true", help="seed even if bench/out/seed.json")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--only", nargs="*", help="scenario keys to load (B6 and F1 always run)")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--skip-fanout", action="store_true", help="skip B7")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--scale-users", type=int, nargs="*", default=[1_000, 10_000, 100_000])
    parser.add_argument("--scale-posts", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--scale-duration", type=float, default=5)
    parser.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    args = parser.parse_args(argv)
    args.database_url = args.database_url or seeding.DEFAULT_URL
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    stage: Callable[[str], None] = lambda name: print(f"== {name}", flush=True)  # noqa: E731
    stage("seed")
    seeded = ensure_seed(args.database_url, args.reseed)
    counts: dict = {}
    costs: dict = {}
    runs: dict = {}
    memory: dict = {}
    if not args.skip_load:
        stage("statements per request")
        counts = statement_counts(args.database_url, seeded)
        for key, value in counts.items():
            print(f"  {key}: {value['count']} statements", flush=True)
        stage("CPU per request, in-process")
        costs = cpu_per_request(args.database_url, seeded)
        for label, ms in costs.items():
            print(f"  {label}: {ms:.2f} ms", flush=True)
        stage("load")
        runs, memory = load_runs(args.database_url, seeded, args)
    mixed = None
    if not args.skip_load and (not args.only or "B8" in args.only):
        stage("B8 mixed")
        mixed = mixed_runs(args.database_url, seeded, args)
    fanout = None
    if not args.skip_load and not args.skip_fanout and "room" in seeded.get("chat", {}):
        stage("B7 fan-out")
        fanout = fanout_runs(args.database_url, seeded, args.runs)
    startup = None
    if not args.skip_startup:
        stage("startup")
        startup = startup_runs(args.database_url, 3)
        print(f"  {startup}", flush=True)
    scale = None
    if not args.skip_scale:
        stage("scale")
        scale = scale_runs(args.database_url, args)
    text = report(seeded, counts, costs, runs, memory, fanout, scale, startup, args, mixed)
    print(text)
    if not args.no_write:
        RESULTS.write_text(text)
        (OUT / "results.json").write_text(
            json.dumps(
                {
                    "runs": {k: [r.__dict__ for r in v] for k, v in runs.items()},
                    "counts": counts,
                    "cpu_per_request": costs,
                    "memory": memory,
                    "fanout": fanout,
                    "mixed": {k: [getattr(r, "__dict__", r) for r in v] for k, v in mixed.items()}
                    if mixed
                    else None,
                    "scale": scale,
                    "startup": startup,
                },
                indent=1,
                default=str,
            )
        )


if __name__ == "__main__":
    main()

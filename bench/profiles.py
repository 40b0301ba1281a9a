"""Where the server's CPU goes under B1 or B7: py-spy on `python wsgi.py` while it serves.

    .venv/bin/python bench/profiles.py LABEL [B1 B7]     # e.g. LABEL = before, after

Needs the seeded benchmark database (`bench/run.py` seeds it), wrk and py-spy
(requirements-dev.txt; it reads the server's memory, so it needs ptrace rights: root or
`kernel.yama.ptrace_scope=0`). For B1 it samples the server at 200 Hz for 10 s under
wrk's load (2 threads, 32 connections, after a 3 s warm-up); for B7 over bench/fanout.py's
paced and closed-loop phases. Each profile is kept as gzipped collapsed stacks
(`bench/profiles/<LABEL>-<scenario>.txt.gz`, one `frame;frame;... count` line per stack:
flamegraph.pl and speedscope read it) and summarised by layer: a sample counts for the
layer its frames belong to (`layer_of`). Prints the summary and writes it beside the stacks
as `<LABEL>.md`.
"""

import gzip
import json
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import run as runner  # noqa: E402
from bench import seed as seeding  # noqa: E402

PROFILES = runner.BENCH / "profiles"
RATE_HZ = 200
SECONDS = 10

# A sample counts for an inclusive layer when any of its frames belongs to it (the
# authentication's SQL is authentication's cost); otherwise for the layer of its innermost
# frame that belongs to one (a compiler frame under a route counts as building SQL).
INCLUSIVE = (
    (
        "authentication (token parsed, verified, its user's state)",
        ("flask_jwt_extended", "/jwt/", "accounts/tokens.py"),
    ),
    (
        "serialisation (marshmallow, orjson, JSON)",
        ("marshmallow", "orjson", "common/json.py", "/json/"),
    ),
)
INNERMOST = (
    (
        "SQLAlchemy: building and compiling statements",
        ("sqlalchemy/sql/", "sqlalchemy/orm/context.py", "sqlalchemy/orm/query.py"),
    ),
    ("SQLAlchemy: executing, psycopg2, loading rows", ("sqlalchemy", "psycopg2", "psycogreen")),
    (
        "WebSocket framing and fan-out",
        ("chat/ws.py", "chat/delivery.py", "simple_websocket", "wsproto"),
    ),
    ("this project's own code", ("uzbekhub/",)),
    ("Flask, flask-smorest, webargs, werkzeug", ("flask", "werkzeug", "webargs", "apispec")),
    ("eventlet server, sockets, logging", ("eventlet", "logging", "socket.py", "wsgi.py")),
)
OTHER = "other"
LAYER_NAMES = [name for name, _ in INCLUSIVE + INNERMOST] + [OTHER]


def _layer_of_frame(frame: str) -> str | None:
    return next((layer for layer, marks in INNERMOST if any(m in frame for m in marks)), None)


def layer_of(stack: str) -> str:
    for layer, marks in INCLUSIVE:
        if any(mark in stack for mark in marks):
            return layer
    for frame in reversed(stack.split(";")):
        layer = _layer_of_frame(frame)
        if layer:
            return layer
    return OTHER


def summarise(collapsed: Path) -> tuple[Counter, int]:
    layers: Counter = Counter()
    pending = ""  # a frame's name may hold line breaks (a proxy's repr): lines until the count
    for line in collapsed.read_text().splitlines():
        stack, _, count = (pending + line).rpartition(" ")
        if not count.isdigit():
            pending += line + "\n"
            continue
        pending = ""
        layers[layer_of(stack)] += int(count)
    return layers, sum(layers.values())


class Sampler:
    """py-spy recording a process until stopped; SIGINT makes it write what it has."""

    def __init__(self, pid: int, out: Path):
        self.out = out
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("py-spy")),
                "record",
                "--pid",
                str(pid),
                "--rate",
                str(RATE_HZ),
                "--format",
                "raw",
                "--output",
                str(out),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(1)  # attached before the load starts

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        _, errors = self.process.communicate(timeout=60)
        if not self.out.exists():
            raise RuntimeError(f"py-spy wrote nothing: {errors.decode()}")


def profile_feed(database_url: str, seeded: dict, out: Path) -> None:
    with runner.running(runner.app_server(database_url, "profile-server")) as server:
        url = server.url + runner.SCENARIOS_BY_KEY["B1"].url_path(seeded)
        token = seeded["caller"]["token"]
        load = {"threads": 2, "connections": 32, "server": server}
        runner.wrk(url, token, duration=3, **load)
        sampler = Sampler(server.process.pid, out)
        result: dict = {}
        thread = threading.Thread(
            target=lambda: result.update(run=runner.wrk(url, token, duration=SECONDS, **load))
        )
        thread.start()
        thread.join()
        sampler.stop()
        print(f"  B1 under the profiler: {result['run'].rps:.0f} req/s", flush=True)


def profile_fanout(database_url: str, seeded: dict, out: Path) -> None:
    room = seeded["chat"]["room"]
    app = seeding.make_app(database_url)
    tokens = [seeding.issue_access(app, member) for member in seeded["chat"]["members"]]
    clients = runner.OUT / "fanout-clients.json"
    env = runner.FANOUT_ENV
    try:
        with runner.running(runner.app_server(database_url, "profile-fanout", **env)) as server:
            sampler = Sampler(server.process.pid, out)
            figures = runner._fanout(server, clients, room, tokens, "messages")
            sampler.stop()
            print(f"  B7 under the profiler: {json.dumps(figures)}", flush=True)
    finally:
        runner.forget_bench_messages(database_url, room)


SCENARIOS = {"B1": profile_feed, "B7": profile_fanout}


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout

    dirty = git("status", "--porcelain", "--untracked-files=no").strip()
    return git("rev-parse", "--short", "HEAD").strip() + ("+changes" if dirty else "")


def report(label: str, summaries: dict[str, tuple[Counter, int]]) -> str:
    keys = list(summaries)
    lines = [
        f"# Profiles `{label}` at commit `{commit()}`",
        "",
        f"py-spy, {RATE_HZ} Hz, on the server process; share of samples by layer "
        "(`layer_of` in bench/profiles.py says how a sample is attributed).",
        "",
        "| layer | " + " | ".join(keys) + " |",
        "|---|" + "---:|" * len(keys),
    ]
    for layer in LAYER_NAMES:
        cells = []
        for key in keys:
            layers, total = summaries[key]
            cells.append(f"{100 * layers[layer] / total:.0f} %" if total else "—")
        lines.append(f"| {layer} | " + " | ".join(cells) + " |")
    lines.append("| samples | " + " | ".join(str(summaries[k][1]) for k in keys) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    label, keys = argv[0], argv[1:] or list(SCENARIOS)
    database_url = runner.parse_args([]).database_url
    seeded = runner.ensure_seed(database_url, reseed=False)
    PROFILES.mkdir(parents=True, exist_ok=True)
    summaries = {}
    for key in keys:
        out = runner.OUT / f"profile-{label}-{key}.txt"
        kept = PROFILES / f"{label}-{key}.txt.gz"
        print(f"== {key}: profiling into {kept.relative_to(ROOT)}", flush=True)
        SCENARIOS[key](database_url, seeded, out)
        summaries[key] = summarise(out)
        kept.write_bytes(gzip.compress(out.read_bytes(), mtime=0))
    text = report(label, summaries)
    (PROFILES / f"{label}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main(sys.argv[1:])

"""B7: chat fan-out over the plain WebSocket, measured from the clients' side.

    .venv/bin/python bench/fanout.py URL CLIENTS_JSON messages|idle   # run.py runs it

CLIENTS_JSON names the room, the server's pid and the members' tokens. Every member
connects to `/ws/chat/<room>/`; the first one sends. After 50 messages of warm-up,
three phases:

1. paced: 500 messages at 100 a second; each member's connection (the sender's too:
   its copy is the acknowledgement) records when every message arrives;
2. closed loop: 500 messages, each sent as soon as the sender's copy of the previous
   one has arrived — messages/s and deliveries/s;
3. idle (on a fresh server): 500 connections (the members, ten each) open and idle,
   after one connection has come and gone; the server's RSS before and after, per
   connection.

Latency is the time from just before `send()` to the frame's arrival, on one clock
(one client process, green threads). The receivers read their sockets in large chunks
and parse the server's frames themselves (unmasked, RFC 6455 §5.2): websocket-client
reads a frame in several calls, which cost this process more CPU per delivery than the
server spends, and the two share the machine's two cores. Prints one line
`BENCH_JSON {...}`.
"""

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
import eventlet  # noqa: E402

eventlet.monkey_patch()

import json  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import websocket  # noqa: E402  (websocket-client, green under eventlet)

MARK = re.compile(rb'"text":\s*"b7 (\w) (\d+)"')
WARM_UP_MESSAGES = 50
PACED_MESSAGES = 500
PACED_RATE = 100
LOOP_MESSAGES = 500
IDLE_CONNECTIONS = 500
DRAIN_SECONDS = 10


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def connect(url: str, room: str, token: str) -> websocket.WebSocket:
    ws = websocket.create_connection(
        f"{url}/ws/chat/{room}/", header=[f"Authorization: Bearer {token}"], timeout=30
    )
    # Subscribed once the first frame is answered (README: Real-time chat).
    ws.send(json.dumps({"type": "ping"}))
    while '"pong"' not in ws.recv():
        pass
    return ws


TEXT, CLOSE, PING = 0x1, 0x8, 0x9


def split_frames(data: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """The whole server frames at the start of `data` (opcode, payload), and the rest."""
    frames, at = [], 0
    while len(data) - at >= 2:
        opcode, size, start = data[at] & 0x0F, data[at + 1] & 0x7F, at + 2
        if size >= 126:
            width = 2 if size == 126 else 8
            if len(data) - start < width:
                break
            size, start = int.from_bytes(data[start : start + width], "big"), start + width
        if len(data) - start < size:
            break
        frames.append((opcode, data[start : start + size]))
        at = start + size
    return frames, data[at:]


class Receiver:
    """One member's connection: when each bench message arrived, by phase and number."""

    def __init__(self, ws: websocket.WebSocket):
        self.ws = ws
        self.arrived: dict[tuple[str, int], float] = {}
        self.waiters: dict[tuple[str, int], eventlet.Event] = {}
        self.thread = eventlet.spawn(self.run)

    def run(self) -> None:
        # What websocket-client read past the handshake's last frame, if anything.
        pending = b"".join(self.ws.frame_buffer.recv_buffer)
        while True:
            try:
                data = self.ws.sock.recv(1 << 16)
            except OSError:
                return
            if not data:
                return
            now = time.perf_counter()
            frames, pending = split_frames(pending + data)
            for opcode, payload in frames:
                if opcode == TEXT:
                    self.record(payload, now)
                elif opcode == PING:
                    self.ws.pong(payload)
                elif opcode == CLOSE:
                    return

    def record(self, payload: bytes, now: float) -> None:
        found = MARK.search(payload)
        if found:
            key = (found.group(1).decode(), int(found.group(2)))
            self.arrived[key] = now
            waiter = self.waiters.pop(key, None)
            if waiter is not None:
                waiter.send(now)


def send(ws: websocket.WebSocket, phase: str, n: int) -> None:
    frame = {"type": "chat_message", "message": f"b7 {phase} {n}", "reply_to": None, "files": []}
    ws.send(json.dumps(frame))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def drain(receivers: list[Receiver], phase: str, count: int) -> None:
    deadline = time.perf_counter() + DRAIN_SECONDS
    while time.perf_counter() < deadline:
        if all(sum(1 for k in r.arrived if k[0] == phase) >= count for r in receivers):
            return
        eventlet.sleep(0.05)


def warm_up(receivers: list[Receiver]) -> None:
    """50 messages, not measured: the server's pools and caches warm, as wrk's warm-up does."""
    for n in range(WARM_UP_MESSAGES):
        send(receivers[0].ws, "w", n)
        eventlet.sleep(1 / PACED_RATE)
    drain(receivers, "w", WARM_UP_MESSAGES)


def paced(receivers: list[Receiver]) -> dict:
    sender = receivers[0].ws
    sent: dict[int, float] = {}
    start = time.perf_counter()
    for n in range(PACED_MESSAGES):
        eventlet.sleep(max(0.0, start + n / PACED_RATE - time.perf_counter()))
        sent[n] = time.perf_counter()
        send(sender, "p", n)
    drain(receivers, "p", PACED_MESSAGES)
    per_receiver, every, lost = [], [], 0
    for receiver in receivers:
        latencies = [
            (receiver.arrived[("p", n)] - sent[n]) * 1000
            for n in sent
            if ("p", n) in receiver.arrived
        ]
        lost += PACED_MESSAGES - len(latencies)
        every += latencies
        per_receiver.append((percentile(latencies, 0.5), percentile(latencies, 0.99)))
    return {
        "messages": PACED_MESSAGES,
        "rate": PACED_RATE,
        "receivers": len(receivers),
        "lost": lost,
        "p50_ms": percentile(every, 0.5),
        "p99_ms": percentile(every, 0.99),
        "receiver_p50_median_ms": statistics.median(p50 for p50, _ in per_receiver),
        "receiver_p99_worst_ms": max(p99 for _, p99 in per_receiver),
        "receiver_p99_median_ms": statistics.median(p99 for _, p99 in per_receiver),
    }


def closed_loop(receivers: list[Receiver]) -> dict:
    own = receivers[0]
    start = time.perf_counter()
    for n in range(LOOP_MESSAGES):
        waiter = eventlet.Event()
        own.waiters[("c", n)] = waiter
        send(own.ws, "c", n)
        with eventlet.Timeout(DRAIN_SECONDS):
            waiter.wait()
    acked = time.perf_counter()
    drain(receivers, "c", LOOP_MESSAGES)
    arrivals = [t for r in receivers for k, t in r.arrived.items() if k[0] == "c"]
    last = max(arrivals)
    expected = LOOP_MESSAGES * len(receivers)
    return {
        "messages": LOOP_MESSAGES,
        "messages_per_s": LOOP_MESSAGES / (acked - start),
        "deliveries": len(arrivals),
        "deliveries_per_s": len(arrivals) / (last - start),
        "lost": expected - len(arrivals),
    }


def idle(url: str, room: str, tokens: list[str], pid: int) -> dict:
    connect(url, room, tokens[0]).close()  # the first connection's one-time costs
    eventlet.sleep(2)
    before = rss_kib(pid)
    pool = eventlet.GreenPool(50)
    sockets = list(
        pool.imap(lambda n: connect(url, room, tokens[n % len(tokens)]), range(IDLE_CONNECTIONS))
    )
    eventlet.sleep(3)
    after = rss_kib(pid)
    for ws in sockets:
        ws.close()
    return {
        "connections": IDLE_CONNECTIONS,
        "rss_before_kib": before,
        "rss_after_kib": after,
        "kib_per_connection": (after - before) / IDLE_CONNECTIONS,
    }


def main() -> None:
    """`fanout.py URL CLIENTS_JSON messages` (phases 1 and 2) or `... idle` (phase 3)."""
    url, clients_file, phases = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(clients_file) as file:
        clients = json.load(file)
    room, tokens, pid = clients["room"], clients["tokens"], clients["pid"]
    ws_url = url.replace("http://", "ws://")
    if phases == "idle":
        result = {"idle": idle(ws_url, room, tokens, pid)}
    else:
        receivers = [Receiver(connect(ws_url, room, token)) for token in tokens]
        warm_up(receivers)
        result = {"paced": paced(receivers), "closed_loop": closed_loop(receivers)}
        for receiver in receivers:
            receiver.ws.close()
    print("BENCH_JSON " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

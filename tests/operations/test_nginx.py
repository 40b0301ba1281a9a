"""deploy/nginx.conf for real: Debian's nginx in front of two `python wsgi.py` processes on
PostgreSQL and Redis. Socket.IO clients (long-polling first, then upgraded) and plain
WebSocket clients on both processes exchange messages with none lost; one process is killed
and its clients reconnect through nginx to the other; restarted, it takes clients again.

nginx hashes clients by address; all test clients connect from 127.0.0.1, so the test's
outer configuration takes the address from an `X-Client-Address` header (nginx's realip
module, standing for distinct client machines). deploy/nginx.conf itself is used as shipped,
but for its listening port and its two upstream addresses.
"""

import os
import queue
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from contextlib import ExitStack

import pytest
import socketio

from tests.conftest import ROOT, free_port, run_wsgi, wait_for_port
from tests.realtime.support import NAMESPACE, WsClient, ws_url

ON_POSTGRES = (os.environ.get("DATABASE_URL") or "").startswith("postgres")
pytestmark = pytest.mark.skipif(
    not (ON_POSTGRES and os.environ.get("REDIS_URL")),
    reason="processes behind a load balancer share PostgreSQL and Redis: CI's second pass",
)
TIMEOUT = 10
OUTER = """
daemon off;
worker_processes 1;
{user}
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 512; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Client-Address;
    add_header X-Upstream $upstream_addr always;
    include {dir}/uzbekhub.conf;
}}
"""


def site_config(listen: int, ports: list[int]) -> str:
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    site, listens = re.subn(r"listen 80;", f"listen 127.0.0.1:{listen};", site)
    servers = iter(ports)
    site, upstreams = re.subn(
        r"server 127\.0\.0\.1:\d+", lambda _: f"server 127.0.0.1:{next(servers)}", site
    )
    assert (listens, upstreams) == (1, 2)
    return site


def start_nginx(directory, listen: int, ports: list[int]) -> subprocess.Popen:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert os.path.exists(nginx), "nginx is not installed (.ci/run installs nginx-light)"
    (directory / "uzbekhub.conf").write_text(site_config(listen, ports))
    user = "user root;" if os.geteuid() == 0 else ""
    (directory / "nginx.conf").write_text(OUTER.format(dir=directory, user=user))
    proc = subprocess.Popen(
        [nginx, "-p", str(directory), "-c", str(directory / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=open(directory / "stderr.log", "wb"),  # noqa: SIM115
    )
    wait_for_port(listen, proc, directory / "stderr.log")
    return proc


def upstream_of(base: str, address: str) -> str:
    request = urllib.request.Request(f"{base}/healthz", headers={"X-Client-Address": address})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        return response.headers["X-Upstream"].split(", ")[-1]


class SioClient:
    """python-socketio's client as browsers use it: long-polling first, then the upgrade;
    reconnecting by itself when its process goes away."""

    def __init__(self, base: str, token: str, address: str):
        self.events: queue.Queue = queue.Queue()
        self.connected = queue.Queue()
        self.sio = socketio.Client(reconnection=True, reconnection_delay=0.2)
        self.sio.on("chat_message", self._message, namespace=NAMESPACE)
        self.sio.on("connect", lambda: self.connected.put(True), namespace=NAMESPACE)
        self.sio.connect(
            base,
            namespaces=[NAMESPACE],
            auth={"token": token},
            headers={"X-Client-Address": address},
            transports=["polling", "websocket"],
            wait_timeout=TIMEOUT,
        )
        self.connected.get(timeout=TIMEOUT)

    def _message(self, data):
        self.events.put(data["message"]["text"])

    def upgraded(self) -> bool:
        deadline = time.monotonic() + TIMEOUT
        while self.sio.transport() != "websocket" and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.sio.transport() == "websocket"

    def texts(self, count: int) -> list[str]:
        return [self.events.get(timeout=TIMEOUT) for _ in range(count)]

    def close(self):
        self.sio.disconnect()


class PlainClient:
    def __init__(self, base: str, token: str, address: str, room: str):
        self.ws = WsClient(ws_url(base, room), token, headers=(f"X-Client-Address: {address}",))
        self.ws.quiet()

    def send(self, text: str) -> None:
        self.ws.send({"type": "chat_message", "message": text})

    def texts(self, count: int) -> list[str]:
        return [self.ws.expect("chat_message")["message"]["text"] for _ in range(count)]

    def close(self):
        self.ws.close()


def test_two_processes_behind_nginx_lose_no_message_and_survive_a_restart(
    app_overrides, test_paths, mail_catcher, team, tmp_path
):
    ports = [free_port(), free_port()]
    env = {"PROXY_FIX_HOPS": "1", "WEB_CONCURRENCY": "2", "CHAT_FRAMES_PER_SECOND": "0"}
    listen = free_port()
    base = f"http://127.0.0.1:{listen}"
    with ExitStack() as stack:
        servers = [
            stack.enter_context(
                run_wsgi(app_overrides, test_paths, mail_catcher, PORT=str(p), **env)
            )
            for p in ports
        ]
        nginx = start_nginx(tmp_path, listen, ports)
        stack.callback(lambda: (nginx.terminate(), nginx.wait(10)))

        # Client addresses that nginx sends to each process.
        by_process: dict[str, list[str]] = {f"127.0.0.1:{p}": [] for p in ports}
        for n in range(1, 60):
            address = f"10.0.0.{n}"
            by_process[upstream_of(base, address)].append(address)
        first, second = (by_process[f"127.0.0.1:{p}"] for p in ports)
        assert len(first) >= 2 and len(second) >= 2

        opened = []
        stack.callback(lambda: [client.close() for client in opened])
        owner_ws = PlainClient(base, team.owner.access, first[0], team.room)
        member_ws = PlainClient(base, team.member.access, second[0], team.room)
        owner_sio = SioClient(base, team.owner.access, second[1])
        member_sio = SioClient(base, team.member.access, first[1])
        opened += [owner_ws, member_ws, owner_sio, member_sio]
        assert owner_sio.upgraded() and member_sio.upgraded()

        def everyone_gets(sent: list[str], receivers) -> None:
            for receiver in receivers:
                assert receiver.texts(len(sent)) == sent

        # Both processes: each message once, in order, on every connection.
        sent = []
        for n in range(10):
            sender = owner_ws if n % 2 == 0 else member_ws
            sender.send(f"round one {n}")
            sent.append(f"round one {n}")
        # Messages from one sender arrive in its order; two senders interleave, so compare
        # per sender as well as in total.
        for receiver in (owner_ws, member_ws, owner_sio, member_sio):
            got = receiver.texts(len(sent))
            assert sorted(got) == sorted(sent)
            assert [t for t in got if int(t.rsplit(" ", 1)[1]) % 2 == 0] == sent[0::2]

        # The first process dies; its clients reconnect through nginx to the second.
        servers[0].proc.send_signal(signal.SIGKILL)
        servers[0].proc.wait(10)
        assert member_sio.connected.get(timeout=20)
        owner_ws.close()
        owner_ws = PlainClient(base, team.owner.access, first[0], team.room)
        opened.append(owner_ws)
        assert upstream_of(base, first[0]).endswith(f":{ports[1]}")
        sent = [f"round two {n}" for n in range(5)]
        for text in sent:
            member_ws.send(text)
        everyone_gets(sent, [owner_ws, member_ws, owner_sio, member_sio])

        # Restarted, it takes its clients again once nginx retries it (fail_timeout, 5 s).
        restarted = stack.enter_context(
            run_wsgi(app_overrides, test_paths, mail_catcher, PORT=str(ports[0]), **env)
        )
        deadline = time.monotonic() + 20
        while not upstream_of(base, first[2]).endswith(f":{ports[0]}"):
            assert time.monotonic() < deadline, "nginx never sent clients back to the restarted one"
            time.sleep(0.5)
        back = PlainClient(base, team.member.access, first[2], team.room)
        opened.append(back)
        sent = [f"round three {n}" for n in range(5)]
        for text in sent:
            owner_ws.send(text)
        everyone_gets(sent, [back, owner_ws, member_ws, owner_sio, member_sio])
        assert restarted.proc.poll() is None

"""The JavaScript socket.io-client (what the web frontend uses), driven from the tests.

`tests/js/package.json` pins it; the first test that needs it installs it with `npm ci`
(node and npm must be on the machine). One node process (`tests/js/sio_driver.js`) holds
any number of sockets, each reporting its events as JSON lines.
"""

import fcntl
import itertools
import json
import queue
import shutil
import subprocess
import threading

from tests.conftest import ROOT

JS_DIR = ROOT / "tests" / "js"
TIMEOUT = 5


def install() -> None:
    """`npm ci` once, whichever of several test sessions gets there first."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise RuntimeError(
                f"{tool} is needed for the socket.io-client tests (.ci/run installs it)"
            )
    with open(JS_DIR / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (JS_DIR / "node_modules" / "socket.io-client" / "package.json").exists():
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund"],
                cwd=JS_DIR,
                check=True,
                timeout=300,
                stdout=subprocess.DEVNULL,
            )


class JsSocket:
    def __init__(self, driver: "JsDriver", socket_id: int):
        self.driver = driver
        self.id = socket_id
        self.events: queue.Queue = queue.Queue()

    def next(self, timeout: float = TIMEOUT) -> tuple[str, object]:
        return self.events.get(timeout=timeout)

    def expect(self, kind: str, timeout: float = TIMEOUT):
        event, data = self.next(timeout)
        assert event == kind, (event, data)
        return data

    def emit(self, event: str, data=None) -> None:
        self.driver.send({"op": "emit", "id": self.id, "event": event, "data": data})

    def close(self) -> None:
        self.driver.send({"op": "close", "id": self.id})


class JsDriver:
    def __init__(self):
        self.proc = subprocess.Popen(
            ["node", "sio_driver.js"],
            cwd=JS_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self._ids = itertools.count(1)
        self._sockets: dict[int, JsSocket] = {}
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def open(self, base: str, token: str, transports=("polling", "websocket")) -> JsSocket:
        socket = JsSocket(self, next(self._ids))
        self._sockets[socket.id] = socket
        self.send(
            {"op": "open", "id": socket.id, "url": base, "token": token, "transports": transports}
        )
        return socket

    def send(self, command: dict) -> None:
        with self._lock:
            self.proc.stdin.write(json.dumps(command) + "\n")
            self.proc.stdin.flush()

    def _read(self) -> None:
        for line in self.proc.stdout:
            report = json.loads(line)
            socket = self._sockets.get(report["id"])
            if socket is not None:
                socket.events.put((report["event"], report.get("data")))

    def stop(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()

"""A TCP proxy that holds every chunk for a while each way: a server behind it reaches a
real service (Redis) as over a slow network, which widens the races that timing hides."""

import contextlib
import socket
import threading
import time
from collections.abc import Iterator


@contextlib.contextmanager
def slow_proxy(host: str, port: int, delay: float) -> Iterator[int]:
    """Listen on a free loopback port (yielded) and relay to (host, port)."""
    listener = socket.create_server(("127.0.0.1", 0))
    connections: list[socket.socket] = []

    def relay(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                time.sleep(delay)
                target.sendall(data)
        for end in (source, target):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = listener.accept()
                upstream = socket.create_connection((host, port))
                connections.extend((client, upstream))
                threading.Thread(target=relay, args=(client, upstream), daemon=True).start()
                threading.Thread(target=relay, args=(upstream, client), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() in progress
        listener.close()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

"""Network peers that misbehave, for the tests of what the service does about them."""

import socket
import threading
from contextlib import contextmanager


@contextmanager
def silent_server():
    """A TCP port that accepts connections and never says a word: a database or Redis that
    hangs, as a blackholed host does (the clients' own waits are minutes or for ever)."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for connection in [*held, listener]:
            connection.close()

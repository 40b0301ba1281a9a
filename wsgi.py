"""Entry point. `python wsgi.py` serves HTTP, Socket.IO and the plain WebSocket on one port.

Only this module imports eventlet, and it patches the standard library before
anything else is imported, so the rest of the code stays async-mode-neutral.
"""

import os
import warnings

if __name__ == "__main__" and os.environ.get("ASYNC_MODE", "eventlet") == "eventlet":
    # Known and accepted (DESIGN.md §7): the rest of the code is async-mode-neutral.
    warnings.filterwarnings("ignore", message="Eventlet is deprecated")
    import eventlet

    eventlet.monkey_patch()
    # psycopg2 talks to PostgreSQL through C code; psycogreen makes it yield to the hub.
    from psycogreen.eventlet import patch_psycopg

    patch_psycopg()

from uzbekhub import create_app  # noqa: E402
from uzbekhub.common.http_headers import access_logger  # noqa: E402
from uzbekhub.extensions import socketio  # noqa: E402

app = create_app()


def server_options() -> dict:
    """eventlet's WSGI server with Nagle's algorithm off on every connection.

    eventlet writes an answer larger than its 16 KiB buffer in two sends; with Nagle on,
    the second waits for the client's delayed ACK (40 ms on Linux) before it leaves.
    """
    if os.environ.get("ASYNC_MODE", "eventlet") != "eventlet":
        return {}
    import socket

    import eventlet.wsgi

    class NoDelayProtocol(eventlet.wsgi.HttpProtocol):
        def setup(self):
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().setup()

    return {"protocol": NoDelayProtocol}


if __name__ == "__main__":
    socketio.run(
        app,
        host=app.config["HOST"],
        port=app.config["PORT"],
        log_output=True,
        log=access_logger(),
        **server_options(),
    )

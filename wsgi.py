"""Entry point. `python wsgi.py` serves HTTP, Socket.IO and the plain WebSocket on one port.

Only this module imports eventlet, and it patches the standard library before
anything else is imported, so the rest of the code stays async-mode-neutral.
"""

import os
import signal
import sys
import warnings


def outside_the_environment(missing: ModuleNotFoundError) -> SystemExit:
    """`flask` or `python` from outside the virtual environment lacks the project's packages:
    say how to run it instead of a traceback (or flask's "No such command")."""
    return SystemExit(
        f"UzbekHub's packages are not installed for {sys.executable}"
        f" (no module {missing.name!r}).\n"
        "Run it from its virtual environment: `make run` creates .venv and starts the server;\n"
        "other commands are `.venv/bin/flask --app wsgi <command>`"
        " (or `. .venv/bin/activate` first)."
    )


EVENTLET = __name__ == "__main__" and os.environ.get("ASYNC_MODE", "eventlet") == "eventlet"

# Known and accepted (README, "Deployment"): only this module depends on eventlet.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

if EVENTLET:
    try:
        import eventlet
    except ModuleNotFoundError as missing:
        raise outside_the_environment(missing) from None

    eventlet.monkey_patch()
    # psycopg2 talks to PostgreSQL through C code; psycogreen makes it yield to the hub.
    from psycogreen.eventlet import patch_psycopg

    patch_psycopg()

try:
    from uzbekhub import create_app
    from uzbekhub.chat.message_queue import subscribe
    from uzbekhub.chat.realtime import shutdown
    from uzbekhub.chat.ws import RELEASE_HTTP_BUFFERS
    from uzbekhub.common import offload
    from uzbekhub.common.request_log import EVENTLET_ACCESS_LINE, server_logger
    from uzbekhub.extensions import socketio
    from uzbekhub.index import announce
except ModuleNotFoundError as missing:
    raise outside_the_environment(missing) from None

app = create_app()


def stop_gracefully_on_signals() -> None:
    """On SIGTERM (or Ctrl-C): stop accepting connections, let the frames and requests in
    progress finish, close the real-time connections (plain WebSocket: 1001), exit.
    Whatever still runs after SHUTDOWN_TIMEOUT is cut short; a second signal exits at once.
    """
    import greenlet
    from eventlet import hubs

    server = greenlet.getcurrent()
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    # The hub may sleep in poll() for a long time: the signal's byte on this pipe wakes it.
    signal.set_wakeup_fd(write_fd)
    received = []

    def on_signal(signum, frame):
        if received:
            os._exit(128 + signum)
        received.append(signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, on_signal)

    def stop():
        hubs.trampoline(read_fd, read=True)
        os.read(read_fd, 64)
        app.logger.info("stopping: no new connections; finishing what is in progress")
        # eventlet.wsgi.server stops accepting on SystemExit, then waits for its requests.
        hubs.get_hub().schedule_call_global(0, server.throw, SystemExit)
        shutdown(app)
        eventlet.sleep(app.config["SHUTDOWN_TIMEOUT"])
        app.logger.warning("requests still running after SHUTDOWN_TIMEOUT: exiting anyway")
        os._exit(1)

    eventlet.spawn(stop)


def http_protocol():
    """eventlet's HTTP protocol with Nagle's algorithm off on every connection, and buffers
    that a WebSocket can give back.

    eventlet writes an answer larger than its 16 KiB buffer in two sends; with Nagle on,
    the second waits for the client's delayed ACK (40 ms on Linux) before it leaves.
    A WebSocket reads and writes the socket itself: the HTTP reader's and writer's
    buffers (24 KiB) would sit unused for as long as it stays open.
    """
    import socket

    import eventlet.wsgi

    class Protocol(eventlet.wsgi.HttpProtocol):
        def setup(self):
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().setup()

        def get_environ(self):
            environ = super().get_environ()
            environ[RELEASE_HTTP_BUFFERS] = self.release_buffers
            return environ

        def release_buffers(self):
            # An unbuffered file object takes their place: while one is open, closing the
            # socket (simple-websocket does when its reader ends) waits for this protocol
            # to finish, which shuts it down in order.
            unbuffered = self.connection.makefile("rwb", buffering=0)
            self.rfile.close()
            self.wfile.close()
            self.rfile = self.wfile = unbuffered

    return Protocol


if __name__ == "__main__":
    options = {}
    if EVENTLET:
        from eventlet import tpool

        # Images and password hashes are computed on real threads, not on the hub's.
        offload.use(tpool.execute)
        stop_gracefully_on_signals()
        options["max_size"] = app.config["MAX_CONNECTIONS"]
        options["protocol"] = http_protocol()
    announce(app)
    # A connection told it is connected must hear what other processes send from then on.
    subscribe(socketio.server)
    socketio.run(
        app,
        host=app.config["HOST"],
        port=app.config["PORT"],
        log_output=True,
        log=server_logger(),
        log_format=EVENTLET_ACCESS_LINE,
        **options,
    )
    app.logger.info("stopped")

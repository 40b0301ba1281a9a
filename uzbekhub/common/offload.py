"""CPU-heavy work (decoding and re-encoding images, hashing passwords) off the event loop.

Under eventlet every request runs on one OS thread: a green thread computing for
seconds would stall every other request and socket. `python wsgi.py` (the one module
that imports eventlet) hands `use()` eventlet's `tpool.execute`, which runs the work in
a pool of real threads while the caller's green thread waits; Pillow and argon2 release
the GIL while they compute. Elsewhere (threads, tests, `flask run`) the caller is a real
thread already and the work runs where it is called.

Offloaded functions take plain values and touch nothing of the app or the request:
they run outside its context, on threads that eventlet's green locks do not know.
"""

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def _in_this_thread(func: Callable[..., T], *args: Any) -> T:
    return func(*args)


_runner: Callable[..., Any] = _in_this_thread


def use(runner: Callable[..., Any]) -> None:
    """Run offloaded work with `runner(func, *args)` from now on (once, at startup)."""
    global _runner
    _runner = runner


def offload(func: Callable[..., T], *args: Any) -> T:
    """`func(*args)`, computed where it cannot stall the event loop; its result or exception."""
    return _runner(func, *args)

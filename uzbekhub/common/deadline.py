"""Asking a host that may never answer, with a deadline.

A database or Redis host that drops packets (a blackholed address), or a socket that accepts
and then says nothing, keeps its client waiting for minutes (TCP's retries) or for ever:
libpq's `connect_timeout` does not apply under psycogreen, whose green connection polls
without a limit, and an established connection has no timeout at all. Readiness checks and
the server's first lines must answer anyway, so their calls run on threads of their own
(green ones under eventlet, whose patching makes `threading` green) and are given up on
when their time is over. A thread given up on is left to finish or fail by itself; while it
still waits, the next call under its name is given up on at once instead of queueing
another thread behind it.
"""

import threading
import time
from collections.abc import Callable
from typing import Any


class NoAnswer(Exception):
    """The call did not return in time (or an earlier call under its name still waits)."""


_waiting: dict[str, threading.Thread] = {}
_lock = threading.Lock()


def answers_within(seconds: float, calls: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Each call's result (or the exception it raised), the calls run together; NoAnswer for
    those that have not returned when `seconds` have passed."""
    deadline = time.monotonic() + seconds
    outcomes: dict[str, dict] = {}
    threads: dict[str, threading.Thread] = {}
    for name, call in calls.items():
        outcomes[name] = {}
        with _lock:
            previous = _waiting.get(name)
            if previous is not None and previous.is_alive():
                outcomes[name]["error"] = NoAnswer(f"{name}: the previous call still waits")
                continue
            thread = threading.Thread(
                target=_run, args=(call, outcomes[name]), name=f"deadline-{name}", daemon=True
            )
            _waiting[name] = threads[name] = thread
            thread.start()
    results = {}
    for name, outcome in outcomes.items():
        thread = threads.get(name)
        if thread is not None:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                outcome.setdefault("error", NoAnswer(f"{name}: no answer within {seconds:g}s"))
        results[name] = outcome["error"] if "error" in outcome else outcome["value"]
    return results


def _run(call: Callable[[], Any], outcome: dict) -> None:
    try:
        outcome["value"] = call()
    except Exception as exc:
        outcome["error"] = exc

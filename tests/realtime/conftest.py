"""Real-time fixtures: Socket.IO test clients in the process, real clients of live servers."""

import contextlib
from dataclasses import dataclass

import pytest

from tests.chat.support import create_group
from tests.conftest import run_wsgi
from tests.realtime.support import SioClient, WsClient, ws_url
from tests.support.factories import Account


@pytest.fixture
def clients():
    """Real clients of live servers, closed after the test."""
    opened = []

    class Clients:
        def ws(self, base, account=None, room=None, token=None, in_query=False, ready=True):
            """A plain WebSocket; `ready` waits until the server has registered it (the
            handshake completes before the token is checked, so that a bad one gets its
            close code): events committed before that are not for this socket."""
            token = token if token is not None else account.access if account else None
            if in_query:
                client = WsClient(ws_url(base, room, token=token))
            else:
                client = WsClient(ws_url(base, room), token)
            opened.append(client)
            if ready:
                client.quiet()
            return client

        def sio(self, base, account=None, token=None):
            client = SioClient(base, token if token is not None else account.access)
            opened.append(client)
            return client

    yield Clients()
    for client in opened:
        with contextlib.suppress(Exception):
            client.close()


@pytest.fixture
def start_server(app_overrides, test_paths, mail_catcher):
    """More `python wsgi.py` processes for one test, with extra environment variables."""
    with contextlib.ExitStack() as stack:

        def start(**env):
            return stack.enter_context(run_wsgi(app_overrides, test_paths, mail_catcher, **env))

        yield start


@dataclass
class Team:
    """A group room with its owner and a member, and a user outside it."""

    room: str
    owner: Account
    member: Account
    outsider: Account


@pytest.fixture
def team(client, make_account) -> Team:
    owner = make_account(first_name="Olim")
    member = make_account(first_name="Murod")
    outsider = make_account(first_name="Otabek")
    return Team(create_group(client, owner, [member], name="Team"), owner, member, outsider)

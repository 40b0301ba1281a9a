"""Real-time fixtures: Socket.IO test clients in the process, real clients of live servers."""

import contextlib
from dataclasses import dataclass

import pytest

from tests.conftest import run_wsgi
from tests.realtime.js_client import JsDriver
from tests.realtime.js_client import install as install_js_clients
from tests.realtime.support import SioClient, WsClient, ws_url
from tests.support.chat import create_group
from tests.support.factories import Account


@pytest.fixture
def clients():
    """Real clients of live servers, closed after the test."""
    opened = []

    class Clients:
        def ws(self, base, account=None, room=None, token=None, in_query=False, ready=True):
            """A plain WebSocket; `ready` checks that nothing arrived before the answer to a
            ping (a refused socket gets its close code instead)."""
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


@pytest.fixture(scope="session")
def js_sio():
    """The JavaScript socket.io-client: `js_sio.open(base, token)` gives a socket."""
    install_js_clients()
    driver = JsDriver()
    yield driver
    driver.stop()

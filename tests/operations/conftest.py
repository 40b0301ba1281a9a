"""The live-server fixtures of tests/realtime serve the operations tests too."""

from tests.realtime.conftest import clients, start_server, team  # noqa: F401

"""docs/: the client's reference stands on its own, and its examples work."""

import json
import re
import urllib.request

from tests.conftest import ROOT
from uzbekhub.chat.protocol import FRAMES

DOCS = ROOT / "docs"
EVENTS = (
    "chat_message",
    "message_edited",
    "message_deleted",
    "user_typing",
    "message_read",
    "room_cleared",
    "room_deleted",
    "room_updated",
    "member_added",
    "member_removed",
    "role_changed",
    "pong",
    "error",
)


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def test_every_link_between_documents_leads_somewhere():
    pages = [ROOT / "README.md", *DOCS.glob("*.md")]
    for page in pages:
        for target in re.findall(r"\]\(([^)#:]+\.md)", page.read_text()):
            assert (page.parent / target).is_file(), f"{page.name} -> {target}"
    assert {"errors.md", "pagination.md", "throttling.md", "tokens.md", "realtime.md"} <= {
        p.name for p in DOCS.glob("*.md")
    }


def test_the_realtime_reference_shows_every_frame_and_event_as_json():
    text = (DOCS / "realtime.md").read_text()
    frames = [
        json.loads(line)
        for block in code_blocks(text, "json")
        for line in ([block] if block.lstrip().startswith("{\n") else block.splitlines())
        if line.strip()
    ]
    shown = {frame["type"] for frame in frames}
    assert set(FRAMES) <= shown
    assert set(EVENTS) <= shown
    for code in ("4401", "4403", "4404", "1001", "1008", "1009", "1011"):
        assert f"| {code} |" in text


def test_the_websocket_examples_carry_their_token():
    text = (DOCS / "realtime.md").read_text()
    [javascript] = [b for b in code_blocks(text, "javascript") if "new WebSocket" in b]
    assert re.search(r"new WebSocket\(`[^`]*\?token=\$\{", javascript)
    [python] = code_blocks(text, "python")
    assert "Authorization: Bearer {token}" in python


def test_the_documented_python_client_gets_its_pong(live_server, make_account):
    token = make_account().access
    [python] = code_blocks((DOCS / "realtime.md").read_text(), "python")
    program = python.replace("ws://127.0.0.1:5000", live_server.replace("http", "ws", 1))
    printed = []
    exec(program, {"token": token, "print": printed.append})  # noqa: S102 (our own docs)
    assert printed == [{"type": "pong"}]


def test_the_readme_points_to_the_reference_and_the_index_answers(live_server):
    readme = (ROOT / "README.md").read_text()
    assert "docs/README.md" in readme
    with urllib.request.urlopen(f"{live_server}/", timeout=10) as response:
        assert json.loads(response.read())["links"]["swagger_ui"].endswith("/swdoc/")

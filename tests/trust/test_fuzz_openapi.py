"""Schemathesis against our own OpenAPI document, signed in, with a fixed seed.

Every operation is fuzzed with valid and invalid input (schemathesis' positive and
negative modes), a bounded number of examples each. Half of the examples name real
objects of the caller's (its post, room, story...) so that requests get past the 404.
No answer may be a 5xx, every answer must match its documented schema and status, and
every error must have the exact format of docs/errors.md.
"""

import tempfile

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.failures import Failure
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.trust.world import World
from uzbekhub import create_app
from uzbekhub.accounts.models import User
from uzbekhub.accounts.tokens import issue_tokens
from uzbekhub.extensions import db

MAX_EXAMPLES = 12
SEED = 20240204


def load_schema():
    """The document, from an app of its own: pytest needs the operations when it collects."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "REDIS_URL": None,
            "ASYNC_MODE": "threading",
            "MEDIA_ROOT": tempfile.mkdtemp(prefix="uzbekhub-openapi-"),
        }
    )
    schema = schemathesis.openapi.from_dict(app.test_client().get("/openapi.json").get_json())
    # Unknown query parameters are ignored by design (README), so none are sent as "invalid".
    schema.config.generation.update(
        max_examples=MAX_EXAMPLES, deterministic=True, allow_extra_parameters=False
    )
    schema.config.seed = SEED
    return schema


schema = load_schema()


# --- docs/errors.md, exactly --------------------------------------------------------------------


class ErrorFormat(Failure):
    def __init__(self, message: str):
        super().__init__(operation="", title="Error format of docs/errors.md", message=message)
        self.code = "error_format"

    @property
    def _unique_key(self) -> str:
        return self.message


def error_format(ctx, response, case):
    """An error answer is exactly what docs/errors.md says for its status."""
    status = response.status_code
    if status < 400:
        return None
    body = response.json()
    if status == 400:
        ok = (
            set(body) == {"error", "details"}
            and body["error"] == "Invalid request data"
            and isinstance(body["details"], dict)
            and body["details"]
            and all(isinstance(v, list) and v for v in body["details"].values())
        )
    elif status in (401, 403):
        ok = set(body) == {"detail"} and isinstance(body["detail"], str) and body["detail"]
    elif status == 404:
        ok = body == {"error": "Resource not found"}
    elif status == 429:
        # schemathesis gives header names in lower case.
        headers = {name.lower() for name in response.headers}
        ok = set(body) == {"message", "wait_seconds"} and "retry-after" in headers
    else:
        ok = set(body) == {"error"} and isinstance(body["error"], str) and body["error"]
    if not ok:
        raise ErrorFormat(f"{status} answered {body!r}")
    return None


# --- who calls, and with which ids --------------------------------------------------------------


def real_ids(world: World) -> dict:
    """Values that name the caller's own objects (or users it may see), by where they go."""
    world.status  # noqa: B018 - made for the status operations
    in_path = {
        "post_id": world.post,
        "like_id": world.like,
        "comment_id": world.comment,
        "story_id": world.story,
        "reaction_id": world.reaction,
        "room_id": world.group,
        "message_id": world.message,
        "user_id": world.owner.id,
        "username": world.owner.username,
        "key": world.owner.username[:4],
        "distance": "25",
    }
    pk = {
        "/api/accounts/account/block/{pk}/": world.blocked.id,
        "/api/accounts/account/contact/{pk}/": world.contact_id,
        "/api/accounts/admin/user/{pk}/": world.other.id,
        "/api/stories/archive/{pk}/": world.expired_story,
        "/api/stories/archive/{pk}/viewers/": world.expired_story,
        "/api/chat/files/{pk}/": world.chat_file["id"],
        "/api/chat/rooms/{pk}/clear_messages/": world.group,
    }
    in_body = {
        "post": world.post,
        "reply_to": world.comment,
        "story": world.peer_story,
        "user_id": world.peer.id,
        "contact": world.peer.id,
        "blocked_user": world.peer.id,
        "members": [world.peer.id],
        "marked": [world.peer.id],
    }
    return {"path": in_path, "pk": pk, "body": in_body}


def name_real_objects(case, known: dict) -> None:
    path = case.operation.path
    for name in case.path_parameters or {}:
        value = known["pk"].get(path) if name == "pk" else known["path"].get(name)
        if value is not None:
            case.path_parameters[name] = str(value)
    if isinstance(case.body, dict):
        for name in case.body:
            if name in known["body"]:
                case.body[name] = known["body"][name]


def token_of(app, user_id: int) -> str | None:
    with app.app_context():
        user = db.session.get(User, user_id)
        return issue_tokens(user)["access"] if user is not None else None


@pytest.fixture
def fuzz_world(app, client):
    world = World(app, client)
    return world, real_ids(world), {"calls": 0}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api(case, app, fuzz_world):
    world, known, counter = fuzz_world
    counter["calls"] += 1
    path = case.operation.path
    # Only valid examples are steered: an invalid one must stay invalid.
    positive = case._meta is None or case._meta.generation.mode.is_positive
    if positive and counter["calls"] % 2 == 0:
        name_real_objects(case, known)
    caller = world.staff if path.startswith("/api/accounts/admin/") else world.owner
    token = token_of(app, caller.id)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    # The document came from another app instance; requests go to the suite's (its database).
    case.operation.schema.app = app
    case.call_and_validate(
        app=app,
        headers=headers,
        additional_checks=[error_format],
        # Rules across fields and ids that must exist are 400s by design (docs/errors.md).
        excluded_checks=[positive_data_acceptance],
    )


def test_the_error_format_check_refuses_other_shapes():
    class Answer:
        headers: dict = {}

        def __init__(self, status, body):
            self.status_code, self._body = status, body

        def json(self):
            return self._body

    error_format(None, Answer(404, {"error": "Resource not found"}), None)
    error_format(
        None, Answer(400, {"error": "Invalid request data", "details": {"x": ["y"]}}), None
    )
    for status, body in [
        (404, {"detail": "Not found"}),
        (400, {"error": "Invalid request data", "details": {}}),
        (401, {"error": "x"}),
        (429, {"message": "Request was throttled", "wait_seconds": 3}),
        (500, {"error": "x", "traceback": "..."}),
    ]:
        with pytest.raises(ErrorFormat):
            error_format(None, Answer(status, body), None)

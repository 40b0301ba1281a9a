"""A client developer's first hour: where things are, mail in development, a database that was
never migrated, a quiet start."""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

from tests.conftest import ROOT, run_wsgi
from uzbekhub.common.schema_state import NOT_MIGRATED
from uzbekhub.extensions import db

PRODUCTION = {"APP_ENV": "production", "SECRET_KEY": "s" * 40, "JWT_SECRET_KEY": "j" * 40}


def in_subprocess(code: str, **env) -> subprocess.CompletedProcess:
    """Run `code` with a fresh app: create_app binds the shared extensions to the app it makes."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "ASYNC_MODE": "threading", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- GET / ----------------------------------------------------------------------------------------


def test_the_root_answers_an_index_of_the_docs(client):
    response = client.get("/")
    assert response.status_code == 200
    body = response.get_json()
    assert body["links"]["swagger_ui"] == "http://localhost/swdoc/"
    assert body["links"]["redoc"] == "http://localhost/redoc/"
    assert body["links"]["openapi"] == "http://localhost/openapi.json"
    assert body["links"]["websocket"] == "ws://localhost/ws/chat/"
    assert body["links"]["dev_mail"] == "http://localhost/dev/mail/"
    assert body["socketio_namespace"] == "/chat"
    for url in ("swagger_ui", "redoc", "openapi", "dev_mail"):
        assert client.get(body["links"][url].removeprefix("http://localhost")).status_code == 200


# --- /dev/mail/ -------------------------------------------------------------------------------


def sign_up(client, email):
    password = "first-hour-42"
    body = {"email": email, "password": password, "confirm_password": password}
    assert client.post("/api/accounts/auth/signup/", json=body).status_code == 201


def test_dev_mail_shows_the_last_mails_as_json_and_as_a_page(client, mail_catcher):
    sign_up(client, "first@example.com")
    code = mail_catcher.code_for("first@example.com")
    response = client.get("/dev/mail/", headers={"Accept": "application/json"})
    assert response.status_code == 200
    [mail] = response.get_json()["mails"]
    assert mail["to"] == "first@example.com"
    assert code in mail["body"]
    assert mail["sent_at"].endswith("Z")
    page = client.get("/dev/mail/", headers={"Accept": "text/html"})
    assert page.mimetype == "text/html"
    assert code in page.get_data(as_text=True)


def test_dev_mail_escapes_what_it_shows(app, client):
    from uzbekhub.common.mail import send_mail

    with app.app_context():
        send_mail("x@example.com", "<script>alert(1)</script>", "body")
    page = client.get("/dev/mail/").get_data(as_text=True)
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_dev_mail_does_not_exist_in_production():
    result = in_subprocess(
        "from uzbekhub import create_app\n"
        "from uzbekhub.common.mail import send_mail\n"
        "app = create_app()\n"
        "with app.app_context(): send_mail('x@example.com', 'code', '12345')\n"
        "client = app.test_client()\n"
        "print(client.get('/dev/mail/').status_code, client.get('/dev/mail/').get_json())\n"
        "print('dev_mail' in client.get('/').get_json()['links'], 'dev_mail' in app.extensions)\n",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "404 {'error': 'Resource not found'}",
        "False False",
    ]


# --- a database that was never migrated --------------------------------------------------------


def test_a_missing_table_is_503_saying_to_migrate(app, client, caplog):
    table = db.metadata.tables["public_comments"]
    with app.app_context():
        table.drop(db.engine)
    try:
        response = client.get("/api/comments/comment")
    finally:
        with app.app_context():
            table.create(db.engine)
    assert response.status_code == 503
    assert response.get_json() == {
        "error": "The database schema is not migrated: run `flask db upgrade`."
    }
    assert NOT_MIGRATED in caplog.text


def test_a_database_that_is_away_is_still_503_about_connectivity(app, client, caplog):
    from sqlalchemy.exc import OperationalError

    from uzbekhub.errors import handle_database_error

    with app.test_request_context():
        response = handle_database_error(OperationalError("SELECT 1", {}, Exception("gone")))
    assert response.status_code == 503
    assert "not migrated" not in response.get_data(as_text=True)
    assert "database unavailable" in caplog.text
    assert NOT_MIGRATED not in caplog.text


def _get(url, **headers):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_server_names_its_docs_and_an_unmigrated_database_first(
    app_overrides, test_paths, mail_catcher, empty_database
):
    overrides = {**app_overrides, "SQLALCHEMY_DATABASE_URI": empty_database}
    with run_wsgi(overrides, test_paths, mail_catcher) as server:
        status, body = _get(f"{server.url}/api/comments/comment")
        index_status, index = _get(f"{server.url}/")
        server.proc.terminate()
        server.proc.wait(timeout=10)
        log = server.log_path.read_text()
    assert status == 503 and "flask db upgrade" in body["error"]
    assert index_status == 200 and index["links"]["swagger_ui"] == f"{server.url}/swdoc/"
    first_lines = "\n".join(log.splitlines()[:8])
    assert f"UzbekHub on {server.url}/" in first_lines
    for path in ("/swdoc/", "/redoc/", "/openapi.json", "/dev/mail/"):
        assert f"{server.url}{path}" in first_lines
    assert NOT_MIGRATED in first_lines
    assert "Eventlet is deprecated" not in log


def test_flask_commands_do_not_print_the_eventlet_deprecation(empty_database):
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "heads"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": empty_database, "ASYNC_MODE": "eventlet"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "(head)" in result.stdout
    assert "Eventlet is deprecated" not in result.stdout + result.stderr


# --- running it ---------------------------------------------------------------------------------


def without(module: str, then: str, **env) -> subprocess.CompletedProcess:
    """Python as it is outside the virtual environment: `module` cannot be imported."""
    return in_subprocess(f"import sys\nsys.modules[{module!r}] = None\n{then}", **env)


def test_flask_outside_the_environment_says_how_to_run_it():
    result = without(
        "flask_smorest",
        "sys.argv = ['flask', '--app', 'wsgi', 'seed-demo']\nfrom flask.cli import main\nmain()",
    )
    assert result.returncode == 1
    assert "No such command" not in result.stderr
    assert "no module 'flask_smorest'" in result.stderr
    assert ".venv/bin/flask --app wsgi <command>" in result.stderr
    assert "Traceback" not in result.stderr


def test_python_wsgi_py_outside_the_environment_says_how_to_run_it():
    result = without(
        "eventlet",
        "import runpy\nrunpy.run_path('wsgi.py', run_name='__main__')",
        ASYNC_MODE="eventlet",
    )
    assert result.returncode == 1
    assert "no module 'eventlet'" in result.stderr and "make run" in result.stderr


def make_dry_run(target: str, tmp_path) -> str:
    venv = tmp_path / "venv"
    result = subprocess.run(
        ["make", "-n", target, f"VENV={venv}"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_run_installs_only_what_the_server_needs_and_shows_progress(tmp_path):
    commands = make_dry_run("run", tmp_path)
    assert "pip install --progress-bar on -r requirements.txt" in commands
    assert "requirements-dev.txt" not in commands
    assert "--quiet" not in commands
    assert "wsgi.py" in commands


def test_make_test_adds_the_test_tools(tmp_path):
    commands = make_dry_run("test", tmp_path)
    assert "-r requirements.txt" in commands and "-r requirements-dev.txt" in commands
    assert "pytest" in commands


def test_make_demo_seeds_after_migrating(tmp_path):
    commands = make_dry_run("demo", tmp_path)
    assert commands.index("db upgrade") < commands.index("seed-demo")

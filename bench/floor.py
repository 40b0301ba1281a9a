"""F1, the framework floor: a bare Flask route that runs one SQL statement, served as
`python wsgi.py` serves the API, on HOST/PORT.

    DATABASE_URL=postgresql://... .venv/bin/python bench/floor.py

What no endpoint of this service can go below: eventlet's WSGI server with the same
access log and socket options as B6 (bench/ceiling.py), psycopg2 made green by
psycogreen, a Flask app, and one `SELECT 1` through SQLAlchemy on a pooled connection
in autocommit (as the hot reads run), answered with a small JSON. No authentication, no
middleware of this project. A scenario's CPU per request over this one's says how far it
is from the floor.
"""

import os
import sys
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message="Eventlet is deprecated")
import eventlet  # noqa: E402

eventlet.monkey_patch()
from psycogreen.eventlet import patch_psycopg  # noqa: E402

patch_psycopg()

from flask import Flask  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.ceiling import serve  # noqa: E402
from config import load_config, normalise_database_url  # noqa: E402
from uzbekhub import engine_options  # noqa: E402

STATEMENT = text("SELECT 1")


def floor_app(database_url: str) -> Flask:
    config = load_config({**os.environ, "DATABASE_URL": database_url})
    engine = create_engine(
        normalise_database_url(database_url),
        **engine_options({**config, "ASYNC_MODE": "eventlet"}),
    )
    app = Flask(__name__)

    @app.get("/")
    def one_statement():
        with engine.connect() as connection:
            driver_connection = connection.connection.dbapi_connection
            driver_connection.autocommit = True
            try:
                value = connection.execute(STATEMENT).scalar()
            finally:
                driver_connection.autocommit = False
        return {"ok": value}

    return app


def main() -> None:
    serve(floor_app(os.environ["DATABASE_URL"]), 5002)


if __name__ == "__main__":
    main()

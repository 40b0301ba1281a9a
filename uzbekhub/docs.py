"""OpenAPI pages that work offline: their assets are served by this app.

Swagger UI comes from the pinned `swagger-ui-bundle` package; ReDoc 2.5.2 is
vendored under static/redoc with its logo URL pointed at a local file.
"""

import os

import swagger_ui_bundle
from flask import Blueprint, Flask, send_from_directory

STATIC_PREFIX = "/docs-static"
REDOC_DIR = os.path.join(os.path.dirname(__file__), "static", "redoc")

DESCRIPTION = """\
Tokens and sessions. Signing in (password or Google) starts a session and answers an access
token (15 minutes by default), sent as `Authorization: Bearer <access>`, and a refresh token
(7 days), sent only to the refresh and logout operations.

- Refresh answers a new pair in the same session and revokes the refresh token it was given;
  access tokens issued before stay valid until they expire.
- A refresh token is used once. Sent again within a few seconds of its rotation (a retry, two
  tabs at once) it is a 401 and nothing else happens; sent again later it is taken for a
  stolen copy and the whole session ends (all its tokens and sockets).
- Logout ends its session. A password change or reset and account deletion end every session.
- A 401 is `{"detail": sentence}`, one sentence per cause:
  "Authentication credentials were not provided." (no token),
  "Token is invalid." (not ours, the wrong kind, malformed claims),
  "Token has expired.",
  "Token has been revoked." (logged out, session ended, refresh token already used,
  password changed, account deleted).
"""

docs_assets = Blueprint("docs_assets", __name__, url_prefix=STATIC_PREFIX)


@docs_assets.get("/swagger-ui/<path:filename>")
def swagger_ui_asset(filename):
    return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)


@docs_assets.get("/redoc/<path:filename>")
def redoc_asset(filename):
    return send_from_directory(REDOC_DIR, filename)


def docs_config() -> dict:
    return {
        "API_TITLE": "UzbekHub API",
        "API_VERSION": "v1.0",
        "API_SPEC_OPTIONS": {"info": {"description": DESCRIPTION}},
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "/swdoc/",
        "OPENAPI_SWAGGER_UI_URL": f"{STATIC_PREFIX}/swagger-ui/",
        "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None, "persistAuthorization": True},
        "OPENAPI_REDOC_PATH": "/redoc/",
        "OPENAPI_REDOC_URL": f"{STATIC_PREFIX}/redoc/redoc.standalone.js",
    }


def register_docs_assets(app: Flask) -> None:
    app.register_blueprint(docs_assets)

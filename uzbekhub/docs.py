"""OpenAPI pages that work offline: their assets are served by this app.

Swagger UI comes from the pinned `swagger-ui-bundle` package; ReDoc 2.5.2 is
vendored under static/vendor/redoc (third-party code: not ours to edit or fold) with its logo
URL pointed at a local file.
"""

import os

import swagger_ui_bundle
from flask import Blueprint, Flask, send_from_directory

from uzbekhub.openapi_examples import DESCRIPTION, ExamplesPlugin

STATIC_PREFIX = "/docs-static"
REDOC_DIR = os.path.join(os.path.dirname(__file__), "static", "vendor", "redoc")


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
        "OPENAPI_VERSION": "3.0.3",
        "API_SPEC_OPTIONS": {"info": {"description": DESCRIPTION}},
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


def spec_plugins() -> dict:
    """Plugins of the OpenAPI document beyond flask-smorest's own."""
    return {"extra_plugins": [ExamplesPlugin()]}

"""flask-smorest, adapted once for the whole API.

- validation errors are 400 (DESIGN.md §3), not webargs' 422;
- two extra body locations: `multipart` (form fields and files in one schema)
  and `body` (JSON, or multipart when the client sends files);
- `Blueprint.login_required` / `staff_required` that also document the Bearer
  security scheme and the 401/403 answers.
"""

from copy import deepcopy
from functools import wraps

import flask_smorest
from flask import request
from flask_jwt_extended import current_user, verify_jwt_in_request
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import MultiDict

from uzbekhub.common.errors_doc import ERROR_RESPONSES, ErrorSchema
from uzbekhub.errors import Forbidden

FORM_MIMETYPES = {"multipart/form-data", "application/x-www-form-urlencoded"}


class Parser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 400
    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "multipart": None,
        "body": None,
    }


parser = Parser()


@parser.location_loader("multipart")
def load_multipart(req, schema):
    combined = MultiDict(list(req.form.items(multi=True)) + list(req.files.items(multi=True)))
    return parser._makeproxy(combined, schema)


@parser.location_loader("body")
def load_body(req, schema):
    if req.mimetype in FORM_MIMETYPES:
        return load_multipart(req, schema)
    return parser.load_json(req, schema)


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_responses(self):
        super()._register_responses()
        for name, schema in ERROR_RESPONSES.items():
            if schema is not self.ERROR_SCHEMA:
                self.spec.components.schema(name, schema=schema)

    def init_app(self, app, *, spec_kwargs=None):
        super().init_app(app, spec_kwargs=spec_kwargs)
        self.spec.components.security_scheme(
            "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        )


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = parser
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **flask_smorest.Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "multipart": "multipart/form-data",
        "body": "application/json",
    }

    def _prepare_arguments_doc(self, doc, doc_info, *, api, spec, **kwargs):
        # Looked at first: the parent moves the body parameter into requestBody.
        body_params = [
            p for p in doc_info.get("arguments", {}).get("parameters", []) if p.get("in") == "body"
        ]
        doc = super()._prepare_arguments_doc(doc, doc_info, api=api, spec=spec, **kwargs)
        # A `body` argument accepts JSON and multipart: document both media types.
        if body_params and "requestBody" in doc:
            content = doc["requestBody"]["content"]
            content["multipart/form-data"] = deepcopy(content["application/json"])
        return doc

    def login_required(self, func=None, *, staff=False):
        """Require a valid access token (and staff rights if `staff`)."""

        def decorator(view):
            @wraps(view)
            def wrapper(*args, **kwargs):
                verify_jwt_in_request()
                if staff and not current_user.is_staff:
                    raise Forbidden()
                return view(*args, **kwargs)

            responses = {"401": ERROR_RESPONSES_REF["401"]}
            if staff:
                responses["403"] = ERROR_RESPONSES_REF["403"]
            return self.doc(security=[{"bearerAuth": []}], responses=responses)(wrapper)

        return decorator(func) if func is not None else decorator

    def staff_required(self, func):
        return self.login_required(func, staff=True)


ERROR_RESPONSES_REF = {
    "401": {
        "description": "Missing, expired, revoked or malformed token",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AuthError"}}},
    },
    "403": {
        "description": "Forbidden",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AuthError"}}},
    },
}


def is_form_request() -> bool:
    return request.mimetype in FORM_MIMETYPES

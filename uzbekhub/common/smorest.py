"""flask-smorest, adapted once for the whole API.

- validation errors are 400 (docs/errors.md), not webargs' 422;
- two extra body locations: `multipart` (form fields and files in one schema)
  and `body` (JSON, or multipart when the client sends files);
- `Blueprint.login_required` (staff too) that also documents the Bearer security
  scheme and the 401/403 answers, and `Blueprint.signed_in`, the one-line stack of a
  view for a signed-in caller built on it;
- error answers documented with the bodies uzbekhub.errors really sends: every
  status code's response component carries its error schema, and every operation
  documents 404 when its path names an object, 413 when it takes a body, and its
  security (an empty list for open routes).
"""

import http
from collections.abc import Callable, Sequence
from copy import deepcopy
from functools import wraps

import flask_smorest
from flask import request
from flask_smorest.utils import prepare_response
from webargs.core import missing
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import MultiDict

from uzbekhub.common.errors_doc import (
    ERROR_RESPONSES,
    AuthErrorSchema,
    ErrorSchema,
    ThrottledSchema,
    ValidationErrorSchema,
)
from uzbekhub.errors import Forbidden, UnsupportedMediaType

JSON_MIMETYPE = "application/json"
FORM_MIMETYPES = {"multipart/form-data", "application/x-www-form-urlencoded"}


class Parser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 400
    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "multipart": None,
        "body": None,
    }

    def _raw_load_json(self, req):
        if not req.content_length:
            return missing
        accept_body_types(req, JSON_MIMETYPE)
        # Flask keeps the parsed body: throttle keys (`request.get_json()`) see this value.
        return req.get_json()


parser = Parser()


def accept_body_types(req, *accepted: str) -> None:
    """415 naming what the endpoint reads, for a body of another type (or of none)."""
    if req.mimetype in accepted or (JSON_MIMETYPE in accepted and req.is_json):
        return
    raise UnsupportedMediaType(req.mimetype, accepted)


@parser.location_loader("multipart")
def load_multipart(req, schema):
    if req.content_length:
        accept_body_types(req, *sorted(FORM_MIMETYPES))
    combined = MultiDict(list(req.form.items(multi=True)) + list(req.files.items(multi=True)))
    return parser._makeproxy(combined, schema)


@parser.location_loader("body")
def load_body(req, schema):
    if req.content_length:
        accept_body_types(req, JSON_MIMETYPE, *sorted(FORM_MIMETYPES))
    if req.mimetype in FORM_MIMETYPES:
        return load_multipart(req, schema)
    return parser.load_json(req, schema)


# The body each error status is answered with (uzbekhub.errors.error_body).
ERROR_SCHEMA_OF_STATUS = {
    400: ValidationErrorSchema,
    401: AuthErrorSchema,
    403: AuthErrorSchema,
    429: ThrottledSchema,
}


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_responses(self):
        for name, schema in ERROR_RESPONSES.items():
            if schema is not self.ERROR_SCHEMA:
                self.spec.components.schema(name, schema=schema)
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = ERROR_SCHEMA_OF_STATUS.get(status, self.ERROR_SCHEMA)
            prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        any_error = {"anyOf": [{"$ref": f"#/components/schemas/{n}"} for n in ERROR_RESPONSES]}
        self.spec.components.response(
            self.DEFAULT_ERROR_RESPONSE_NAME,
            {
                "description": "Any other error, in the format of docs/errors.md",
                "content": {self.DEFAULT_RESPONSE_CONTENT_TYPE: {"schema": any_error}},
            },
            lazy=True,
        )

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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._prepare_error_doc)

    def add_url_rule(self, rule, endpoint=None, view_func=None, *args, **kwargs):
        super().add_url_rule(rule, endpoint, view_func, *args, **kwargs)
        # Remembered for _prepare_error_doc, which sees one operation at a time.
        for method, info in self._docs[self._endpoints[-1]].items():
            if method != "parameters":
                info["rule"] = rule

    @staticmethod
    def _prepare_error_doc(doc, doc_info, **kwargs):
        """The answers every operation of its kind can give, and its security."""
        responses = doc.setdefault("responses", {})
        if "<" in doc_info.get("rule", ""):
            responses.setdefault("404", "NOT_FOUND")
        if "requestBody" in doc:
            responses.setdefault("413", "REQUEST_ENTITY_TOO_LARGE")
            responses.setdefault("415", "UNSUPPORTED_MEDIA_TYPE")
        doc.setdefault("security", [])
        return doc

    def _prepare_arguments_doc(self, doc, doc_info, *, api, spec, **kwargs):
        # Looked at first: the parent turns the body parameter into requestBody and drops it.
        params = [
            p for p in doc_info.get("arguments", {}).get("parameters", []) if isinstance(p, dict)
        ]
        bodies = [p for p in params if p.get("in") in self.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING]
        body_schema = bodies[0].get("schema") if bodies else None
        doc = super()._prepare_arguments_doc(doc, doc_info, api=api, spec=spec, **kwargs)
        if "requestBody" not in doc:
            return doc
        # A `body` argument accepts JSON and multipart: document both media types.
        if bodies[0].get("in") == "body":
            content = doc["requestBody"]["content"]
            content["multipart/form-data"] = deepcopy(content["application/json"])
        # A body without required fields may be left out: it reads as an empty one.
        if body_schema is not None and not _required_fields(body_schema):
            doc["requestBody"]["required"] = False
        return doc

    def login_required(self, view, *, staff=False):
        """Require a valid access token (and staff rights if `staff`)."""

        # Here, not at the top: the extensions (which accounts imports) import this module.
        from uzbekhub.accounts.caller import verify_access  # noqa: PLC0415

        @wraps(view)
        def wrapper(*args, **kwargs):
            caller = verify_access()
            if staff and not caller.is_staff:
                raise Forbidden()
            return view(*args, **kwargs)

        responses = {"401": error_response(401, "Missing, expired, revoked or malformed token")}
        if staff:
            responses["403"] = error_response(403)
        return self.doc(security=[{"bearerAuth": []}], responses=responses)(wrapper)

    def signed_in(
        self,
        status: int,
        schema=None,
        *,
        description: str | None = None,
        staff: bool = False,
        checks: Sequence[Callable] = (),
        **arguments,
    ):
        """The stack of a view for a signed-in caller, in one line and one order:
        `login_required` (`staff`), then `checks` (decorators that need the caller, such as a
        per-user throttle, and come before the arguments are read), then `arguments` for each
        `location=Schema` given, passed to the view in that order, then `response(status,
        schema)`."""

        def decorator(view):
            view = self.response(status, schema, description=description)(view)
            for location, args_schema in reversed(arguments.items()):
                view = self.arguments(args_schema, location=location)(view)
            for check in reversed(checks):
                view = check(view)
            return self.login_required(view, staff=staff)

        return decorator

    @staticmethod
    def answers(*codes: int, description: str | None = None):
        """Document error answers of a view that its kind does not already get: 400 comes
        with its arguments, 401 (and 403 for staff) with `login_required`, 404 with an id in
        its path, 413 with a body. `description` says what the code means for this view."""
        return flask_smorest.Blueprint.doc(
            responses={str(code): error_response(code, description) for code in codes}
        )


_SCHEMA_NAMES = {schema: name for name, schema in ERROR_RESPONSES.items()}


def error_response(status: int, description: str | None = None) -> dict:
    """The OpenAPI answer for an error status, with the body uzbekhub.errors sends for it."""
    schema = _SCHEMA_NAMES[ERROR_SCHEMA_OF_STATUS.get(status, ErrorSchema)]
    return {
        "description": description or http.HTTPStatus(status).phrase,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _required_fields(schema) -> list[str]:
    schema = schema() if isinstance(schema, type) else schema
    return [name for name, field in schema.fields.items() if field.required]


def is_form_request() -> bool:
    return request.mimetype in FORM_MIMETYPES

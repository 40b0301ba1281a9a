"""Security headers on every response, and access logs that never show tokens."""

import logging
import re

from flask import Flask, request

TOKEN_IN_URL = re.compile(r"((?:^|[?&\s])(?:token|access_token|refresh)=)[^&\s\"]+", re.IGNORECASE)
# The password-reset token travels in the path: /api/accounts/auth/reset-password/<token>/.
TOKEN_IN_PATH = re.compile(r"(/reset-password/)[^/?\s\"]+", re.IGNORECASE)

BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# API answers are data, never a page: nothing in them may load or run.
API_CSP = "default-src 'none'; frame-ancestors 'none'"


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def _security_headers(response):
        for name, value in BASE_HEADERS.items():
            response.headers.setdefault(name, value)
        if response.mimetype == "application/json":
            response.headers.setdefault("Content-Security-Policy", API_CSP)
            response.headers.setdefault("Cache-Control", "no-store")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def redact_tokens(text: str) -> str:
    return TOKEN_IN_PATH.sub(r"\1[redacted]", TOKEN_IN_URL.sub(r"\1[redacted]", text))


class RedactTokens(logging.Filter):
    """Blanks `?token=` (and similar) and reset tokens in log lines: URLs of socket connections
    and chat files carry access tokens, reset links carry reset tokens."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_tokens(record.getMessage())
        record.args = ()
        return True

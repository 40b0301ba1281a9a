"""OpenAPI entries for the error answers of the account routes (bodies: uzbekhub.errors)."""


def _error(description: str, schema: str = "Error") -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


NOT_FOUND = {"404": _error("Not found, or not visible to the caller")}
THROTTLED = {"429": _error("Throttled; see Retry-After", "Throttled")}
TOO_LARGE = {"413": _error("The uploaded file is over MAX_UPLOAD_MB")}
STAFF_TARGET = {"403": _error("Staff users cannot be deleted through the API", "AuthError")}

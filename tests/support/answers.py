"""What tests read from the API's answers."""


def field_errors(response) -> dict:
    """The `details` of a 400 answer: field name to its list of sentences."""
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == "Invalid request data", body
    return body["details"]

"""The hot reads' contract: an answer built from columns equals the documented schema's dump."""

import orjson

from uzbekhub.common.json import OrjsonProvider


def assert_answers_the_dump(response, expected, status: int = 200) -> None:
    """The answer is what the schema dumps for the same rows: the same values (compared
    first, for a readable difference), then the same bytes (keys in the schema's order)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.get_json() == expected
    assert response.get_data() == orjson.dumps(expected, option=OrjsonProvider.OPTIONS)

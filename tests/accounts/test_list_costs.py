"""Every account list costs the same number of SQL statements, however long it is."""

import pytest

from tests.accounts.helpers import (
    ADMIN_USERS,
    BLOCKS,
    CONTACTS,
    nearby_url,
    public_url,
    search_url,
    set_location,
    set_status,
    user_url,
)
from tests.support.factories import add_contact, block

SMALL, LARGE = 2, 30
# list -> (path, does the caller need staff rights)
LISTS = {
    "search": (search_url("zed"), False),
    "nearby": (nearby_url(50), False),
    "blocks": (BLOCKS, False),
    "contacts": (CONTACTS, False),
    "admin users": (ADMIN_USERS, True),
}
# The hot reads' statements at most, the caller's state being cached (its `User` is never
# loaded): the page with its total (search); the caller's position, then the candidates
# with what the page shows of them (nearby).
HOT_READ_STATEMENTS = {"search": 1, "nearby": 2}


def grow(app, make_account, caller, kind: str, count: int) -> None:
    """Add `count` users that `kind`'s list shows, each with everything a list might load."""
    for _ in range(count):
        other = make_account(first_name="Zed", phone="+998900000000")
        set_location(app, other, 41.30, 69.25, country="Uzbekistan", city="Tashkent")
        set_status(app, other, "here")
        add_contact(app, other, caller)  # makes the phone visible to the caller
        if kind == "blocks":
            block(app, caller, other)
        elif kind == "contacts":
            add_contact(app, caller, other)


def cost(client, statements, path, headers) -> tuple[int, int]:
    # Once first: the token's user state is then cached, as on every request but a user's first.
    client.get(path, headers=headers)
    with statements() as seen:
        response = client.get(path, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return len(response.get_json()), len(seen)


@pytest.mark.parametrize("kind", LISTS)
def test_a_list_costs_the_same_statements_short_or_long(
    app, client, statements, make_account, kind
):
    path, staff = LISTS[kind]
    caller = make_account(is_staff=staff)
    set_location(app, caller, 41.30, 69.24)
    listed_caller = 1 if kind == "admin users" else 0

    grow(app, make_account, caller, kind, SMALL)
    small_items, small_cost = cost(client, statements, path, caller.headers)
    grow(app, make_account, caller, kind, LARGE - SMALL)
    large_items, large_cost = cost(client, statements, path, caller.headers)

    assert (small_items, large_items) == (SMALL + listed_caller, LARGE + listed_caller)
    assert small_cost == large_cost, (
        f"{kind}: {small_cost} statements for {SMALL}, {large_cost} for {LARGE}"
    )
    assert large_cost <= HOT_READ_STATEMENTS.get(kind, large_cost), large_cost


def test_search_as_staff_costs_the_same_statements_short_or_long(
    app, client, statements, make_account
):
    staff = make_account(is_staff=True)
    grow(app, make_account, staff, "search", SMALL)
    _, small_cost = cost(client, statements, search_url("zed"), staff.headers)
    grow(app, make_account, staff, "search", LARGE - SMALL)
    items, large_cost = cost(client, statements, search_url("zed"), staff.headers)
    assert items == LARGE and small_cost == large_cost <= HOT_READ_STATEMENTS["search"]


def test_a_user_by_id_and_a_public_profile_read_only_the_user_shown(
    client, statements, make_account
):
    caller = make_account()
    shown = make_account(first_name="Zed")
    for path in (user_url(shown.id), public_url(shown.username)):
        _, seen = cost(client, statements, path, caller.headers)
        assert seen == 1, path

"""The three list shapes of docs/pagination.md.

- arrays bounded by `limit`/`offset`, with `X-Total-Count` and `Link` headers;
- the page-number envelope of the post feed;
- the limit/offset envelope of chat history.

Each costs two statements: one count and one page.
"""

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

import marshmallow as ma
from flask import request
from sqlalchemy import Select, func, select

from uzbekhub.common.db import MAX_ID
from uzbekhub.common.schemas import Schema
from uzbekhub.extensions import db

# Keeps OFFSET within a 32-bit integer on every backend, like ids.
MAX_OFFSET = MAX_ID

Fetch = Callable[[Select], Sequence[Any]]


class _ClampedArgs(Schema):
    """Over-large sizes are cut to the maximum rather than refused (as DRF does)."""

    MAXIMA: dict[str, int] = {}

    @ma.post_load
    def clamp(self, data, **kwargs):
        for key, maximum in self.MAXIMA.items():
            data[key] = min(data[key], maximum)
        return data


class ArrayArgsSchema(_ClampedArgs):
    MAXIMA = {"limit": 500}
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1))
    offset = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=MAX_OFFSET))


class PageArgsSchema(_ClampedArgs):
    MAXIMA = {"page_size": 100}
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=MAX_OFFSET))
    page_size = ma.fields.Integer(load_default=10, validate=ma.validate.Range(min=1))


class MessageArgsSchema(_ClampedArgs):
    MAXIMA = {"limit": 100}
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1))
    offset = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=MAX_OFFSET))


class EnvelopeSchema(Schema):
    """The envelope of both envelope lists; each list's subclass says what `results` holds."""

    count = ma.fields.Integer()
    next = ma.fields.String(allow_none=True)
    previous = ma.fields.String(allow_none=True)


def scalars(stmt: Select) -> Sequence[Any]:
    return db.session.scalars(stmt).all()


def count_of(stmt: Select) -> int:
    counted = stmt.order_by(None).with_only_columns(func.count(), maintain_column_froms=True)
    if stmt._distinct or stmt._group_by_clauses:
        counted = select(func.count()).select_from(stmt.order_by(None).subquery())
    return db.session.scalar(counted) or 0


def _url_with(**params) -> str:
    args = request.args.to_dict(flat=False)
    for key, value in params.items():
        args[key] = [str(value)]
    return f"{request.base_url}?{urlencode(args, doseq=True)}"


def array_page(stmt: Select, args: dict, fetch: Fetch = scalars) -> tuple[Sequence[Any], dict]:
    """One page of a JSON-array list and its headers."""
    total = count_of(stmt)
    items = fetch(stmt.limit(args["limit"]).offset(args["offset"]))
    return items, array_headers(total, args)


def array_headers(total: int, args: dict) -> dict:
    """`X-Total-Count` and, when another page exists, `Link` for an array list."""
    limit, offset = args["limit"], args["offset"]
    links = []
    if offset + limit < total:
        links.append(f'<{_url_with(limit=limit, offset=offset + limit)}>; rel="next"')
    if offset > 0:
        links.append(f'<{_url_with(limit=limit, offset=max(offset - limit, 0))}>; rel="prev"')
    headers = {"X-Total-Count": str(total)}
    if links:
        headers["Link"] = ", ".join(links)
    return headers


def page_envelope(
    stmt: Select, args: dict, fetch: Fetch = scalars, total: int | None = None
) -> dict:
    """`total`, when the caller can count more cheaply than `stmt` (the feed keeps counts)."""
    if total is None:
        total = count_of(stmt)
    limit, offset = page_window(args)
    return page_envelope_of(args, total, fetch(stmt.limit(limit).offset(offset)))


def page_window(args: dict) -> tuple[int, int]:
    """The LIMIT and OFFSET of a page-number page."""
    size = args["page_size"]
    return size, (args["page"] - 1) * size


def page_envelope_of(args: dict, total: int, items: Sequence[Any]) -> dict:
    """The page-number envelope around a page already read (see `page_window`)."""
    size, offset = page_window(args)
    return _envelope(total, items, size, offset, lambda at: _url_with(page=at // size + 1))


def limit_offset_envelope(
    stmt: Select, args: dict, fetch: Fetch = scalars, total: int | None = None
) -> dict:
    """`total`, when the caller keeps a count, saves counting rows (chat rooms keep one)."""
    if total is None:
        total = count_of(stmt)
    items = fetch(stmt.limit(args["limit"]).offset(args["offset"]))
    return limit_offset_envelope_of(args, total, items)


def limit_offset_envelope_of(args: dict, total: int, items: Sequence[Any]) -> dict:
    """The limit/offset envelope around a page already read with `args`' limit and offset."""
    limit = args["limit"]
    return _envelope(
        total, items, limit, args["offset"], lambda at: _url_with(limit=limit, offset=at)
    )


def _envelope(
    total: int, items: Sequence[Any], limit: int, offset: int, url_at: Callable[[int], str]
) -> dict:
    """Both envelopes: `url_at(offset)` links the slice that starts there."""
    return {
        "count": total,
        "next": url_at(offset + limit) if offset + limit < total else None,
        "previous": url_at(max(offset - limit, 0)) if offset > 0 else None,
        "results": items,
    }

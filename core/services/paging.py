"""Pages of a list: every listing service takes ``offset`` and ``limit`` and answers with a
``Page``, so front ends and the REST API page the same way, in SQL.

A service asks its query for one row more than the page (``window``); that row only says
whether a next page exists and is not returned (``page_of``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from core.errors import InvalidInput

T = TypeVar("T")
Query = TypeVar("Query", bound=Any)


class Page(BaseModel, Generic[T]):
    """One page of a list. Ask for the next with ``offset=next_offset``; ``None`` means
    this is the last page."""

    items: list[T]
    limit: int
    offset: int
    next_offset: int | None

    @property
    def more(self) -> bool:
        """Whether a next page exists."""
        return self.next_offset is not None


def check_window(*, offset: int, limit: int) -> None:
    if offset < 0:
        raise InvalidInput(f"offset must not be negative, not {offset}")
    if limit < 1:
        raise InvalidInput(f"limit must be at least 1, not {limit}")


def window(query: Query, *, offset: int, limit: int) -> Query:
    """``query`` (a ``select``) narrowed to the page and the one row after it."""
    check_window(offset=offset, limit=limit)
    return query.offset(offset).limit(limit + 1)


def page_of(rows: Sequence[T], *, offset: int, limit: int) -> Page[T]:
    """The page of ``rows``, which a query ``window``-ed at ``offset`` returned (at most
    ``limit + 1`` of them)."""
    more = len(rows) > limit
    return Page(
        items=list(rows[:limit]),
        limit=limit,
        offset=offset,
        next_offset=offset + limit if more else None,
    )


def slice_page(rows: Sequence[T], *, offset: int, limit: int) -> Page[T]:
    """The page of ``rows`` when the whole list had to be read to be filtered in Python
    (maintenance windows by their next occurrence, say)."""
    check_window(offset=offset, limit=limit)
    return page_of(rows[offset : offset + limit + 1], offset=offset, limit=limit)

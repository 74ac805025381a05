"""Pagination for the pages: ``limit`` (bounded, default 50, max 500) and ``offset`` from the
query, and the 上一页/下一页 links that keep the page's other filters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
OffsetQuery = Annotated[int, Query(ge=0, le=10_000_000)]


@dataclass(frozen=True)
class Pager:
    """One page of ``total`` rows from ``offset``; the links carry ``params`` (the filters)."""

    path: str
    total: int
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    params: tuple[tuple[str, str], ...] = ()

    def _url(self, offset: int) -> str:
        query = list(self.params)
        if self.limit != DEFAULT_LIMIT:
            query.append(("limit", str(self.limit)))
        if offset:
            query.append(("offset", str(offset)))
        return f"{self.path}?{urlencode(query)}" if query else self.path

    @property
    def first(self) -> int:
        """The first row's number on this page, from 1 (0 when there is none)."""
        return min(self.offset + 1, self.total) if self.total else 0

    @property
    def last(self) -> int:
        return min(self.offset + self.limit, self.total)

    @property
    def previous(self) -> str | None:
        return self._url(max(self.offset - self.limit, 0)) if self.offset > 0 else None

    @property
    def next(self) -> str | None:
        return (
            self._url(self.offset + self.limit) if self.offset + self.limit < self.total else None
        )


def filters(**values: object) -> tuple[tuple[str, str], ...]:
    """The query parameters a page's links keep: the filters that are set."""
    return tuple((k, str(v)) for k, v in values.items() if v not in (None, "", False))

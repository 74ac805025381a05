"""One way to page every list the API returns: ``limit`` (default 50, at most 500; more is a
422) and ``offset`` in the query. A list answered as a bare JSON array (the shape simulators,
tests and scripts read) says the rest in headers: ``X-Total-Count`` and, while more remain,
``Link: <...>; rel="next"``. Lists answered in an envelope ({total, ...}) send the same headers.
Lists read in sequence order (a unit's events) page by a cursor instead of an offset."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response
from sqlalchemy import Select, func, select

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_OFFSET = 10_000_000
TOTAL_HEADER = "X-Total-Count"

LimitQuery = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"at most {MAX_LIMIT} items per page")
]
OffsetQuery = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="items to skip")]


@dataclass
class Page:
    """The window a request asked for; ``total`` is filled in by ``fetch`` (per request)."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    total: int | None = field(default=None, compare=False)


def page_params(limit: LimitQuery = DEFAULT_LIMIT, offset: OffsetQuery = 0) -> Page:
    return Page(limit=limit, offset=offset)


PageDep = Annotated[Page, Depends(page_params)]


def fetch(db: Any, stmt: Select[Any], page: Page | None) -> Sequence[Any]:
    """The rows of ``stmt`` in ``page`` (all of them without one), counting the total."""
    if page is None:
        return db.execute(stmt).all()  # type: ignore[no-any-return]
    counted = select(func.count()).select_from(stmt.order_by(None).subquery())
    page.total = int(db.execute(counted).scalar_one())
    return db.execute(stmt.limit(page.limit).offset(page.offset)).all()  # type: ignore[no-any-return]


def send_headers(response: Response, request: Request, page: Page, returned: int) -> None:
    """X-Total-Count and, while items remain past this page, a Link to the next one."""
    total = page.total
    if total is not None:
        response.headers[TOTAL_HEADER] = str(total)
    more = page.offset + returned < total if total is not None else returned >= page.limit
    if more and returned:
        nxt = request.url.include_query_params(limit=page.limit, offset=page.offset + returned)
        response.headers["Link"] = f'<{_relative(nxt)}>; rel="next"'


def send_cursor_link(
    response: Response, request: Request, *, name: str, after: Any, limit: int, returned: int
) -> None:
    """A cursor-paged list: a Link to the page after ``after`` when this one was full."""
    if returned >= limit:
        nxt = request.url.include_query_params(**{name: after, "limit": limit})
        response.headers["Link"] = f'<{_relative(nxt)}>; rel="next"'


def _relative(url: Any) -> str:
    """Path and query only: behind a proxy the hub does not know the name it is reached by."""
    return f"{url.path}?{url.query}" if url.query else str(url.path)


PAGE_HEADERS: dict[int | str, dict[str, Any]] = {
    200: {
        "headers": {
            TOTAL_HEADER: {"description": "items in the whole list", "schema": {"type": "integer"}},
            "Link": {
                "description": 'the next page, as <url>; rel="next"',
                "schema": {"type": "string"},
            },
        }
    }
}

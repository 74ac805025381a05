"""The CSRF check for requests authenticated by the session cookie.

A state-changing request (anything but GET, HEAD, OPTIONS) must carry the session's token,
in the ``X-CSRF-Token`` header (the pages' script) or the ``csrf_token`` form field (a classic
form), compared in constant time; and when it names its origin (Origin, else Referer) that
must be this hub. Requests with an API token in a Bearer header need none of this: a browser
never adds that header to a form post on its own.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from fastapi import Request

from hub.errors import CsrfFailed

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
HEADER = "x-csrf-token"
FIELD = "csrf_token"
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def tokens_match(given: str | None, expected: str) -> bool:
    """Constant-time comparison; a missing or empty token never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


def same_origin_when_named(request: Request) -> bool:
    """True unless the request names an origin (Origin, else Referer) other than this host.
    Browsers send Origin on every cross-site POST; an absent one is a client that is no
    browser page (and then the token decides)."""
    host = request.headers.get("host")
    origin = request.headers.get("origin")
    if origin is not None:
        return origin != "null" and host is not None and urlsplit(origin).netloc == host
    referer = request.headers.get("referer")
    if referer is not None:
        return host is not None and urlsplit(referer).netloc == host
    return True


async def submitted_token(request: Request) -> str | None:
    """The token a request carries: the header, else a form's field."""
    given = request.headers.get(HEADER)
    if given is not None:
        return given
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in _FORMS:
        form = await request.form()  # Starlette keeps it: the route reads the same form
        value = form.get(FIELD)
        return value if isinstance(value, str) else None
    return None


async def check(request: Request, expected: str) -> None:
    """Refuse (403 csrf_failed) a state-changing request without ``expected``."""
    if request.method in SAFE_METHODS:
        return
    if not same_origin_when_named(request):
        raise CsrfFailed("this request comes from another site's page")
    if not tokens_match(await submitted_token(request), expected):
        raise CsrfFailed(
            "a change made with the session cookie needs the page's CSRF token "
            "(X-CSRF-Token header or csrf_token field)"
        )

"""What keeps a web page elsewhere from using the kiosk: the kiosk answers only requests
addressed to this machine's loopback names, actions only from its own origin, and every
answer carries headers that forbid framing and inline script.

The kiosk is served on 127.0.0.1 for the unit's own screen. Binding to loopback is not
enough on its own: with DNS rebinding a page from ``evil.example`` re-points its name at
127.0.0.1 and then talks to the kiosk as its *own* origin, so the browser's same-origin rule
and the ``X-Kiosk`` header no longer help. Such a request still says ``Host: evil.example``
(and ``Origin: http://evil.example`` on a POST), which is what is refused here.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# the only names the unit's own browser uses for the kiosk
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
SAFE_METHODS = frozenset({"GET", "HEAD"})
HEADERS = {
    # the kiosk's own files only: no inline script or style, no framing by another page
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
        "object-src 'none'"
    ),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-resource-policy": "same-origin",
}


def _hostname(netloc: str) -> str:
    """The host name of ``host[:port]`` (IPv6 literals in brackets), lower case."""
    name = urlsplit(f"//{netloc}").hostname
    return (name or "").lower()


def host_is_loopback(host: str | None) -> bool:
    return host is not None and _hostname(host) in LOOPBACK_NAMES


def origin_is_loopback(origin: str) -> bool:
    parts = urlsplit(origin)
    return parts.scheme == "http" and (parts.hostname or "").lower() in LOOPBACK_NAMES


def refusal(scope: Scope, headers: Headers) -> str | None:
    """Why this request is refused, or None. A change must not name a foreign origin; a
    browser always sends Origin on a POST, so an absent one is a local client, not a page."""
    if not host_is_loopback(headers.get("host")):
        return "host"
    if scope["method"] not in SAFE_METHODS:
        origin = headers.get("origin")
        if origin is not None and not origin_is_loopback(origin):
            return "origin"
        referer = headers.get("referer")
        if origin is None and referer is not None and not origin_is_loopback(referer):
            return "origin"
    return None


class KioskGuard:
    """ASGI middleware: the Host/Origin checks and the security headers above."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        reason = refusal(scope, Headers(scope=scope))
        if reason is not None:
            body = {"error": {"code": f"foreign_{reason}", "message": "拒绝访问：仅限本机窗口使用"}}
            await JSONResponse(body, 403)(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

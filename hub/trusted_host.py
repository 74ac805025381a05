"""The hub answers only requests addressed to its own host names (HubSettings.allowed_hosts).

Why: in local mode anonymous requests read as a viewer, and any hub is reachable from the
browsers of the people who use it. A hostile page can re-point its own DNS name at the hub
(DNS rebinding); the browser then treats the hub as that page's origin and lets it read the
answers. The request still names the page's host in its Host header, which is refused here,
before routing, authentication or the body are touched. A pure ASGI middleware (nothing is
buffered)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from hub.asgi_errors import send_error
from hub.errors import UnknownHost

log = logging.getLogger("bianmin.hub.http")


def host_name(host: str) -> str:
    """The name of a Host header (``name[:port]``, IPv6 in brackets), lower case; "" when it
    cannot be parsed."""
    try:
        return (urlsplit(f"//{host}").hostname or "").lower()
    except ValueError:
        return ""


def allowed(name: str, patterns: tuple[str, ...]) -> bool:
    """``name`` matches a pattern: exactly, ``*`` (any) or ``*.domain`` (a name under it)."""
    if not name:
        return False
    for pattern in patterns:
        pattern = pattern.lower()
        if pattern == "*" or pattern == name:
            return True
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
    return False


class TrustedHostMiddleware:
    def __init__(self, app: ASGIApp, hosts: tuple[str, ...]) -> None:
        self.app = app
        self.hosts = hosts
        self.any = "*" in hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.any:
            await self.app(scope, receive, send)
            return
        host = next((v for k, v in scope["headers"] if k == b"host"), b"")
        if allowed(host_name(host.decode("latin-1")), self.hosts):
            await self.app(scope, receive, send)
            return
        await send_error(
            send, UnknownHost("this hub does not answer to that host name (allowed_hosts)")
        )

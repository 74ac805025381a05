"""Request bodies capped before routing: a pure ASGI middleware, so nothing is buffered on the
way (BaseHTTPMiddleware would read the body it is meant to guard).

A declared Content-Length over the route's limit is answered 413 at once, before the app runs.
A chunked body is counted as it streams: the read that passes the limit raises, and whatever
the app then answers (FastAPI turns a failed body read into a 400) is replaced by the 413.
Either way the answer says ``Connection: close``, so the server drops the connection instead of
reading and discarding the rest of a huge body to keep it alive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.asgi_errors import send_error
from hub.errors import BodyTooLarge

Limit = Callable[[str, str], int]  # (method, path) -> the most body bytes that route reads


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses malformed framing itself
    return None


def _has_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"transfer-encoding" or (name == b"content-length" and value != b"0"):
            return True
    return False


def too_large(limit: int) -> BodyTooLarge:
    return BodyTooLarge(f"this route takes a body of at most {limit} bytes")


async def send_too_large(send: Send, limit: int) -> None:
    """The 413 in the hub's error shape (hub.handlers), closing the connection."""
    await send_error(send, too_large(limit))


@dataclass
class _Guard:
    """One request's body count and what the app has answered so far."""

    limit: int
    receive_next: Receive
    send_next: Send
    body_done: bool
    received: int = 0
    exceeded: bool = False
    started: bool = False
    replaced: bool = False

    async def receive(self) -> Message:
        if self.exceeded:
            raise too_large(self.limit)
        message = await self.receive_next()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            self.body_done = not message.get("more_body", False)
            if self.received > self.limit:
                self.exceeded = True
                raise too_large(self.limit)
        return message

    async def send(self, message: Message) -> None:
        if self.replaced:
            return  # the rest of the app's own answer, which the 413 replaced
        if message["type"] == "http.response.start":
            if self.exceeded and not self.started:
                self.replaced = self.started = True
                await send_too_large(self.send_next, self.limit)
                return
            self.started = True
            if not self.body_done:
                # answered before reading the whole body (e.g. a 401): do not drain the rest
                message = {**message, "headers": [*message["headers"], (b"connection", b"close")]}
        await self.send_next(message)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limit: Limit) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope["method"], scope["path"])
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await send_too_large(send, limit)
            return
        guard = _Guard(limit, receive, send, body_done=not _has_body(scope))
        try:
            await self.app(scope, guard.receive, guard.send)
        except BodyTooLarge:
            # raised from a read no handler caught; answer unless the app already began
            if guard.started:
                raise
            await send_too_large(send, limit)

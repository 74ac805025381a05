"""An error answered by the hub's outermost ASGI middleware (body limits, trusted hosts), before
FastAPI's handlers (hub.handlers) could: the same JSON shape, and the connection closed."""

from __future__ import annotations

import json

from starlette.types import Send

from hub.errors import HubError


async def send_error(send: Send, exc: HubError) -> None:
    body = json.dumps({"detail": {"code": exc.code, "message": str(exc)}}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": exc.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

"""The kiosk's web app: one page (vanilla HTML, CSS and JS from this package, no build step, no
CDN: the window has no network beyond the hub), a JSON view it polls, and one action route.

Served on 127.0.0.1 only (KIOSK_HOST). Actions need the `X-Kiosk: 1` header: a custom header
makes any cross-origin request a CORS preflight, which this app never answers, so a page from
elsewhere in the kiosk browser cannot drive the window. edge.kiosk.guard refuses requests
addressed to any name but loopback and actions from another origin (DNS rebinding), and sets
the security headers (CSP without inline script, no framing) on every answer.
"""

from __future__ import annotations

import json
import logging
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from edge.kiosk import view
from edge.kiosk.followup import followup_routes
from edge.kiosk.guard import KioskGuard
from edge.notices.desk import NoticeDesk
from edge.notices.kiosk import notice_routes
from edge.window.window import Window
from edge.workflow.errors import WorkflowError

log = logging.getLogger("bianmin.edge.kiosk")
STATIC = {
    "kiosk.js": "text/javascript", "identify.js": "text/javascript",
    "screens.js": "text/javascript", "clerk.js": "text/javascript",
    "recovery.js": "text/javascript", "kiosk.css": "text/css",
}  # fmt: skip
MAX_BODY = 16 * 1024
KIOSK_HOST = "127.0.0.1"  # the unit's own screen only


def _static(name: str) -> bytes:
    return (resources.files("edge.kiosk") / "static" / name).read_bytes()


def create_kiosk_app(window: Window, notices: NoticeDesk | None = None) -> Starlette:
    async def index(request: Request) -> Response:
        return HTMLResponse(_static("index.html"), headers={"cache-control": "no-store"})

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return Response(status_code=404)
        return Response(_static(name), media_type=STATIC[name])

    async def state(request: Request) -> Response:
        doc = view.build(window, await window.device_status(max_age_s=3.0))
        return JSONResponse(doc, headers={"cache-control": "no-store"})

    async def act(request: Request) -> Response:
        if request.headers.get("x-kiosk") != "1":
            return JSONResponse({"error": {"code": "forbidden", "message": "拒绝访问"}}, 403)
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"error": {"code": "too_large", "message": "请求过大"}}, 413)
        try:
            args: Any = json.loads(body) if body else {}
        except ValueError:
            args = None
        if not isinstance(args, dict):
            return JSONResponse({"error": {"code": "bad_request", "message": "请求格式错误"}}, 400)
        try:
            await window.act(request.path_params["name"], args)
        except WorkflowError as exc:
            return JSONResponse({"error": {"code": exc.code, "message": exc.message_zh}}, 409)
        return await state(request)

    return Starlette(
        routes=[
            *(notice_routes(notices) if notices is not None else []),  # edge.notices
            Route("/", index),
            Route("/static/{name}", static),
            Route("/api/view", state),
            Route("/api/act/{name}", act, methods=["POST"]),
            *followup_routes(window),  # 容缺补齐 and the feedback book (edge/kiosk/followup.py)
        ],
        middleware=[Middleware(KioskGuard)],
    )

"""The kiosk's notice routes, beside the window's own (edge.kiosk.app): the list as JSON, the
handover action, and the small script that shows them (no build step, no CDN). Actions need
the kiosk's `X-Kiosk: 1` header, as the window's do."""

from __future__ import annotations

from importlib import resources

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from edge.notices.desk import NoticeDesk
from edge.workflow.errors import WorkflowError


def notice_routes(desk: NoticeDesk) -> list[Route]:
    """Routes to mount before the kiosk's `/static/{name}` (they include `/static/notices.js`)."""

    async def view(request: Request) -> Response:
        return JSONResponse(desk.view(), headers={"cache-control": "no-store"})

    async def deliver(request: Request) -> Response:
        if request.headers.get("x-kiosk") != "1":
            return JSONResponse({"error": {"code": "forbidden", "message": "拒绝访问"}}, 403)
        try:
            await desk.deliver(request.path_params["notice_id"])
        except WorkflowError as exc:
            return JSONResponse({"error": {"code": exc.code, "message": exc.message_zh}}, 409)
        return await view(request)

    async def script(request: Request) -> Response:
        body = (resources.files("edge.notices") / "static" / "notices.js").read_bytes()
        return Response(body, media_type="text/javascript")

    return [
        Route("/api/notices", view),
        Route("/api/notices/{notice_id}/deliver", deliver, methods=["POST"]),
        Route("/static/notices.js", script),
    ]

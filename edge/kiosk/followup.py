"""The kiosk's follow-up screens, beside the case workflow: 容缺补齐 (look a case up by the
slip's QR or the applicant's ID number, tick what was handed in, record it) and the feedback
book (意见反馈簿). Reachable from the idle screen only; they never touch the window's open
case, and write to the event log like every step (committed before the clerk is told).

Routes (same rules as the window's actions: 127.0.0.1, `X-Kiosk: 1`, bounded JSON bodies, a
signed-in clerk when the unit has a roster, whose id the 补齐 carries):
``GET /api/followup/view``, ``POST /api/followup/{lookup|supply|feedback}``, and the page's
own script and style under ``/followup/``."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from edge.window.feedback import note, record_feedback
from edge.window.hubcalls import sent_generation
from edge.window.references import ReferenceUnavailable, reference_for
from edge.window.supply import Lookup, SupplyClient, record_supply
from edge.window.window import Window
from edge.workflow.errors import WorkflowError
from protocol import identity
from protocol.feedback import FEEDBACK_TOPIC_LABELS
from protocol.supply import OwedCase, OwedLookup, token_from_code, token_sha256

log = logging.getLogger("bianmin.edge.kiosk")
STATIC = {"followup.js": "text/javascript", "followup.css": "text/css"}
MAX_BODY = 8 * 1024
KEEP_RESULTS = timedelta(minutes=10)  # a lookup's cases may be recorded for this long
# quick phrases the resident may tap instead of typing
PHRASES = (
    "服务很好，谢谢",
    "希望缩短等候时间",
    "希望增加办理时段",
    "材料要求说明不清楚",
    "建议增加座位",
)


class FollowupError(WorkflowError):
    code = "followup"


class FollowupDesk:
    """The clerk's last lookup (only its cases may be recorded) and the two recordings."""

    def __init__(self, window: Window, client: SupplyClient | None = None) -> None:
        self.window = window
        registry = window.p.registry
        self.client = client or SupplyClient(
            registry.hub_url, registry.token, verify=registry.verify
        )
        self._found: dict[str, OwedCase] = {}
        self._found_at: datetime | None = None

    def _now(self) -> datetime:
        return self.window.p.clock()

    def view(self) -> dict[str, Any]:
        return {
            "hub": self.client.configured,
            "topics": [{"code": t.value, "label": label} for t, label in
                       FEEDBACK_TOPIC_LABELS.items()],
            "phrases": list(PHRASES),
            "open_case": self.window.case is not None,
        }  # fmt: skip

    async def lookup(self, args: dict[str, Any]) -> dict[str, Any]:
        """By ``code`` (what the QR scanner read, or the clerk pasted) or ``number`` (the ID
        number, turned into the keyed reference here; the number goes nowhere)."""
        code, number = args.get("code"), args.get("number")
        if isinstance(code, str) and code.strip():
            token = token_from_code(code)
            if token is None:
                raise FollowupError("无法识别二维码内容，请扫描回执上的二维码")
            query = OwedLookup(token_sha256=token_sha256(token))
        elif isinstance(number, str) and number.strip():
            p = self.window.p
            try:
                ref = await reference_for(identity.validate(number), p.id_key, p.references)
            except identity.InvalidIdNumber as exc:
                raise FollowupError(str(exc)) from None
            except ReferenceUnavailable as exc:
                raise FollowupError(exc.message_zh) from None
            query = OwedLookup(applicant=ref, generation=sent_generation(p.residents.generation()))
        else:
            raise FollowupError("请扫描回执二维码或输入身份证号码")
        found: Lookup = await self.client.owed(query)
        if found.error is not None:
            raise FollowupError(found.error)
        self._found = {str(c.case_id): c for c in found.cases}
        self._found_at = self._now()
        return {"cases": [_case(c) for c in found.cases]}

    async def supply(self, args: dict[str, Any]) -> dict[str, Any]:
        case = self._found.get(str(args.get("case_id", "")))
        fresh = self._found_at is not None and self._now() - self._found_at <= KEEP_RESULTS
        if case is None or not fresh:
            raise FollowupError("请先查询该办件")
        given = args.get("materials")
        names = [m for m in given if isinstance(m, str)] if isinstance(given, list) else []
        materials = [m for m in case.owed if m in names]
        if not materials:
            raise FollowupError("请勾选申请人本次补交的材料")
        clerk = self.window.clerks.current()
        await record_supply(
            self.window.p.store.event_log, case, materials, self._now(),
            clerk.id if clerk else None,
        )  # fmt: skip
        left = [m for m in case.owed if m not in materials]
        del self._found[str(case.case_id)]
        log.info("补齐 recorded for %s: %d of %d materials", case.case_ref, len(materials),
                 len(case.owed))  # fmt: skip
        return {"recorded": {"case_ref": case.case_ref, "materials": materials, "left": left}}

    async def feedback(self, args: dict[str, Any]) -> dict[str, Any]:
        text, ref = args.get("text"), args.get("case_ref")
        made = note(
            str(args.get("topic", "")),
            text if isinstance(text, str) else "",
            ref if isinstance(ref, str) else None,
        )
        await record_feedback(self.window.p.store.event_log, made, self._now())
        return {"recorded": {"topic": made.topic.value}}


def _case(c: OwedCase) -> dict[str, Any]:
    day = c.supply_by
    return {
        "case_id": str(c.case_id), "case_ref": c.case_ref, "matter": c.matter_name or
        c.matter_code, "owed": list(c.owed), "lapsed": c.lapsed,
        "supply_by": f"{day.year}年{day.month}月{day.day}日" if day else None,
    }  # fmt: skip


def _static(name: str) -> bytes:
    return (resources.files("edge.kiosk") / "static" / name).read_bytes()


def _error(code: str, message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status)


def followup_routes(window: Window, desk: FollowupDesk | None = None) -> list[Route]:
    desk = desk or FollowupDesk(window)
    actions: dict[str, Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]] = {
        "lookup": desk.lookup, "supply": desk.supply, "feedback": desk.feedback,
    }  # fmt: skip

    async def view(request: Request) -> Response:
        return JSONResponse(desk.view(), headers={"cache-control": "no-store"})

    async def act(request: Request) -> Response:
        if request.headers.get("x-kiosk") != "1":
            return _error("forbidden", "拒绝访问", 403)
        action = actions.get(request.path_params["name"])
        if action is None:
            return _error("unknown_action", "未知操作", 404)
        body = await request.body()
        if len(body) > MAX_BODY:
            return _error("too_large", "请求过大", 413)
        try:
            args: Any = json.loads(body) if body else {}
        except ValueError:
            args = None
        if not isinstance(args, dict):
            return _error("bad_request", "请求格式错误", 400)
        if window.case is not None:
            return _error("case_open", "请先结束当前办件", 409)
        try:
            window.require_clerk()  # a signed-in clerk, when the unit has a roster
            return JSONResponse(await action(args))
        except WorkflowError as exc:
            return _error(exc.code, exc.message_zh, 409)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return Response(status_code=404)
        return Response(_static(name), media_type=STATIC[name])

    return [
        Route("/api/followup/view", view),
        Route("/api/followup/{name}", act, methods=["POST"]),
        Route("/followup/{name}", static),
    ]

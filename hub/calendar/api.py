"""Calendar routes: the current working-day calendar (a summary, or its document to edit the
next version from) and uploads of a new version by operators, audited; a bad file is refused
with file, field and reason and the current calendar stays."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from hub.accounts.auth import Operator, Viewer
from hub.calendar.loader import summary
from hub.calendar.versions import current_document, document_json, upload_calendar
from hub.deps import SessionDep
from hub.errors import InvalidRequest
from hub.limits import CALENDAR_BODY_BYTES
from hub.uploads import read_capped

router = APIRouter(prefix="/api/calendar")


@router.get("")
def calendar_summary(_: Viewer, session: SessionDep) -> dict[str, Any]:
    doc, sha, source = current_document(session)
    return {**summary(doc), "sha256": sha, "source": source}


@router.get("/document")
def calendar_document(_: Viewer, session: SessionDep) -> dict[str, Any]:
    """The current calendar's document, as uploaded (or the seed's)."""
    return document_json(current_document(session)[0])


@router.post("", status_code=201)
async def upload(request: Request, actor: Operator, session: SessionDep) -> dict[str, Any]:
    """The body is the calendar file itself (JSON, UTF-8), read only after the operator's token
    was checked. Units get it with the next configuration rollout."""
    raw = await read_capped(request, CALENDAR_BODY_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(f"the calendar is not UTF-8 (byte {exc.start})") from None
    doc = upload_calendar(session, text=text, actor=actor)
    return {**summary(doc), "delivery": "with the next configuration rollout"}

"""Calendar versions uploaded by operators, kept in the database so every hub process counts
working days on the same calendar and renders the same one into units' configurations. Before
any upload the current calendar is the seed (protocol/seed/calendar.json)."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Connection, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel

from hub import audit
from hub.accounts.roles import Actor
from hub.artifacts.store import put_artifact
from hub.calendar.errors import CalendarNotNewer
from hub.calendar.loader import parse_calendar, parse_calendar_text
from hub.models import _utc
from protocol.calendar import WorkCalendar, seed_document
from protocol.canonical import canonical_json
from protocol.config import ArtifactKind, ArtifactRef
from protocol.holidays import HolidayCalendar

SEED = "seed"


class CalendarRecord(SQLModel, table=True):
    version: int = Field(primary_key=True, sa_type=BigInteger)  # 64-bit, as the protocol allows
    sha256: str = Field(max_length=64)
    title: str = Field(max_length=60)
    uploaded_at: datetime = _utc(nullable=False)
    uploaded_by: str = Field(max_length=64)
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


RECORDS = CalendarRecord.__table__  # type: ignore[attr-defined]
# parsed calendars by the SHA-256 of their document: content never changes under a hash, so
# this cache is never stale and a second hub process is never out of step
_PARSED: OrderedDict[str, tuple[HolidayCalendar, WorkCalendar]] = OrderedDict()
_PARSED_LOCK = threading.Lock()  # routes run in a thread pool


def document_json(doc: HolidayCalendar) -> dict[str, Any]:
    return doc.model_dump(mode="json", by_alias=True, exclude_none=True)


def document_sha256(doc: HolidayCalendar) -> str:
    return hashlib.sha256(canonical_json(document_json(doc))).hexdigest()


def _remember(sha: str, doc: HolidayCalendar) -> tuple[HolidayCalendar, WorkCalendar]:
    found = (doc, WorkCalendar.from_document(doc))
    with _PARSED_LOCK:
        _PARSED[sha] = found
        while len(_PARSED) > 8:
            _PARSED.popitem(last=False)
    return found


def _current(db: Session | Connection) -> tuple[HolidayCalendar, WorkCalendar, str, str]:
    """(document, calendar, sha256, source) of the current calendar."""
    row = db.execute(
        select(RECORDS.c.version, RECORDS.c.sha256, RECORDS.c.uploaded_by)
        .order_by(RECORDS.c.version.desc())
        .limit(1)
    ).first()
    if row is None:
        doc = seed_document()
        sha = document_sha256(doc)
        found = _PARSED.get(sha) or _remember(sha, doc)
        return (*found, sha, SEED)
    source = f"upload by {row.uploaded_by}"
    cached = _PARSED.get(row.sha256)
    if cached is None:
        content = db.execute(
            select(RECORDS.c.content).where(RECORDS.c.version == row.version)
        ).scalar_one()
        doc = parse_calendar(content, f"database (version {row.version})")
        cached = _remember(row.sha256, doc)
    return (*cached, row.sha256, source)


def current_calendar(db: Session | Connection) -> WorkCalendar:
    """The working-day calendar the hub runs now: the newest uploaded version, else the seed.
    One indexed read of the newest version; the document is parsed once per content."""
    return _current(db)[1]


def current_document(db: Session | Connection) -> tuple[HolidayCalendar, str, str]:
    """(document, sha256, source) of the current calendar; source is "seed" or who uploaded."""
    doc, _, sha, source = _current(db)
    return doc, sha, source


def upload_calendar(session: Session, *, text: str, actor: Actor) -> HolidayCalendar:
    """Validate an uploaded calendar and make it current. A bad file raises CalendarInvalid
    (file, field, reason) or CalendarSyntaxError; a version not above the current one with
    other content raises CalendarNotNewer. Either way nothing changes. The same content again
    is accepted and changes nothing."""
    doc = parse_calendar_text(text, "upload")
    current, _, source = current_document(session)
    if doc == current:
        return doc
    if doc.version <= current.version:
        raise CalendarNotNewer(
            f"upload: version {doc.version} is not newer than the current version "
            f"{current.version} ({source}), but the content differs"
        )
    sha = document_sha256(doc)
    session.add(
        CalendarRecord(
            version=doc.version,
            sha256=sha,
            title=doc.title,
            uploaded_at=datetime.now(UTC),
            uploaded_by=actor.name,
            content=document_json(doc),
        )
    )
    audit.record(
        session,
        actor=actor,
        action="calendar.upload",
        target=f"calendar/{doc.version}",
        detail={"title": doc.title, "years": [y.year for y in doc.years], "sha256": sha},
    )
    try:
        session.commit()
    except IntegrityError:  # another upload took this version a moment ago
        session.rollback()
        raise CalendarNotNewer(
            f"upload: version {doc.version} was uploaded by someone else just now"
        ) from None
    return doc


def calendar_artifact(db: Session | Connection) -> ArtifactRef:
    """The current calendar as a content-addressed artifact for units' configurations: the
    canonical JSON of its document, whose sha256 the signed configuration carries."""
    doc, _, _ = current_document(db)
    return put_artifact(
        db,
        content=canonical_json(document_json(doc)),
        kind=ArtifactKind.WORK_CALENDAR,
        media_type="application/json",
    )

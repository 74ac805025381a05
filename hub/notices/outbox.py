"""The notice outbox's operations, each in the caller's transaction: issue a signed notice,
claim the notices due for publication, put back what could not be handed to the broker,
record the units' answers, and list a case's notices.

A notice is due when it is new, when its unit comes online (the broker's sessions are clean,
so a unit that was offline missed every publication), or when its last publication is older
than the back-off (doubling from ``first_after_s`` up to ``max_after_s``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, select, update

from hub.notices import resend
from hub.notices.resend import CLAIM_LIMIT, Due
from hub.notices.tables import NOTICES, NoticeStatus
from hub.signing.store import HubKeys
from protocol.bounds import printable
from protocol.canonical import canonical_json
from protocol.ids import uuid7
from protocol.messages import CommandResult
from protocol.notice import CaseNotice, NoticeStep, notice_document
from protocol.signing import sign_document

log = logging.getLogger("bianmin.hub.notices")


@dataclass(frozen=True)
class NoticeFacts:
    """What a notice tells the applicant, beside the case's own fields."""

    step: NoticeStep
    office: str
    text: str | None = None
    asked: tuple[str, ...] = ()


def issue(
    conn: Connection,
    key: Ed25519PrivateKey | HubKeys,
    *,
    record: Any,
    matter_name: str | None,
    action_id: uuid.UUID,
    facts: NoticeFacts,
    notice_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> CaseNotice:
    """Sign a notice about ``record`` (a case_record row) for its unit and put it in the
    outbox, due at once. One notice per action: the caller issues it with the new action."""
    now = now or datetime.now(UTC)
    notice_id = notice_id or uuid7()
    document = notice_document(
        id=str(notice_id), unit=record.unit, case_id=str(record.case_id),
        case_ref=record.case_ref or str(record.case_id)[:8], step=facts.step.value,
        matter_code=record.matter_code, matter_name=matter_name, id_masked=record.id_masked,
        accepted_at=_accepted_at(record),
        office=facts.office, text=facts.text, asked=list(facts.asked),
        issued_at=now.isoformat(),
    )  # fmt: skip
    # the ring's current key, read in this transaction (hub/signing/store.py)
    signer = key.signing_key(conn)[0] if isinstance(key, HubKeys) else key
    signed = sign_document(document, signer)
    notice = CaseNotice.model_validate(signed)  # what the unit will check, checked here first
    conn.execute(
        NOTICES.insert().values(
            id=notice_id, unit=record.unit, case_id=record.case_id, action_id=action_id,
            step=facts.step.value, document=canonical_json(signed),
            status=NoticeStatus.PENDING.value, created_at=now, next_at=now, attempts=0,
        )
    )  # fmt: skip
    return notice


def _accepted_at(record: Any) -> str | None:
    """When the window accepted the case, as the unit said (case_record.times)."""
    times = record.times or {}
    found = times.get("accepted") or times.get("deficiency_accepted")
    return found if isinstance(found, str) else None


def claim_due(
    conn: Connection,
    *,
    now: datetime,
    online: Iterable[str] = (),
    first_after_s: float,
    max_after_s: float,
    limit: int = CLAIM_LIMIT,
) -> list[Due]:
    """The pending notices to publish now, marked as sent with their next time: those due by
    the back-off, and every pending one of the units in ``online`` (they just connected)."""
    return resend.claim(
        conn, NOTICES, NOTICES.c.status == NoticeStatus.PENDING.value, now=now, online=online,
        first_after_s=first_after_s, max_after_s=max_after_s, limit=limit,
    )  # fmt: skip


def unsent(conn: Connection, ids: Sequence[uuid.UUID], now: datetime) -> None:
    """Notices claimed but never handed to the broker (it went away): due again at once."""
    resend.unsent(conn, NOTICES, ids, now)


def record_results(
    conn: Connection, results: Sequence[tuple[str, CommandResult]], now: datetime
) -> int:
    """Record units' answers: a notice is delivered when its own unit says it stored it, and
    refused (not sent again) when its unit refused it. An answer from another unit, or about
    an id the hub never sent, changes nothing. Returns the notices changed."""
    c = NOTICES.c
    changed = 0
    for unit, result in results:
        if result.ok:
            values: dict[str, Any] = {"status": NoticeStatus.DELIVERED.value, "detail": None}
            # a later "stored" wins over an earlier refusal (a forged copy, say)
            open_ = c.status != NoticeStatus.DELIVERED.value
        else:
            reason = printable(result.detail or "refused", 500)
            values = {"status": NoticeStatus.REFUSED.value, "detail": reason}
            open_ = c.status == NoticeStatus.PENDING.value
        count = conn.execute(
            update(NOTICES)
            .where(c.id == result.id, c.unit == unit, open_)
            .values(answered_at=now, **values)
        ).rowcount
        if count and not result.ok:  # an answer to an operator command is not a notice's
            log.warning("unit %s refused notice %s: %s", unit, result.id, values["detail"])
        changed += count
    return changed


def for_case(conn: Connection, case_id: uuid.UUID) -> list[dict[str, Any]]:
    """The case's notices, oldest first, for the back office's page and API."""
    c = NOTICES.c
    rows = conn.execute(
        select(c.id, c.step, c.status, c.created_at, c.sent_at, c.attempts, c.answered_at,
               c.detail)
        .where(c.case_id == case_id)
        .order_by(c.created_at)
    ).all()  # fmt: skip
    return [dict(r._mapping) for r in rows]

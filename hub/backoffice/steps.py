"""The steps a back office records on a forwarded case, what each asks for (bounded), which
statuses allow it, and recording one: the action (hub.cases.actions, audited with its actor)
and, for a result the applicant must hear of, the signed notice to the case's unit, in one
transaction.

Idempotent by the client's action id: a retry of a step already recorded answers with the
case as it is, and issues no second notice; the same id for another step or case is a
conflict. Two officers acting at once are serialised by a compare-and-set on the case's
status, so a case is never both completed and rejected.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from sqlalchemy import Connection, select, update

from hub.backoffice.reach import Reach, deciding_office
from hub.cases.actions import case_row, record_action
from hub.cases.fold import ActionKind, Status
from hub.cases.project import ACTIONS, RECORDS
from hub.errors import Conflict, StepNotAllowed
from hub.notices.outbox import NoticeFacts, issue
from hub.signing.store import HubKeys
from protocol.bounds import Text
from protocol.canonical import canonical_json
from protocol.catalog import Catalog
from protocol.ids import uuid7
from protocol.notice import MAX_ASKED, NoticeStep
from protocol.villages import VillageRegistry

Note = Annotated[Text, Field(max_length=500)]
Line = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Long = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
AgentId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")]
Coordinate = Annotated[int, Field(ge=0, le=10_000)]  # a point on the canvas, in 1/10,000ths
Stroke = Annotated[list[tuple[Coordinate, Coordinate]], Field(min_length=1, max_length=1000)]
MAX_STROKES = 64
MAX_POINTS = 4000  # per signature (hub.limits.HANDOVER_BODY_BYTES holds two of them)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # the client's id for this step: a retry with the same id records it once
    action_id: uuid.UUID | None = None


class Receive(_Body):
    note: Note | None = None


class Correction(_Body):
    asked: tuple[Line, ...] = Field(min_length=1, max_length=MAX_ASKED)  # what is asked
    note: Note | None = None


class Resubmitted(_Body):
    note: Note | None = None


class Complete(_Body):
    result: Long  # the decision, as the applicant reads it on the notice


class Reject(_Body):
    reason: Long


class Signature(BaseModel):
    """A signature drawn on the back office's page: only its hash and counts are kept."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    strokes: list[Stroke] = Field(min_length=1, max_length=MAX_STROKES)

    @model_validator(mode="after")
    def _bounded(self) -> Signature:
        points = sum(len(s) for s in self.strokes)
        if points > MAX_POINTS:
            raise ValueError(f"a signature of {points} points; at most {MAX_POINTS}")
        return self

    def fingerprint(self) -> dict[str, Any]:
        points = sum(len(s) for s in self.strokes)
        digest = hashlib.sha256(canonical_json({"strokes": self.strokes})).hexdigest()
        return {"sha256": digest, "strokes": len(self.strokes), "points": points}


class Handover(_Body):
    """代办: an agent hands the paper materials of a forwarded case to the receiving office."""

    agent: AgentId  # the agent's (代办员) clerk id
    materials: tuple[Line, ...] = Field(default=(), max_length=64)
    agent_signature: Signature
    officer_signature: Signature


@dataclass(frozen=True)
class StepRule:
    kind: ActionKind
    allowed: frozenset[Status]  # the statuses the step may be taken from
    notice: NoticeStep | None  # the notice the applicant gets, if any
    label: str  # the step as back-office pages name it


_WAITING = frozenset({Status.FORWARDED, Status.RECEIVED, Status.CORRECTION})
RULES: dict[str, StepRule] = {
    "receive": StepRule(ActionKind.RECEIVED, frozenset({Status.FORWARDED}), None, "受理"),
    "correction": StepRule(
        ActionKind.CORRECTION, frozenset({Status.FORWARDED, Status.RECEIVED}),
        NoticeStep.CORRECTION, "补正",
    ),
    "resubmitted": StepRule(
        ActionKind.RESUBMITTED, frozenset({Status.CORRECTION}), None, "补正材料已收到"
    ),
    "complete": StepRule(
        ActionKind.COMPLETED, frozenset({Status.RECEIVED}), NoticeStep.COMPLETED, "办结"
    ),
    "reject": StepRule(ActionKind.REJECTED, _WAITING, NoticeStep.REJECTED, "不予受理"),
    "handover": StepRule(ActionKind.HANDOVER, _WAITING, None, "代办材料交接"),
}  # fmt: skip
WAITING = _WAITING  # the statuses in which a case waits for its back office


def allowed_steps(status: str) -> list[str]:
    """The steps a case in ``status`` allows, in the order the page offers them."""
    return [name for name, rule in RULES.items() if status in rule.allowed]


def _data(body: _Body, reach: Reach, office: str) -> dict[str, Any]:
    data: dict[str, Any] = {"office": office}
    if isinstance(body, Handover):
        data.update(
            agent=body.agent, materials=list(body.materials), officer=reach.actor.name,
            agent_signature=body.agent_signature.fingerprint(),
            officer_signature=body.officer_signature.fingerprint(),
        )  # fmt: skip
        return data
    fields = body.model_dump(exclude={"action_id"}, exclude_none=True)
    data.update({k: list(v) if isinstance(v, tuple) else v for k, v in fields.items()})
    return data


def _facts(body: _Body, step: NoticeStep, office: str) -> NoticeFacts:
    if isinstance(body, Complete):
        return NoticeFacts(step, office, text=body.result)
    if isinstance(body, Reject):
        return NoticeFacts(step, office, text=body.reason)
    assert isinstance(body, Correction)
    return NoticeFacts(step, office, text=body.note, asked=body.asked)


def _replayed(conn: Connection, action_id: uuid.UUID | None, case_id: uuid.UUID, kind: str) -> bool:
    """True when this action id was recorded already for this step of this case (a retry);
    Conflict when it names another step or case."""
    if action_id is None:
        return False
    found = conn.execute(
        select(ACTIONS.c.case_id, ACTIONS.c.kind).where(ACTIONS.c.id == action_id)
    ).first()
    if found is None:
        return False
    if (found.case_id, found.kind) != (case_id, kind):
        raise Conflict(f"action id {action_id} was used for another step")
    return True


def take_step(
    conn: Connection,
    name: str,
    body: _Body,
    *,
    case_id: uuid.UUID,
    reach: Reach,
    key: Ed25519PrivateKey | HubKeys,  # HubKeys: the ring's current key
    registry: VillageRegistry,
    catalog: Catalog,
) -> tuple[Any, bool]:
    """Record step ``name`` on the case, in the caller's transaction; return (the case's
    record, whether the step was new). Raises CaseNotFound, OutOfScope, StepNotAllowed or
    Conflict."""
    rule = RULES[name]
    row = case_row(conn, case_id)
    reach.check(row, registry, catalog)
    if _replayed(conn, body.action_id, case_id, rule.kind.value):
        return row, False
    # compare-and-set on the status: a concurrent step on the same case waits here (a row lock
    # on PostgreSQL, the write lock on SQLite) and then finds the status moved on
    claimed = conn.execute(
        update(RECORDS)
        .where(RECORDS.c.case_id == case_id, RECORDS.c.status.in_([s.value for s in rule.allowed]))
        .values(updated_at=RECORDS.c.updated_at)
    ).rowcount
    if not claimed:
        if _replayed(conn, body.action_id, case_id, rule.kind.value):
            return case_row(conn, case_id), False
        status = case_row(conn, case_id).status
        raise StepNotAllowed(
            f"case {case_id} is {status}; {name} needs it "
            f"{' or '.join(sorted(s.value for s in rule.allowed))}"
        )
    office = deciding_office(row, registry, catalog)
    notice_id = uuid7() if rule.notice is not None else None
    data = _data(body, reach, office)
    if notice_id is not None:
        data["notice"] = str(notice_id)
    action_id = body.action_id or uuid7()
    record, new = record_action(
        conn, case_id=case_id, kind=rule.kind, actor=reach.actor, data=data, action_id=action_id
    )
    if new and rule.notice is not None and notice_id is not None:
        matter = next((m for m in catalog.matters if m.code == record.matter_code), None)
        issue(
            conn, key, record=record, matter_name=matter.name if matter else None,
            action_id=action_id, notice_id=notice_id, facts=_facts(body, rule.notice, office),
        )  # fmt: skip
    return record, new

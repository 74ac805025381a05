"""A case's record as a pure function of its events and actions.

The record is recomputed from everything known about the case each time something new
arrives, rather than updated step by step: the result is then the same whatever order the
events arrived in, however often they were delivered, and whether it was built live or by
`hub cases rebuild`. Unit events are applied in the unit's order (its clock, then seq); the
hub's actions after them in the hub's order, as none of them can precede the window's part.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from protocol import identity
from protocol.calendar import local_date
from protocol.case import (
    NOTICE_DELIVERED_STATE,
    PRINT_FAILED_STATE,
    REFERENCE_RESOLVED_STATE,
    SUPPLIED_STATE,
    CaseState,
    Outcome,
)

S = CaseState


class Status(StrEnum):
    """Where a case stands for the county (the window's own steps are `window_state`)."""

    AT_WINDOW = "at_window"  # opened, not decided yet
    ACCEPTED = "accepted"  # accepted at the window, not yet approved or forwarded
    FORWARDED = "forwarded"  # sent to the town or a department, not received there yet
    RECEIVED = "received"  # 受理 by the back office
    CORRECTION = "correction"  # 补正: the back office waits for the applicant
    COMPLETED = "completed"  # 办结, at the window or by the back office
    REJECTED = "rejected"  # 不予受理 by the back office
    NOT_ACCEPTED = "not_accepted"  # 不予受理 at the window (一次性告知)
    CANCELLED = "cancelled"
    WITHDRAWN = "withdrawn"  # 容缺 lapsed past the grace period


OPEN_STATUSES = frozenset(
    {Status.AT_WINDOW, Status.ACCEPTED, Status.FORWARDED, Status.RECEIVED, Status.CORRECTION}
)
# Cases whose time limit runs: accepted and not yet decided
PENDING_DECISION = frozenset(
    {Status.ACCEPTED, Status.FORWARDED, Status.RECEIVED, Status.CORRECTION}
)
ENDED = frozenset(
    {Status.COMPLETED, Status.REJECTED, Status.NOT_ACCEPTED, Status.CANCELLED, Status.WITHDRAWN}
)


class Deficiency(StrEnum):
    """The 容缺 follow-up of a case accepted with materials owed."""

    NONE = "none"
    OWED = "owed"
    SUPPLIED = "supplied"  # 补齐, at any window or to the back office
    LAPSED = "lapsed"  # past the supply date, within the grace period
    WITHDRAWN = "withdrawn"


class ActionKind(StrEnum):
    """Steps recorded on the hub (hub.cases.tables.CaseAction.kind)."""

    RECEIVED = "received"  # 受理
    CORRECTION = "correction"  # 补正, data: {"asked": [...]}
    RESUBMITTED = "resubmitted"  # the 补正 materials arrived; back to received
    COMPLETED = "completed"  # 办结, data: {"result": "..."}
    REJECTED = "rejected"  # 不予受理, data: {"reason": "..."}
    SUPPLIED = "supplied"  # owed materials handed to a back office directly
    LAPSED = "lapsed"  # the supply date passed (hub timer)
    WITHDRAWN = "withdrawn"  # the grace period passed too (hub timer)
    HANDOVER = "handover"  # an agent handed the paper materials over at the town
    NOTE = "note"  # a remark, no change of state


# The back office's steps of the procedure (环节) that count in ``steps_taken``; a 补正
# resubmission is the applicant's part of the 补正 round, a note or handover no step at all.
OFFICE_STEPS = frozenset(
    {ActionKind.RECEIVED, ActionKind.CORRECTION, ActionKind.COMPLETED, ActionKind.REJECTED}
)


@dataclass(frozen=True, slots=True)
class UnitEvent:
    ts: datetime
    unit: str
    seq: int
    state: str
    matter_code: str | None
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Action:
    id: uuid.UUID
    at: datetime
    kind: str
    actor: str
    data: Mapping[str, Any]


@dataclass
class _Fold:
    case_id: uuid.UUID
    opened_by: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    times: dict[str, str] = field(default_factory=dict)
    handed: list[Mapping[str, Any]] = field(default_factory=list)  # 补齐 so far, in order
    window_decided: bool = False  # 办结 at the window (窗口直审 / 即办)
    office_steps: int = 0  # the back office's 受理, each 补正, and its decision

    def at(self, name: str, when: datetime) -> None:
        self.times.setdefault(name, when.isoformat())


def fold(
    case_id: uuid.UUID, events: Iterable[UnitEvent], actions: Iterable[Action]
) -> dict[str, Any] | None:
    """The case_record row for these facts, or None while the case's opening is unknown (its
    first events may still be on their way; the record appears when they arrive)."""
    evs = sorted(events, key=lambda e: (e.ts, e.seq, e.unit))
    acts = sorted(actions, key=lambda a: (a.at, str(a.id)))
    opening = next((e for e in evs if e.state == S.OPENED), None)
    if opening is None:
        return None
    f = _Fold(case_id)
    r: dict[str, Any] = {
        "case_id": case_id, "case_ref": None, "unit": opening.unit, "opened_at": opening.ts,
        "matter_code": None, "approval": None, "instant": False, "id_method": None,
        "applicant_ref": None, "id_masked": None, "clerk": None, "agent": None,
        "window_state": S.OPENED.value, "status": Status.AT_WINDOW.value, "outcome": None,
        "accepted_on": None, "legal_due": None, "promised_due": None, "supply_by": None,
        "deficiency": Deficiency.NONE.value, "given": [], "waived": [], "owed": [],
        "missing": [], "supplied_at": None, "forwarded_to": None, "ended_at": None,
        "result": None, "rating": None, "rating_label": None, "rating_reason": None,
        "rated_at": None, "signature_sha256": None, "status_token_sha256": None,
        "materials_received": None, "steps_taken": 0,
        "events": len(evs), "actions": len(acts),
    }  # fmt: skip
    f.fields = r
    for ev in evs:
        if ev.state != SUPPLIED_STATE:
            _apply_event(f, ev)
    # What follows the window's part is applied in time order: a 补齐 at another window and
    # the hub's lapse and withdrawal race each other, and whichever came first stands.
    later: list[tuple[datetime, int, str, UnitEvent | Action]] = [
        (e.ts, 0, f"{e.seq:020d}{e.unit}", e) for e in evs if e.state == SUPPLIED_STATE
    ]
    later += [(a.at, 1, str(a.id), a) for a in acts]
    for *_, fact in sorted(later, key=lambda x: x[:3]):
        if isinstance(fact, UnitEvent):
            f.at(SUPPLIED_STATE, fact.ts)
            _supplied(f, fact.ts, _texts(fact.data, "materials"))
        else:
            _apply_action(f, fact)
    last = max([e.ts for e in evs] + [a.at for a in acts])
    r["updated_at"] = last
    r["steps_taken"] = steps_taken(r, f)
    r["times"] = f.times
    return r


def steps_taken(r: Mapping[str, Any], f: _Fold) -> int:
    """The procedure's steps (环节) the case has been through so far, as the step reduction
    counts them against the catalog's ``steps_before``: 窗口受理 (accepted at the window, with
    or without 容缺), 窗口办结 (approved there), and the back office's 受理, each 补正 and its
    decision (办结 or 不予受理). Forwarding and handovers move the case; they are no step."""
    return int(r["accepted_on"] is not None) + int(f.window_decided) + f.office_steps


def _text(data: Mapping[str, Any], key: str, limit: int) -> str | None:
    value = data.get(key)
    return value[:limit] if isinstance(value, str) and value else None


def _texts(data: Mapping[str, Any], key: str) -> list[str]:
    value = data.get(key)
    return [v[:120] for v in value if isinstance(v, str)][:64] if isinstance(value, list) else []


def _day(data: Mapping[str, Any], key: str) -> date | None:
    value = data.get(key)
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _apply_event(f: _Fold, ev: UnitEvent) -> None:
    r, d, state = f.fields, ev.data, ev.state
    f.at(state, ev.ts)
    if state in (NOTICE_DELIVERED_STATE, PRINT_FAILED_STATE):
        return  # a handover, a slip that did not print: nothing changes but the timeline
    if state == REFERENCE_RESOLVED_STATE:  # identified while the hub was away (protocol.idseal)
        if ev.unit == r["unit"] and (ref := _text(d, "applicant", 32)) is not None:
            r["applicant_ref"] = ref
        return
    if ev.unit != r["unit"]:
        return  # only the opening window moves the case through the window's states
    r["window_state"] = state
    if ev.matter_code:
        r["matter_code"] = ev.matter_code[:32]
    for key, col in (("clerk", "clerk"), ("agent", "agent")):
        if (who := _text(d, key, 32)) is not None:
            r[col] = who
    if (token := _text(d, "status_token_sha256", 64)) is not None:
        r["status_token_sha256"] = token
    if state == S.OPENED:
        r["case_ref"] = _text(d, "case_ref", 64)
    elif state == S.IDENTIFIED:
        r["id_method"] = _text(d, "method", 16)
        r["applicant_ref"] = _text(d, "applicant", 32)
        masked = _text(d, "id_masked", 32)
        r["id_masked"] = identity.remask(masked) if masked is not None else None
    elif state == S.MATTER_SELECTED:
        r["approval"] = _text(d, "approval", 16)
        r["instant"] = d.get("instant") is True
    elif state == S.MATERIALS_CHECKED:
        r["given"] = _texts(d, "given")
        received = d.get("received")  # handed in (not shown, waived or made at the window)
        ok = isinstance(received, int) and not isinstance(received, bool) and 0 <= received <= 64
        r["materials_received"] = received if ok else None
        r["waived"] = [list(w.split("|", 1)) for w in _texts(d, "waived_as")]
        r["missing"] = _texts(d, "missing_materials")
    elif state in (S.ACCEPTED, S.DEFICIENCY_ACCEPTED):
        r["status"] = Status.ACCEPTED.value
        r["accepted_on"] = local_date(ev.ts)
        r["legal_due"] = _day(d, "legal_due")
        r["promised_due"] = _day(d, "promised_due")
        if state == S.DEFICIENCY_ACCEPTED:
            r["owed"] = _texts(d, "owed_materials")
            r["supply_by"] = _day(d, "supply_by")
            if r["deficiency"] == Deficiency.NONE:
                r["deficiency"] = Deficiency.OWED.value
        else:
            r["missing"] = []
    elif state == S.NOT_ACCEPTED:
        r["status"] = Status.NOT_ACCEPTED.value
        r["missing"] = _texts(d, "missing") or r["missing"]
        r["ended_at"] = ev.ts
        if d.get("refused_to_sign") is True:  # accepted, then the applicant would not sign
            r["result"] = _text(d, "reason", 500)
            r.update(accepted_on=None, legal_due=None, promised_due=None, supply_by=None,
                     owed=[], deficiency=Deficiency.NONE.value)  # fmt: skip
    elif state == S.SIGNED:
        r["signature_sha256"] = _text(d, "signature_sha256", 64)
    elif state == S.APPROVED:
        r["status"] = Status.COMPLETED.value
        r["ended_at"] = ev.ts
        f.window_decided = True
    elif state == S.FORWARDED:
        r["status"] = Status.FORWARDED.value
        r["forwarded_to"] = _text(d, "to", 16)
    elif state == S.RATED:
        if r["rated_at"] is not None:
            return  # 一事一评: the first rating in the unit's order stands, never changed
        level = d.get("level")
        r["rating"] = level if isinstance(level, int) and 1 <= level <= 5 else None
        r["rating_label"] = _text(d, "label", 16)
        r["rating_reason"] = _text(d, "reason", 200)
        r["rated_at"] = ev.ts
    elif state == S.CLOSED:
        outcome = _text(d, "outcome", 32)
        r["outcome"] = outcome
        if outcome == Outcome.CANCELLED:
            r["status"] = Status.CANCELLED.value
            r["ended_at"] = ev.ts
            r["result"] = _text(d, "reason", 500)


def remaining_owed(owed: Iterable[str], supplies: Iterable[Mapping[str, Any]]) -> list[str]:
    """What a 容缺 case still owes after these 补齐 (each a supplied event's data: the
    materials handed in, or none named for everything)."""
    left = list(owed)
    for data in supplies:
        named = _texts(data, "materials")
        left = [m for m in left if m not in named] if named else []
    return left


def _supplied(f: _Fold, at: datetime, materials: list[str]) -> None:
    """A 补齐 naming ``materials`` (none named: everything owed). The case is supplied once
    nothing is owed any more; a part keeps it owed (or lapsed)."""
    r = f.fields
    if r["deficiency"] in (Deficiency.OWED, Deficiency.LAPSED):
        f.handed.append({"materials": materials} if materials else {})
        if remaining_owed(r["owed"], f.handed):
            return
    elif not (r["deficiency"] == Deficiency.NONE and r["supply_by"] is None):
        return
    r["deficiency"] = Deficiency.SUPPLIED.value
    r["supplied_at"] = at


def _apply_action(f: _Fold, act: Action) -> None:
    r, d, kind = f.fields, act.data, act.kind
    f.at(kind, act.at)
    decided = r["status"] in (
        Status.FORWARDED, Status.RECEIVED, Status.CORRECTION,
    )  # fmt: skip
    if kind in OFFICE_STEPS and decided:
        f.office_steps += 1
    if kind == ActionKind.RECEIVED and decided:
        r["status"] = Status.RECEIVED.value
    elif kind == ActionKind.CORRECTION and decided:
        r["status"] = Status.CORRECTION.value
    elif kind == ActionKind.RESUBMITTED and r["status"] == Status.CORRECTION:
        r["status"] = Status.RECEIVED.value
    elif kind == ActionKind.COMPLETED and decided:
        r["status"] = Status.COMPLETED.value
        r["ended_at"] = act.at
        r["result"] = _text(d, "result", 500)
    elif kind == ActionKind.REJECTED and decided:
        r["status"] = Status.REJECTED.value
        r["ended_at"] = act.at
        r["result"] = _text(d, "reason", 500)
    elif kind == ActionKind.SUPPLIED:
        _supplied(f, act.at, _texts(d, "materials"))
    elif kind == ActionKind.LAPSED and r["deficiency"] == Deficiency.OWED:
        r["deficiency"] = Deficiency.LAPSED.value
    elif kind == ActionKind.WITHDRAWN and r["deficiency"] == Deficiency.LAPSED:
        r["deficiency"] = Deficiency.WITHDRAWN.value
        r["status"] = Status.WITHDRAWN.value
        r["ended_at"] = act.at
        r["result"] = _text(d, "reason", 500)

"""Whole cases as a real window emits them: scripted through the unit's pure state machine
(edge.workflow.machine) with the seed catalog's matters, as envelopes ready to ingest."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from edge.workflow import machine
from edge.workflow.materials import LineStatus, checklist, registry_materials
from edge.workflow.model import (
    Accept,
    Cancel,
    Case,
    CheckMaterials,
    Close,
    Command,
    Decline,
    GiveConsent,
    Identify,
    OnDuty,
    Open,
    Printed,
    Rate,
    Route,
    SelectMatter,
    Sign,
)
from protocol import identity
from protocol.calendar import WorkCalendar
from protocol.case import IdMethod
from protocol.catalog import Approval, Matter
from protocol.ids import uuid7
from protocol.messages import CaseEnvelope, CaseTransition, TxBatch, encode
from simulators.cases import DEMO_ID_KEY, seed_matters, simulated_clerk

START = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)  # Tuesday 09:30 in China


@functools.cache
def _matters() -> dict[str, Matter]:
    return {m.code: m for m in seed_matters()}


def matter_where(*, approval: Approval, deferrable: bool = False, instant: bool = False) -> Matter:
    for m in seed_matters():
        owes = any(x.deferrable for x in m.materials)
        if m.approval is approval and m.instant is instant and (owes or not deferrable):
            return m
    raise LookupError(f"no seed matter with approval={approval} deferrable={deferrable}")


@dataclass
class ScriptedCase:
    unit: str
    matter: Matter
    start: datetime = START
    id_number: str = "341122199001011234"
    clerk: str | None = None  # the clerk's id on every transition (a roster id by default)
    status_token: str | None = None  # the slip's QR token (edge.window.tracking)

    def transitions(
        self, *, defer: bool = False, decline: bool = False, cancel_after: int | None = None,
        rating: int | None = 5,
    ) -> list[tuple[datetime, CaseTransition]]:  # fmt: skip
        m, now = self.matter, self.start
        ref = identity.reference(self.id_number, DEMO_ID_KEY)
        out: list[tuple[datetime, CaseTransition]] = []
        case: Case | None = None

        default = simulated_clerk(self.unit)
        clerk = OnDuty(self.clerk, default.name, default.role) if self.clerk else default

        def do(cmd: Command) -> None:
            nonlocal case, now
            now += timedelta(seconds=30)
            ctx = machine.Context(
                self.unit, now, {m.code: m}, WorkCalendar.china(), frozenset(), 5, clerk=clerk
            )
            step = machine.step(case, cmd, ctx)
            case = step.case
            out.append((now, step.transition))

        found = frozenset(registry_materials(m))
        needed = [ln for ln in checklist(m, found) if ln.status is LineStatus.NEEDED]
        owe = {ln.name for ln in needed if ln.deferrable} if defer else set()
        lack = {needed[0].name} if decline and needed else set()
        script: list[Command] = [
            Open(uuid7(), status_token=self.status_token), GiveConsent(False),
            Identify(IdMethod.ID_CARD, ref, identity.mask(self.id_number)),
            SelectMatter(m.code),
            CheckMaterials(frozenset(ln.name for ln in needed) - owe - lack, frozenset(), found),
        ]  # fmt: skip
        for i, cmd in enumerate(script):
            if cancel_after is not None and i == cancel_after:
                do(Cancel("申请人临时有事"))
                return out
            do(cmd)
        if decline:
            do(Decline())
            do(Printed(("notice",)))  # the 一次性告知书
        else:
            do(Accept(defer=defer))
            do(Sign("ab" * 32, 3))
            do(Route())
            do(Printed(("receipt",)))
        do(Rate(rating, "办理时间太长" if rating in (1, 2) else None))
        do(Close())
        return out


def envelopes(
    unit: str, steps: Sequence[tuple[datetime, CaseTransition]], seq0: int = 1
) -> list[CaseEnvelope]:
    return [
        CaseEnvelope(id=uuid7(), unit=unit, seq=seq0 + i, ts=ts, body=t)
        for i, (ts, t) in enumerate(steps)
    ]


def tx_payload(events: Sequence[CaseEnvelope]) -> bytes:
    return encode(TxBatch(events=list(events)))


def later_transition(
    case_id: Any, state: str, at: datetime, **data: Any
) -> tuple[datetime, CaseTransition]:
    """A transition a unit records about a case after its window part (补齐, a handover)."""
    return at, CaseTransition(case_id=case_id, state=state, data=data)

"""What the state machine is given besides the case and the command (the clock, the catalog,
the calendar, the blacklist, who is acting) and what one step gives back. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from edge.workflow import errors as e
from edge.workflow.model import Case, OnDuty
from protocol.calendar import CHINA, WorkCalendar, local_date
from protocol.case import GreenChannel
from protocol.catalog import Matter
from protocol.messages import CaseTransition, DataValue

__all__ = [
    "CHINA", "Changes", "Context", "Step", "case_matter", "case_ref", "green_channel",
    "local_date",
]  # fmt: skip


@dataclass(frozen=True)
class Context:
    unit: str
    now: datetime  # aware
    matters: Mapping[str, Matter]
    calendar: WorkCalendar
    blacklist: frozenset[str] | None  # None: the unit has none, so no green channel
    deferred_days: int = 5
    # where the calendar comes from: "config" (the applied configuration's) or "seed" (the
    # configuration carries none); said on every acceptance
    calendar_source: str = "config"
    # the clerk signed in and acting now; None for a device's own step (the pad, the rating
    # keys), which acts for the case's clerk
    clerk: OnDuty | None = None


@dataclass(frozen=True)
class Step:
    case: Case
    transition: CaseTransition


# what a handler returns: the case's changed fields, and the transition's data
Changes = tuple[dict[str, object], dict[str, DataValue]]


def case_ref(unit: str, case_id_hex: str, opened: datetime) -> str:
    return f"{unit.upper()}-{local_date(opened):%Y%m%d}-{case_id_hex[-6:].upper()}"


def green_channel(ref: str | None, blacklist: frozenset[str] | None) -> GreenChannel:
    if ref is None:
        return GreenChannel.REFUSED_PENDING_REFERENCE
    if blacklist is None:
        return GreenChannel.REFUSED_NO_BLACKLIST
    return GreenChannel.REFUSED_BLACKLIST if ref in blacklist else GreenChannel.ALLOWED


def matter_of(ctx: Context, code: str) -> Matter:
    matter = ctx.matters.get(code)
    if matter is None:
        raise e.UnknownMatter(f"本窗口不办理事项 {code}")
    return matter


def case_matter(case: Case, matters: Mapping[str, Matter]) -> Matter:
    """The definition of the case's matter it was selected with; for a snapshot from before
    cases kept it, the current catalog's."""
    if case.matter is not None:
        return case.matter
    assert case.matter_code is not None
    found = matters.get(case.matter_code)
    if found is None:
        raise e.UnknownMatter(f"本窗口不再办理事项 {case.matter_code}")
    return found

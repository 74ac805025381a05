"""The case vocabulary shared by the unit's workflow, the simulators and the hub: state names,
identification methods, outcomes, and the two documents a unit gets from the hub about
applicants (the integrity blacklist artifact and the county data registry's answers).

One source of truth: the workflow's state machine, the fleet simulator's cases and the hub's
counters all import these names, so a renamed state cannot split them.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Final, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from protocol.bounds import Count, Text

# identity.reference() gives 32 hex digits
ApplicantRef = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
MaterialName = Annotated[Text, Field(min_length=1, max_length=60)]


class CaseState(StrEnum):
    """Every state a case passes through; each transition into one is an event on `tx`."""

    OPENED = "opened"
    CONSENTED = "consented"  # the face consent was asked: given or declined, both recorded
    IDENTIFIED = "identified"
    MATTER_SELECTED = "matter_selected"
    MATERIALS_CHECKED = "materials_checked"
    ACCEPTED = "accepted"
    DEFICIENCY_ACCEPTED = "deficiency_accepted"  # 容缺受理
    NOT_ACCEPTED = "not_accepted"  # materials missing and no 容缺: 一次性告知
    SIGNED = "signed"
    APPROVED = "approved"  # at the window (窗口直审 / 即办)
    FORWARDED = "forwarded"  # to the town or a county department
    PRINTED = "printed"
    RATED = "rated"
    CLOSED = "closed"


# Steps a unit records about a case beyond the window's own states: another window's 补齐
# (data {"materials": [...]}), a back-office notice handed to the applicant, a slip that did
# not reach the paper (data {"slip", "error"}). The hub's fold reads them (hub.cases.fold).
SUPPLIED_STATE: Final = "supplied"
NOTICE_DELIVERED_STATE: Final = "notice_delivered"
PRINT_FAILED_STATE: Final = "print_failed"
# the reference of a case identified while the hub was away, made once the link was back (data
# {"applicant": ref, "blacklisted": bool}); the hub's fold fills in the case's applicant
REFERENCE_RESOLVED_STATE: Final = "reference_resolved"
# on an event whose data names the applicant: the generation of that reference (protocol.
# idchain), once the hub has rotated its key; absent: 1. The hub stores the current one.
REF_GENERATION: Final = "ref_generation"


class IdMethod(StrEnum):
    FACE = "face"  # 1:1 against the resident's enrolled template, with liveness
    ID_CARD = "id_card"  # the clerk checks the card against the person and enters the number
    CLERK_CHECK = "clerk_check"  # no card: the clerk vouches (known resident, household book)


class Outcome(StrEnum):
    DONE = "done"  # 办结 at the window
    ACCEPTED = "accepted"  # accepted, the decision is made elsewhere or later
    NOT_ACCEPTED = "not_accepted"
    CANCELLED = "cancelled"


class GreenChannel(StrEnum):
    """Whether 容缺 (and any other green channel) was open to this applicant."""

    NOT_NEEDED = "not_needed"
    ALLOWED = "allowed"
    REFUSED_BLACKLIST = "refused_blacklist"
    REFUSED_NO_BLACKLIST = "refused_no_blacklist"  # the unit has no blacklist to check against
    # identified while the hub was away: no reference yet, so no blacklist check (protocol.idseal)
    REFUSED_PENDING_REFERENCE = "refused_pending_reference"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IntegrityBlacklist(_Model):
    """The integrity blacklist (失信名单) as the hub signs it into a unit's configuration: HMAC
    references only, never ID numbers or names. Delivered as an artifact, so it works offline."""

    kind: Literal["integrity_blacklist"] = "integrity_blacklist"
    version: Count  # grows with every change on the hub
    issued_at: datetime
    refs: tuple[ApplicantRef, ...] = Field(max_length=1_000_000)
    # the generation of ``refs`` (protocol.idchain), from the hub's first rotation on (absent
    # before: 1). A unit checks applicants only against a list of its own generation.
    generation: Annotated[int, Field(ge=2, le=1_000_000)] | None = None

    @model_validator(mode="after")
    def _sorted_unique(self) -> IntegrityBlacklist:
        if list(self.refs) != sorted(set(self.refs)):
            raise ValueError("refs: must be sorted and unique (canonical form)")
        return self


class RegistryQuery(_Model):
    """A unit asks the county data registry (信息一库) which materials it can confirm, for the
    applicant of one of its own open cases and only that case's matter's materials (the hub
    refuses anything else: hub.window.registry_rules)."""

    applicant: ApplicantRef
    case: UUID | None = None  # the open case the question is for; required by the hub
    # the generation of ``applicant`` (protocol.idchain), sent after a rotation only
    generation: Annotated[int, Field(ge=2, le=1_000_000)] | None = None
    materials: tuple[MaterialName, ...] = Field(min_length=1, max_length=50)


class RegistryFact(_Model):
    source: Annotated[Text, Field(max_length=60)]  # the department holding the data
    as_of: date


class RegistryAnswer(_Model):
    applicant: ApplicantRef
    found: dict[MaterialName, RegistryFact] = Field(default_factory=dict, max_length=50)

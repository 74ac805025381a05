"""The case snapshot the unit keeps for its open case, and the commands that move it on.

The snapshot is a frozen pydantic model so it round-trips through JSON: it is written in the
same SQLite transaction as each transition's outbox event, and read back after a power cut.
It holds no image, no template and no ID number: the applicant is a masked number and an HMAC.
The clerk is an id from the roster (and the name the slips print).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from protocol.case import ApplicantRef, CaseState, GreenChannel, IdMethod, Outcome
from protocol.catalog import Approval, Matter
from protocol.clerks import ClerkRole

MaterialStatus = Literal["waived", "received", "shown", "window", "deferred", "missing", "optional"]
PhotoKind = Literal["1inch", "2inch"]
# The ID card was read by the window's reader: what became of its chip photo. "match" and
# "no_match" come with the FaceCheck of the comparison; "no_photo": the reader gave none (no
# vendor decoder); "not_compared": no face consent, no face models, or the clerk went on first.
ChipPhoto = Literal["match", "no_match", "no_photo", "not_compared"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SearchPick(_Model):
    """1:N: the candidate the clerk picked among those the search offered (never automatic)."""

    rank: int  # 1 = the closest
    candidates: int  # how many were offered
    margin: float | None  # distance to the next candidate minus the picked one's; None if last


class FaceCheck(_Model):
    """The result of a face comparison: a distance and its threshold, never the face. 1:1
    against the template of the ID number entered, or 1:N with the clerk's pick (``search``),
    or against the chip photo of the ID card the reader read (``id_card_photo``)."""

    distance: float
    threshold: float
    reference: Literal["template", "id_card_photo"]
    liveness: str  # "passed" or "failed:<reason>"
    # the liveness challenge failed and the clerk, who sees the resident, confirmed presence
    clerk_confirmed: bool = False
    search: SearchPick | None = None

    @property
    def match(self) -> bool:
        return self.distance < self.threshold

    @property
    def live(self) -> bool:
        return self.liveness == "passed" or self.clerk_confirmed


class Applicant(_Model):
    # None: identified while the hub was away; the reference comes later (protocol.idseal,
    # edge.window.pending), so no green channel and no registry waiver for this case
    ref: ApplicantRef | None
    id_masked: str
    method: IdMethod
    face: FaceCheck | None = None


class MaterialOutcome(_Model):
    name: str
    status: MaterialStatus
    ground: str | None = None
    deferrable: bool = False  # missing, but the catalog allows 容缺 for it


class Deadlines(_Model):
    accepted_on: date
    legal_due: date
    promised_due: date  # for 容缺: counted from the supply deadline, the latest it can be
    supply_by: date | None = None  # 容缺: materials owed by this day
    supply_days: int | None = None  # 容缺: working days from acceptance to supply_by
    calendar_known: bool = True  # False: the holiday table does not cover these dates
    calendar_version: int = 0  # of the working-day calendar the dates were counted on


class Case(_Model):
    case_id: UUID
    case_ref: str  # 受理编号, printed on the slips
    # the slip's QR leads to {hub}/c/{token}; only its SHA-256 ever leaves the unit
    status_token: str | None = None
    opened_at: datetime
    updated_at: datetime
    state: CaseState
    transitions: int = 1
    clerk: str | None = None  # the roster id of who handles the case (the last to act)
    clerk_name: str | None = None  # 经办人 on the screens and slips
    agent: str | None = None  # 代办: the agent's roster id (filed on the resident's behalf)
    authorization_sha256: str | None = None  # 代办: the resident's signed 委托授权
    face_consent: bool | None = None
    applicant: Applicant | None = None
    matter_code: str | None = None
    matter_name: str | None = None
    # The matter's definition as the case selected it: a configuration applied while the case
    # is open changes the next cases, never this one (None in snapshots from before it was kept)
    matter: Matter | None = None
    approval: Approval | None = None
    instant: bool = False
    legal_days: int | None = None
    promised_days: int | None = None
    photo: PhotoKind | None = None  # the matter needs ID photos taken at the window
    materials: tuple[MaterialOutcome, ...] = ()
    green_channel: GreenChannel | None = None
    owed: tuple[str, ...] = ()
    home_visit: bool = False
    deadlines: Deadlines | None = None
    signature_sha256: str | None = None
    route: Approval | None = None
    slips: tuple[str, ...] = ()
    rating: int | None = None
    rating_label: str | None = None
    rating_reason: str | None = None
    outcome: Outcome | None = None
    refusal: str | None = None  # why the applicant would not sign (not accepted after all)

    @property
    def closed(self) -> bool:
        return self.state is CaseState.CLOSED


# -- commands -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OnDuty:
    """The clerk or agent signed in at the kiosk, acting on the case now."""

    id: str
    name: str
    role: ClerkRole


@dataclass(frozen=True)
class SignatureRef:
    """A signature on the pad, by its hash: the strokes stay on the unit, encrypted."""

    sha256: str
    strokes: int


@dataclass(frozen=True)
class Open:
    case_id: UUID
    status_token: str | None = None  # unguessable, from the window (edge.window.tracking)


@dataclass(frozen=True)
class GiveConsent:
    face: bool  # True: separate consent to face verification; False: declined, ID card path
    # 代办: the resident's signed authorisation (委托授权) of the agent, taken with the consent
    authorization: SignatureRef | None = None


@dataclass(frozen=True)
class Identify:
    method: IdMethod
    ref: ApplicantRef | None  # None: pending (typed while the hub was away), never by face
    id_masked: str
    face: FaceCheck | None = None
    chip_photo: ChipPhoto | None = None  # None: the number was typed, no card was read


@dataclass(frozen=True)
class SelectMatter:
    code: str


@dataclass(frozen=True)
class CheckMaterials:
    received: frozenset[str]
    shown: frozenset[str]
    registry_found: frozenset[str] | None  # None: the registry could not be asked
    photo: PhotoKind | None = None  # the ID photo size the clerk chose, if the matter takes one


@dataclass(frozen=True)
class Accept:
    defer: bool = False  # 容缺受理: accept although deferrable materials are missing


@dataclass(frozen=True)
class Decline:
    """不予受理 for now: materials missing; the applicant is told once what to bring."""


@dataclass(frozen=True)
class Sign:
    sha256: str
    strokes: int


@dataclass(frozen=True)
class Route:
    """Approve at the window, or forward to the town or department, as the catalog says."""


@dataclass(frozen=True)
class Printed:
    slips: tuple[str, ...]


@dataclass(frozen=True)
class Rate:
    level: int | None  # 1..5, None = 未评价 (the device timed out)
    reason: str | None = None


@dataclass(frozen=True)
class Close:
    """End the case once it is rated (or the rating timed out)."""


@dataclass(frozen=True)
class Cancel:
    reason: str


@dataclass(frozen=True)
class Back:
    """One step back before acceptance (a wrong applicant, a wrong matter): a transition into
    the earlier state, recorded like any other; nothing already recorded is erased."""


@dataclass(frozen=True)
class RefuseSign:
    """The applicant will not sign: the case is not accepted after all, with the reason, and
    the 一次性告知书 (what was still missing, if anything) is printed."""

    reason: str


Command = (
    Open | GiveConsent | Identify | SelectMatter | CheckMaterials | Accept | Decline | Sign
    | Route | Printed | Rate | Close | Cancel | Back | RefuseSign
)  # fmt: skip

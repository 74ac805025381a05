"""A back office's result for one case, sent to the case's unit on its `cmd` channel: a signed
case notice (办结通知, 补正通知, 不予受理通知).

The hub signs the notice with its Ed25519 key over canonical JSON, as it signs configuration
(protocol.signing); the unit verifies it against the key pinned at provisioning before any
model sees the data, checks that it names this unit, stores it (idempotent by ``id``) and only
then answers on `cmd/result` with a ``CommandResult`` carrying the same ``id``. A notice is an
event with an outcome, not a desired state: it is published at QoS 1, not retained, and the hub
publishes it again until the unit answers.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Final, Literal
from uuid import UUID

from pydantic import Field, ValidationError

from protocol.bounds import Text, Timestamp
from protocol.canonical import parse_object
from protocol.errors import InvalidMessage, UnitMismatch
from protocol.messages import Message, UnitId, describe
from protocol.signing import Verifier, verify_document

NOTICE_KIND: Final = "case.notice"
MAX_NOTICE_BYTES = 16 * 1024
MAX_ASKED = 20  # items a 补正 may ask for


class NoticeStep(StrEnum):
    """The back office's step the notice tells the applicant about."""

    COMPLETED = "completed"  # 办结, with the result
    CORRECTION = "correction"  # 补正, with what is asked
    REJECTED = "rejected"  # 不予受理, with the reason


NOTICE_LABELS: Final[dict[NoticeStep, str]] = {
    NoticeStep.COMPLETED: "办结通知",
    NoticeStep.CORRECTION: "补正通知",
    NoticeStep.REJECTED: "不予受理通知",
}

CaseRef = Annotated[Text, Field(min_length=1, max_length=64)]
AskedItem = Annotated[Text, Field(min_length=1, max_length=120)]


class CaseNotice(Message):
    """A signed notice about one case, for the unit whose window opened it."""

    v: Literal[1] = 1
    kind: Literal["case.notice"] = NOTICE_KIND
    id: UUID  # the notice's id: the unit stores it once, and answers with it
    unit: UnitId
    case_id: UUID
    case_ref: CaseRef
    step: NoticeStep
    matter_code: Annotated[Text, Field(max_length=32)] | None = None
    matter_name: Annotated[Text, Field(max_length=100)] | None = None
    id_masked: Annotated[Text, Field(max_length=32)] | None = None  # never the ID number
    accepted_at: Timestamp | None = None  # when the window accepted the case
    office: Annotated[Text, Field(min_length=1, max_length=100)]  # who decided
    text: Annotated[Text, Field(max_length=500)] | None = None  # the result, reason or a note
    asked: tuple[AskedItem, ...] = Field(default=(), max_length=MAX_ASKED)  # 补正: what is asked
    issued_at: Timestamp
    alg: Literal["ed25519"]
    key_id: Annotated[Text, Field(max_length=64)]
    sig: Annotated[Text, Field(max_length=256)]

    @property
    def label(self) -> str:
        return NOTICE_LABELS[self.step]


def notice_document(**fields: Any) -> dict[str, Any]:
    """The unsigned document the hub signs: ``fields`` as JSON values (``issued_at`` as the
    exact text to sign), with the version and kind."""
    return {"v": 1, "kind": NOTICE_KIND, **fields}


def parse_command(payload: bytes) -> dict[str, Any]:
    """Parse a `cmd` payload into a plain dict, refusing what is too large or not an object."""
    return parse_object(payload, what="command", limit=MAX_NOTICE_BYTES)


def raw_id(raw: dict[str, Any]) -> UUID | None:
    """The id a command claims, so that even a refused one can be answered; None if it has
    none that parses."""
    value = raw.get("id")
    if not isinstance(value, str):
        return None
    try:
        return UUID(value)
    except ValueError:
        return None


def open_signed_notice(raw: dict[str, Any], *, key: Verifier, unit: str) -> CaseNotice:
    """Verify, then validate, a parsed notice: the signature over the raw dict first, then the
    model, then the unit. Raises SignatureError, InvalidMessage or UnitMismatch."""
    verify_document(raw, key)
    try:
        notice = CaseNotice.model_validate(raw)
    except ValidationError as exc:
        raise InvalidMessage(f"CaseNotice: {describe(exc)}") from None
    if notice.unit != unit:
        raise UnitMismatch(f"notice is for unit {notice.unit!r}, this is {unit!r}")
    return notice

"""Versioned message models for every channel, and the decode/encode functions both sides use.

Models are strict: unknown fields, wrong types and oversized payloads are rejected with an
error that names the field, so a bad message can be dead-lettered with a useful reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    ValidationError,
)
from pydantic_core import ErrorDetails

from protocol.bounds import (
    EARLIEST,
    LATEST,
    MAX_TEXT,
    TEXT_PATTERN,
    TIME_RANGE,
    Count,
    FiniteFloat,
    Int64,
    PositiveInt64,
    Text,
    Timestamp,
    forbidden_character,
    printable,
)
from protocol.errors import InvalidMessage, MalformedJSON, PayloadTooLarge, UnitMismatch
from protocol.feedback import MAX_CASE_REF, MAX_FEEDBACK_TEXT, FeedbackTopic
from protocol.topics import UNIT_ID_PATTERN

# Every field below is bounded (protocol/bounds.py): what validates is what the hub stores.
UnitId = Annotated[str, StringConstraints(pattern=rf"^{UNIT_ID_PATTERN}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9_.]+$")]
ShortText = Text  # at most 2,000 printable characters
Key = Annotated[Text, Field(max_length=64)]
# An integer beyond 64 bits fits neither Int64 nor FiniteFloat (within ±2^63), so the union
# refuses it rather than reading it as a float.
JsonScalar = Annotated[Text, Field(max_length=1000)] | Int64 | FiniteFloat | bool | None
DataValue = JsonScalar | Annotated[list[JsonScalar], Field(max_length=64)]
JsonScalars = Annotated[dict[Key, DataValue], Field(max_length=64)]

MAX_TX_BYTES = 256 * 1024
MAX_EVENTS_PER_BATCH = 500
MAX_ACK_IDS = 5000
MAX_CONFIG_BYTES = 2 * 1024 * 1024
MAX_SMALL_BYTES = 64 * 1024


def utc_now() -> datetime:
    return datetime.now(UTC)


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- events (unit -> hub on `tx`) -------------------------------------------------------------


class CaseTransition(Message):
    """One step of a case at the window; the case's whole history is its transitions."""

    case_id: UUID
    state: Name
    matter_code: Annotated[Text, Field(max_length=32)] | None = None
    data: JsonScalars = Field(default_factory=dict)


class _EnvelopeBase(Message):
    v: Literal[1] = 1
    id: UUID
    unit: UnitId
    seq: Count
    ts: Timestamp  # the unit's clock: kept even when far from the hub's (see clock drift)


class CaseEnvelope(_EnvelopeBase):
    kind: Literal["case.transition"] = "case.transition"
    body: CaseTransition


class FeedbackNote(Message):
    """A resident's note in the feedback book (意见反馈簿) at the kiosk: a topic, optional text,
    optionally the case reference from their slip. Nothing asks for personal data."""

    topic: FeedbackTopic
    text: Annotated[Text, Field(max_length=MAX_FEEDBACK_TEXT)] = ""
    case_ref: Annotated[Text, Field(max_length=MAX_CASE_REF)] | None = None


class FeedbackEnvelope(_EnvelopeBase):
    kind: Literal["feedback.note"] = "feedback.note"
    body: FeedbackNote


# A discriminated union: the `kind` picks the body model. New kinds join this union.
Envelope = Annotated[CaseEnvelope | FeedbackEnvelope, Field(discriminator="kind")]
EVENT_KINDS: tuple[str, ...] = ("case.transition", "feedback.note")
EventBody = CaseTransition | FeedbackNote
EventEnvelope = CaseEnvelope | FeedbackEnvelope


def envelope_for(body: EventBody, *, id: UUID, unit: str, seq: int, ts: datetime) -> EventEnvelope:
    """The envelope of the kind that carries ``body``."""
    if isinstance(body, FeedbackNote):
        return FeedbackEnvelope(id=id, unit=unit, seq=seq, ts=ts, body=body)
    return CaseEnvelope(id=id, unit=unit, seq=seq, ts=ts, body=body)


class TxBatch(Message):
    v: Literal[1] = 1
    events: list[Envelope] = Field(min_length=1, max_length=MAX_EVENTS_PER_BATCH)


_TX_HEAD = b'{"v":1,"events":['
_TX_TAIL = b"]}"


def frame_tx_batch(payloads: Iterable[bytes]) -> bytes:
    """A `tx` message from envelopes already serialised as JSON: the bytes `encode(TxBatch(...))`
    gives, without parsing again what the unit's event log stores as bytes."""
    return _TX_HEAD + b",".join(payloads) + _TX_TAIL


class Ack(Message):
    """Ids the hub has committed durably; the unit may forget them."""

    v: Literal[1] = 1
    ids: list[UUID] = Field(max_length=MAX_ACK_IDS)


def ack_payload(ids: Sequence[UUID]) -> bytes:
    """``encode(Ack(ids=ids))`` byte for byte, without building the model: the hub sends one
    per unit per committed batch, and its ids are UUIDs it has just validated."""
    if len(ids) > MAX_ACK_IDS:
        raise ValueError(f"an ack names at most {MAX_ACK_IDS} ids")
    return b'{"v":1,"ids":[' + ",".join(f'"{i}"' for i in ids).encode() + b"]}"


# -- presence and health ----------------------------------------------------------------------


class State(Message):
    v: Literal[1] = 1
    online: bool
    ts: Timestamp | None = None  # absent in the last will: the broker sends it, not the unit


class OutboxHealth(Message):
    depth: Count
    bytes: Count
    limit_bytes: PositiveInt64
    oldest_age_s: FiniteFloat | None = None
    alarm: bool = False


class DeviceStatus(Message):
    present: bool
    ok: bool
    detail: ShortText | None = None
    paper: Literal["ok", "near_end", "out"] | None = None

    @classmethod
    def report(
        cls,
        *,
        present: bool,
        ok: bool,
        detail: str | None = None,
        paper: Literal["ok", "near_end", "out"] | None = None,
    ) -> DeviceStatus:
        """How a unit states a device's status: ``detail`` quotes what drivers and devices say
        (a USB device's own name, an OS error over several lines), so it is made printable and
        bounded here instead of being refused, and a heartbeat always builds."""
        text = None if detail is None else printable(detail, MAX_TEXT)
        return cls(present=present, ok=ok, detail=text, paper=paper)


class TrustReport(Message):
    """The hub signing keys a unit trusts: the key list serial it holds and the key ids."""

    serial: Count
    keys: tuple[Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")], ...] = Field(max_length=8)


class Health(Message):
    v: Literal[1] = 1
    ts: Timestamp
    uptime_s: FiniteFloat
    outbox: OutboxHealth
    config_version: Count | None = None
    # the newest config body schema the agent reads (protocol.config_schema); absent: 1
    config_schema: Annotated[int, Field(ge=1, le=1000)] | None = None
    trust: TrustReport | None = None
    versions: dict[Name, Annotated[Text, Field(max_length=64)]] = Field(
        default_factory=dict, max_length=32
    )
    devices: dict[Name, DeviceStatus] = Field(default_factory=dict, max_length=32)


# -- configuration ----------------------------------------------------------------------------


class SignedConfig(Message):
    """Desired configuration for one unit. Verify the signature on the raw JSON object first."""

    v: Literal[1] = 1
    unit: UnitId
    version: PositiveInt64
    issued_at: Timestamp
    body: dict[str, JsonValue]
    alg: Literal["ed25519"]
    key_id: Annotated[Text, Field(max_length=64)]
    sig: Annotated[Text, Field(max_length=256)]


class ConfigReported(Message):
    v: Literal[1] = 1
    version: Count
    # deferred: verified and accepted, waiting to take effect (a software update waits for the
    # window to be idle, or for the end of office hours); the reason says why
    status: Literal["applied", "rejected", "deferred"]
    reason: ShortText | None = None
    ts: Timestamp


# -- operator commands ------------------------------------------------------------------------


class Command(Message):
    v: Literal[1] = 1
    id: UUID
    name: Name
    args: Annotated[dict[Name, JsonScalar], Field(max_length=64)] = Field(default_factory=dict)


class CommandResult(Message):
    v: Literal[1] = 1
    id: UUID
    ok: bool
    detail: ShortText | None = None
    ts: Timestamp
    # what a command gathered (diagnostics): flat and bounded like an event's data
    data: JsonScalars | None = None


# -- decoding ---------------------------------------------------------------------------------

M = TypeVar("M", bound=Message)

MAX_BYTES: dict[type[Message], int] = {
    TxBatch: MAX_TX_BYTES,
    Ack: MAX_TX_BYTES,
    SignedConfig: MAX_CONFIG_BYTES,
}


# the edges as pydantic quotes them in a refusal, and as Python prints them
_TIME_EDGES = {
    text
    for edge in (EARLIEST, LATEST)
    for text in (str(edge), edge.isoformat(), edge.isoformat().replace("+00:00", "Z"))
}


def _message(err: ErrorDetails) -> str:
    if (
        err["type"] == "string_pattern_mismatch"
        and (err.get("ctx") or {}).get("pattern") == TEXT_PATTERN
    ):
        found = forbidden_character(str(err["input"]))
        return f"control or formatting character {found} is not allowed"
    ctx = err.get("ctx") or {}
    if str(ctx.get("ge")) in _TIME_EDGES or str(ctx.get("lt")) in _TIME_EDGES:
        return TIME_RANGE
    return err["msg"]


def describe(exc: ValidationError, limit: int = 3) -> str:
    """A one-line reason naming the first failing fields, for dead letters and reports. The
    names come from the sender (dictionary keys), so each is cut short and made printable."""
    parts = []
    for err in exc.errors(include_url=False, include_input=True)[:limit]:
        loc = ".".join(printable(str(p), 64) for p in err["loc"]) or "(message)"
        parts.append(f"{loc}: {printable(_message(err), 300)}")
    more = exc.error_count() - limit
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


def decode(model: type[M], payload: bytes | str) -> M:
    """Parse and validate one message; raise a ProtocolError subclass that says why not."""
    limit = MAX_BYTES.get(model, MAX_SMALL_BYTES)
    if len(payload) > limit:
        raise PayloadTooLarge(
            f"{model.__name__} payload is {len(payload)} bytes; the limit is {limit}"
        )
    try:
        return model.model_validate_json(payload)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise MalformedJSON(f"not valid JSON: {exc.errors()[0]['msg']}") from None
        raise InvalidMessage(f"{model.__name__}: {describe(exc)}") from None


def decode_tx(topic_unit: str, payload: bytes | str) -> TxBatch:
    """Decode a `tx` batch and check that every event belongs to the unit in the topic."""
    batch = decode(TxBatch, payload)
    for event in batch.events:
        if event.unit != topic_unit:
            raise UnitMismatch(
                f"event {event.id} names unit {event.unit!r} but arrived on {topic_unit!r}'s topic"
            )
    return batch


def encode(message: Message) -> bytes:
    return message.model_dump_json(exclude_none=False).encode("utf-8")


def as_json_dict(message: Message) -> dict[str, Any]:
    return message.model_dump(mode="json")

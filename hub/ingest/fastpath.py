"""A fast decoder for the common `tx` batch: case transitions exactly as units write them.

Decoding a batch with the protocol's pydantic models, and writing each body back to JSON for
the events table, was the largest share of the hub's CPU per event (bench/ingest.py). msgspec
decodes the same batch into plain structs several times faster; the bounds the models enforce
(protocol/bounds.py) are then checked here in a few lines of Python.

The fast path only ever *accepts*: a batch it is not sure about (another event kind, a value at
or past a bound, a time written in any but the canonical RFC 3339 forms, a unit mismatch,
anything msgspec refuses) returns None and goes through the pydantic models, which accept it or
refuse it with the reason a dead letter records. So what the hub accepts and refuses, and why,
is what the models say; tests/hub/ingest/test_fastpath.py checks that every batch the fast path
accepts, the models accept with the same values, over the hostile payloads.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

import msgspec

from protocol.bounds import _FORBIDDEN, EARLIEST, INT64_MAX, INT64_MIN, LATEST, MAX_TEXT
from protocol.messages import MAX_EVENTS_PER_BATCH, MAX_TX_BYTES
from protocol.topics import UNIT_ID_PATTERN

_KIND = "case.transition"
_UNIT = re.compile(UNIT_ID_PATTERN)
_NAME = re.compile(r"[a-z0-9_.]{1,64}")
# RFC 3339 with a 'T', whole seconds or up to microseconds, and Z or an offset: what units send
# (datetime.isoformat). Other spellings pydantic accepts (a space, a unix time) take the slow way.
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})")
_FLOAT_EDGE = 2.0**63
_DATA_ITEMS = 64
_KEY_CHARS = 64
_SCALAR_CHARS = 1000
_MATTER_CHARS = 32


class _Body(msgspec.Struct, forbid_unknown_fields=True):
    case_id: uuid.UUID
    state: str
    matter_code: str | None = None
    data: dict[str, Any] = {}


class _Event(msgspec.Struct, forbid_unknown_fields=True):
    id: uuid.UUID
    unit: str
    seq: int
    ts: str
    body: _Body
    kind: Any  # required: the models' union picks the body by it
    v: Any = 1


class _Tx(msgspec.Struct, forbid_unknown_fields=True):
    events: list[_Event]
    v: Any = 1


_DECODER = msgspec.json.Decoder(_Tx)
_ENCODER = msgspec.json.Encoder()


class _Ack(msgspec.Struct):
    v: int
    ids: list[uuid.UUID]


def ack_json(ids: list[uuid.UUID]) -> bytes:
    """protocol.messages.ack_payload's bytes (``encode(Ack(ids=ids))``), written by msgspec:
    turning each UUID into text in Python was a tenth of the hub's CPU on the live stream."""
    return _ENCODER.encode(_Ack(1, ids))


class FastEvent(msgspec.Struct, frozen=True):
    """One accepted event: the fields the events table keeps, and the body as JSON."""

    id: uuid.UUID
    unit: str
    seq: int
    ts: datetime
    case_id: uuid.UUID
    state: str
    matter_code: str | None
    body_json: str


def _text(value: object, limit: int) -> bool:
    return type(value) is str and len(value) <= limit and _FORBIDDEN.search(value) is None


def _scalar(value: object) -> bool:
    kind = type(value)
    if kind is str:
        return _text(value, _SCALAR_CHARS)
    if kind is int:
        return INT64_MIN <= value <= INT64_MAX  # type: ignore[operator]
    if kind is float:
        return -_FLOAT_EDGE < value < _FLOAT_EDGE  # type: ignore[operator]  # NaN fails too
    return value is None or kind is bool


def _data(data: dict[str, Any]) -> bool:
    if len(data) > _DATA_ITEMS:
        return False
    for key, value in data.items():
        if not _text(key, _KEY_CHARS):
            return False
        if type(value) is list:
            if len(value) > _DATA_ITEMS or not all(_scalar(v) for v in value):
                return False
        elif not _scalar(value):
            return False
    return True


def _time(text: str) -> datetime | None:
    if _TIME.fullmatch(text) is None:
        return None
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        return None
    if ts.utcoffset() is None or not EARLIEST <= ts < LATEST:
        return None
    return ts


def fast_tx(topic_unit: str, payload: bytes) -> list[FastEvent] | None:
    """The batch's events if every one is a plain case transition within every bound, from
    ``topic_unit``; None to let the protocol models decide (and explain a refusal)."""
    if len(payload) > MAX_TX_BYTES:
        return None
    try:
        tx = _DECODER.decode(payload)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None
    if type(tx.v) is not int or tx.v != 1 or not 1 <= len(tx.events) <= MAX_EVENTS_PER_BATCH:
        return None
    out: list[FastEvent] = []
    for ev in tx.events:
        body = ev.body
        if (
            type(ev.v) is not int
            or ev.v != 1
            or ev.kind != _KIND
            or ev.unit != topic_unit
            or _UNIT.fullmatch(ev.unit) is None
            or not 0 <= ev.seq <= INT64_MAX
            or _NAME.fullmatch(body.state) is None
            or (body.matter_code is not None and not _text(body.matter_code, _MATTER_CHARS))
            or not _data(body.data)
        ):
            return None
        ts = _time(ev.ts)
        if ts is None:
            return None
        body_json = _ENCODER.encode(body).decode()
        out.append(FastEvent(ev.id, ev.unit, ev.seq, ts, body.case_id, body.state,
                             body.matter_code, body_json))  # fmt: skip
    return out


assert MAX_TEXT >= _SCALAR_CHARS  # the narrower caps above are the ones the models set

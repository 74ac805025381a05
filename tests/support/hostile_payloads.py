"""What a stolen or broken unit may publish, as hypothesis strategies: valid shapes with extreme
values (integers past 2^63, times at the ends of the calendar, NUL and control characters,
lone surrogates, unicode of every plane, long strings), invalid shapes, and random bytes, for
every channel a unit may write."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from protocol.topics import Channel

UP = (Channel.TX, Channel.STATE, Channel.HEALTH, Channel.CONFIG_REPORTED, Channel.CMD_RESULT)

EXTREME_INTS = st.one_of(
    st.sampled_from([0, 1, -1, 2**31 - 1, 2**31, 2**53, 2**63 - 1, 2**63, 2**64, -(2**63) - 1]),
    st.integers(min_value=-(2**70), max_value=2**70),
)
FLOATS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 1e308, -1e308, 5e-324]),
)
# characters a database or a terminal may choke on, mixed into ordinary text
NASTY_CHARS = st.sampled_from(["\x00", "\x01", "\x1b", "\x7f", "\u2028", "\ufeff", "\U0010ffff"])
TEXT = st.one_of(
    st.text(max_size=40),
    st.lists(st.one_of(NASTY_CHARS, st.text(max_size=4)), max_size=12).map("".join),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=500, max_size=3000),
    st.sampled_from(["\ud800", "a\udfffb"]),  # lone surrogates: valid JSON escapes, invalid UTF-8
)


def _iso(dt: datetime) -> str:
    return dt.isoformat()


_GONE = object()  # a field left out

TIMES = st.one_of(
    st.datetimes(timezones=st.just(UTC)).map(_iso),
    st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    ).map(lambda d: d.astimezone(timezone(timedelta(hours=14))).isoformat()),
    st.sampled_from(
        [
            "9999-12-31T23:59:59.999999+00:00",
            "0001-01-01T00:00:00+00:00",
            "0001-01-01T00:00:00-23:59",
            "2026-11-28T09:30:00",  # no zone
            "2026-02-30T09:30:00+08:00",
            "not a time",
        ]
    ),
    EXTREME_INTS,
)
JSON_LEAF = st.one_of(st.none(), st.booleans(), EXTREME_INTS, FLOATS, TEXT)
JSON_ANY = st.recursive(
    JSON_LEAF,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=6,
)
# what one field is set to: mostly values of a plausible type at or past the edges
HOSTILE_VALUES = st.one_of(EXTREME_INTS, TIMES, TEXT, TEXT, JSON_LEAF, JSON_ANY, st.just(_GONE))


def _valid(channel: Channel, unit: str, seq: int) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    if channel is Channel.TX:
        event = {
            "v": 1, "id": str(uuid.uuid4()), "unit": unit, "seq": seq, "ts": now,
            "kind": "case.transition",
            "body": {"case_id": str(uuid.uuid4()), "state": "opened", "matter_code": "BIR-002",
                     "data": {"case_ref": "T-1", "note": "ok"}},
        }  # fmt: skip
        return {"v": 1, "events": [event]}
    if channel is Channel.HEALTH:
        return {
            "v": 1, "ts": now, "uptime_s": 12.5, "config_version": 3,
            "outbox": {"depth": 0, "bytes": 0, "limit_bytes": 1 << 28, "oldest_age_s": None},
            "versions": {"agent": "0.1.0"},
            "devices": {"printer": {"present": True, "ok": True, "detail": "ok", "paper": "ok"}},
        }  # fmt: skip
    if channel is Channel.CONFIG_REPORTED:
        return {"v": 1, "version": 3, "status": "rejected", "reason": "bad", "ts": now}
    if channel is Channel.STATE:
        return {"v": 1, "online": True, "ts": now}
    return {"v": 1, "id": str(uuid.uuid4()), "ok": True, "detail": "done", "ts": now}


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a document a value can be changed: keys of objects, items of lists."""
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            out += _paths(value, (*prefix, i))
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    *head, last = path
    for key in head:
        doc = doc[key]
    if value is _GONE:
        del doc[last]
    else:
        doc[last] = value


def _encode(doc: Any, unit: str, other: str) -> bytes:
    # ensure_ascii: lone surrogates survive as escapes, as a broken build might send them
    return json.dumps(doc, ensure_ascii=True).encode()


@st.composite
def hostile_messages(draw: st.DrawFn, unit: str, other: str, seq: int = 1) -> tuple[Channel, bytes]:
    """One message a unit may publish on one of its own up channels: mostly a valid message
    with one or two fields set to a hostile value, else any JSON document or random bytes."""
    channel = draw(st.sampled_from(UP))
    kind = draw(st.sampled_from(["shaped"] * 6 + ["json", "bytes"]))
    if kind == "bytes":
        return channel, draw(st.binary(max_size=300))
    if kind == "json":
        return channel, _encode(draw(JSON_ANY), unit, other)
    doc = _valid(channel, draw(st.sampled_from([unit, unit, unit, other])), seq)
    for _ in range(draw(st.integers(1, 2))):
        paths = _paths(doc)
        if paths:
            _set(doc, draw(st.sampled_from(paths)), draw(HOSTILE_VALUES))
    return channel, _encode(doc, unit, other)

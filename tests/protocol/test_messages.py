"""Message models: round trips, strictness and clear reasons for refusal."""

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol import ids
from protocol.errors import InvalidMessage, MalformedJSON, PayloadTooLarge, UnitMismatch
from protocol.messages import (
    MAX_TX_BYTES,
    Ack,
    CaseEnvelope,
    CaseTransition,
    ConfigReported,
    DeviceStatus,
    Health,
    OutboxHealth,
    State,
    TxBatch,
    ack_payload,
    decode,
    decode_tx,
    encode,
    frame_tx_batch,
)

unit_ids = st.from_regex(r"\A[a-z0-9][a-z0-9_-]{0,20}\Z")
# printable text: the contract refuses control and bidi characters (tests/protocol/test_bounds.py)
printable = st.text(
    st.characters(
        blacklist_categories=("Cc", "Cs"),
        blacklist_characters="\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
    ),
    max_size=30,
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    printable,
    st.floats(-1e18, 1e18),  # finite, within ±2^63 (protocol/bounds.py)
)
times = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@st.composite
def envelopes(draw, unit=None):
    return CaseEnvelope(
        id=ids.uuid7(),
        unit=unit or draw(unit_ids),
        seq=draw(st.integers(0, 2**40)),
        ts=draw(times),
        body=CaseTransition(
            case_id=ids.uuid7(),
            state=draw(st.sampled_from(["opened", "identified", "accepted", "closed"])),
            matter_code=draw(st.none() | st.text("0123456789-ABC", max_size=20)),
            data=draw(st.dictionaries(printable, scalars, max_size=5)),
        ),
    )


@given(unit=unit_ids, data=st.data())
def test_tx_batch_round_trips_through_bytes(unit, data):
    events = data.draw(st.lists(envelopes(unit=unit), min_size=1, max_size=5))
    batch = TxBatch(events=events)
    assert decode_tx(unit, encode(batch)) == batch


@given(unit=unit_ids, data=st.data())
def test_a_framed_batch_is_what_the_hub_decodes_and_what_encode_gives(unit, data):
    events = data.draw(st.lists(envelopes(unit=unit), min_size=1, max_size=5))
    framed = frame_tx_batch(e.model_dump_json().encode() for e in events)
    assert decode_tx(unit, framed).events == events  # decode_tx is what the hub's intake runs
    assert framed == encode(TxBatch(events=events))


@given(st.lists(st.uuids(), max_size=50))
def test_ack_round_trips(id_list):
    ack = Ack(ids=id_list)
    assert decode(Ack, encode(ack)) == ack
    assert ack_payload(id_list) == encode(ack)  # the hub's shortcut writes the same bytes


@given(times, st.integers(0, 10**6), st.booleans())
def test_health_and_report_round_trip(ts, depth, alarm):
    health = Health(
        ts=ts,
        uptime_s=1.5,
        outbox=OutboxHealth(depth=depth, bytes=depth * 300, limit_bytes=10**9, alarm=alarm),
        config_version=3,
        devices={"printer": DeviceStatus(present=True, ok=False, paper="out", detail="缺纸")},
    )
    assert decode(Health, encode(health)) == health
    report = ConfigReported(version=4, status="rejected", reason="签名无效", ts=ts)
    assert decode(ConfigReported, encode(report)) == report


def test_last_will_state_needs_no_timestamp():
    assert decode(State, b'{"v":1,"online":false}').online is False


def _one_event_batch(unit="v001") -> dict:
    event = CaseEnvelope(
        id=ids.uuid7(),
        unit=unit,
        seq=1,
        ts=datetime.now(UTC),
        body=CaseTransition(case_id=ids.uuid7(), state="opened"),
    )
    return json.loads(encode(TxBatch(events=[event])))


def test_unknown_fields_are_refused_and_named():
    raw = _one_event_batch()
    raw["events"][0]["body"]["surprise"] = 1
    with pytest.raises(InvalidMessage, match=r"surprise"):
        decode_tx("v001", json.dumps(raw))


def test_unknown_event_kind_is_refused():
    raw = _one_event_batch()
    raw["events"][0]["kind"] = "mystery"
    with pytest.raises(InvalidMessage, match=r"kind|mystery"):
        decode_tx("v001", json.dumps(raw))


def test_naive_timestamps_are_refused():
    raw = _one_event_batch()
    raw["events"][0]["ts"] = "2026-01-01T00:00:00"
    with pytest.raises(InvalidMessage, match=r"ts"):
        decode_tx("v001", json.dumps(raw))


def test_oversized_payload_is_refused_before_parsing():
    with pytest.raises(PayloadTooLarge, match=str(MAX_TX_BYTES)):
        decode_tx("v001", b"{" + b" " * MAX_TX_BYTES + b"}")


def test_bad_json_is_reported_as_malformed():
    with pytest.raises(MalformedJSON):
        decode_tx("v001", b'{"v":1,"events":[')


def test_event_for_another_unit_on_this_topic_is_refused():
    with pytest.raises(UnitMismatch, match="v002"):
        decode_tx("v001", json.dumps(_one_event_batch(unit="v002")))


def test_empty_batch_is_refused():
    with pytest.raises(InvalidMessage):
        decode_tx("v001", b'{"v":1,"events":[]}')


def test_uuid7_ids_increase_within_one_millisecond_and_carry_the_time():
    gen = ids.Uuid7Generator()
    now = 1_800_000_000_000_000_000
    a, b = gen(now), gen(now)
    assert a < b
    assert a.version == 7
    assert ids.uuid7_millis(a) == now // 1_000_000


def test_uuid7_ids_keep_increasing_when_the_clock_steps_back():
    gen = ids.Uuid7Generator()
    later = gen(1_800_000_000_000_000_000)
    assert gen(1_700_000_000_000_000_000) > later

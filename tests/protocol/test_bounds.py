"""The contract's bounds: what validates is what the hub's databases store (64-bit integers,
times from 1970 to 2199, printable text of capped length, finite floats), and a refusal says
which field and why in a reason that is itself safe to store."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from protocol.bounds import EARLIEST, INT64_MAX, LATEST, printable
from protocol.errors import InvalidMessage
from protocol.messages import CaseTransition, ConfigReported, Health, decode, decode_tx
from tests.support.builders import POISON, heartbeat, poisoned_tx, raw_tx


def refusal(payload: bytes, unit: str = "t001") -> str:
    with pytest.raises(InvalidMessage) as caught:
        decode_tx(unit, payload)
    return str(caught.value)


@pytest.mark.parametrize("kind", sorted(POISON))
def test_values_the_databases_cannot_store_are_refused_naming_the_field(kind):
    reason = refusal(poisoned_tx("t001", kind).payload)
    field = next(iter(POISON[kind])).removeprefix("body_")
    assert f".{field}" in reason
    assert printable(reason) == reason  # no control character in the reason itself


def test_the_largest_64_bit_sequence_number_is_accepted_and_the_next_refused():
    assert decode_tx("t001", raw_tx(seq=INT64_MAX).payload).events[0].seq == INT64_MAX
    assert "less than or equal to 9223372036854775807" in refusal(raw_tx(seq=2**63).payload)
    assert "seq" in refusal(raw_tx(seq=-1).payload)


@pytest.mark.parametrize(
    "ts",
    [
        EARLIEST,
        LATEST - timedelta(microseconds=1),
        # a Pi that lost its clock: years off, still a real case
        datetime(1970, 1, 2, 3, 4, tzinfo=UTC),
        datetime(2150, 1, 1, tzinfo=timezone(timedelta(hours=-12))),
    ],
)
def test_any_time_the_databases_store_is_accepted_however_far_from_now(ts):
    assert decode_tx("t001", raw_tx(ts=ts.isoformat()).payload).events[0].ts == ts


@pytest.mark.parametrize(
    "ts",
    [
        "1969-12-31T23:59:59.999999Z",
        "2200-01-01T00:00:00Z",
        "0001-01-01T00:00:00+05:00",  # PostgreSQL would store it as a year BC
        "9999-12-31T23:59:59-05:00",  # overflows when turned into UTC
        "1970-01-01T00:30:00+01:00",  # 1969 in UTC
    ],
)
def test_times_outside_1970_to_2199_are_refused_with_the_range(ts):
    assert "from 1970-01-01T00:00:00Z up to 2200-01-01T00:00:00Z" in refusal(raw_tx(ts=ts).payload)


@pytest.mark.parametrize(
    ("text", "code_point"),
    [
        ("V-\x00-001", "U+0000 at position 2"),
        ("\x1b[31m", "U+001B at position 0"),
        ("ok\x7f", "U+007F at position 2"),
        ("ok\x85", "U+0085 at position 2"),
        ("abc\u202edef", "U+202E at position 3"),  # displays "abcfed"
        ("a\u2028b", "U+2028 at position 1"),
    ],
)
def test_control_and_bidi_characters_are_refused_with_their_code_point(text, code_point):
    reason = refusal(raw_tx(body_matter_code=text).payload)
    assert f"body.matter_code: control or formatting character {code_point}" in reason


def test_chinese_text_and_ordinary_punctuation_pass():
    batch = decode_tx("t001", raw_tx(body_data={"note": "材料齐全，已受理（容缺）— №1 ✓"}).payload)
    body = batch.events[0].body
    assert isinstance(body, CaseTransition)
    assert body.data["note"] == "材料齐全，已受理（容缺）— №1 ✓"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"body_matter_code": "X" * 33}, "matter_code"),
        ({"body_data": {"k" * 65: 1}}, "data"),
        ({"body_data": {"k": "v" * 1001}}, "data.k"),
        ({"body_data": {"k": list(range(65))}}, "data.k"),
        ({"body_data": {f"k{i}": i for i in range(65)}}, "data"),
    ],
)
def test_every_text_list_and_map_has_a_length_cap(changes, field):
    assert f"body.{field}" in refusal(raw_tx(**changes).payload)


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, [1, 2**64]])
def test_a_huge_integer_in_free_data_is_refused_not_read_as_a_float(value):
    """Neither a 64-bit integer nor a float within ±2^63 holds it."""
    assert "body.data.n" in refusal(raw_tx(body_data={"n": value}).payload)


def test_a_dictionary_key_in_a_reason_is_cut_short_and_made_printable():
    reason = refusal(raw_tx(body_data={"\x00" * 5000: 1}).payload)
    assert "\x00" not in reason
    assert "\\u0000" in reason
    assert len(reason) < 1000


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("config_version", 2**63),
        ("uptime_s", float("inf")),
        ("ts", "9999-12-31T23:59:59-05:00"),
    ],
)
def test_heartbeat_fields_are_bounded(field, value):
    doc = json.loads(heartbeat("t001").payload)
    doc[field] = value
    with pytest.raises(InvalidMessage, match=field):
        decode(Health, json.dumps(doc))


def test_a_heartbeat_may_carry_the_largest_64_bit_config_version():
    # storable, so accepted; the hub records it as an anomaly (hub/rollouts/anomalies.py)
    assert decode(Health, heartbeat("t001", config_version=INT64_MAX).payload).config_version


def test_a_config_report_refuses_a_reason_with_nul():
    doc = {"v": 1, "version": 1, "status": "rejected", "reason": "x\x00", "ts": "2026-01-01T00:00Z"}
    with pytest.raises(InvalidMessage, match=r"reason: control or formatting character U\+0000"):
        decode(ConfigReported, json.dumps(doc))


def test_printable_escapes_what_text_refuses_and_cuts_at_the_limit():
    assert printable("a\x00b\u202ec\ud800") == "a\\u0000b\\u202ec\\ud800"
    assert printable("中文 ok") == "中文 ok"
    cut = printable("x" * 50, 10)
    assert (len(cut), cut[-1]) == (10, "…")

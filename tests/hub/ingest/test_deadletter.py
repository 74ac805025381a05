"""A dead letter keeps the reason, the size, a SHA-256 and a short prefix of what was refused,
never the payload itself, with text every database column takes (pure)."""

import hashlib

from hub.ingest.deadletter import (
    PREFIX_BYTES,
    REASON_BYTES,
    TOPIC_BYTES,
    dead_letter,
    preview,
    safe_text,
)
from tests.support.builders import NOW

PAYLOAD = (
    b'{"v":1,"events":[{"body":{"data":{"id_masked":"3411**********1234"}}}' + b" " * 2_000_000
)


def _record(**overrides):
    fields = {
        "topic": "bianmin/v1/u/t001/tx",
        "unit": "t001",
        "reason_code": "payload_too_large",
        "reason": "tx is 2000070 bytes; the limit is 262144",
        "payload": PAYLOAD,
        "received_at": NOW,
    }
    return dead_letter(**{**fields, **overrides})


def test_a_dead_letter_keeps_size_hash_and_prefix_but_not_the_payload():
    row = _record()
    assert row["size"] == len(PAYLOAD)
    assert row["payload_sha256"] == hashlib.sha256(PAYLOAD).hexdigest()
    assert row["payload_prefix"] == PAYLOAD[:PREFIX_BYTES]
    assert "payload" not in row
    stored = sum(len(v) for v in row.values() if isinstance(v, str | bytes))
    assert stored < 1500


def test_a_reason_with_nul_controls_and_lone_surrogates_becomes_one_line_of_storable_text():
    row = _record(reason="name: \x00bad\nvalue\x1b[31m \ud800 \u202eend")
    assert row["reason"] == "name: \\x00bad\\x0avalue\\x1b[31m \\ud800 \\u202eend"
    row["reason"].encode("utf-8")  # a lone surrogate would fail here, and in every database


def test_a_long_reason_is_cut_to_its_bound_without_splitting_a_character():
    reason = "字段过长" * 1000  # 3 bytes a character
    cut = _record(reason=reason)["reason"]
    assert len(cut.encode("utf-8")) <= REASON_BYTES
    assert reason.startswith(cut)
    assert len(cut.encode("utf-8")) > REASON_BYTES - 3


def test_a_hostile_topic_is_bounded_and_cleaned_too():
    topic = "bianmin/v1/u/t001/" + "\x00" * 10_000
    assert len(_record(topic=topic, unit=None)["topic"].encode("utf-8")) <= TOPIC_BYTES


def test_text_that_is_already_safe_and_short_is_kept_as_it_is():
    assert safe_text("invalid_message: events.0.seq: 需要整数", 1000) == (
        "invalid_message: events.0.seq: 需要整数"
    )


def test_a_preview_shows_utf8_as_text_and_other_bytes_and_controls_escaped():
    assert preview("你好".encode() + b"\xff\x00{") == "你好\\xff\\x00{"


def test_a_preview_of_a_prefix_cut_inside_a_character_stays_readable():
    prefix = ("证" * 200).encode()[:PREFIX_BYTES]  # 512 is not a multiple of 3
    shown = preview(prefix)
    assert shown.startswith("证" * 170)
    assert shown.endswith("\\xe8\\xaf")

"""The follow-up parts of the contract: feedback notes on `tx` (bounded, decoded by kind),
the owed lookup (exactly one key, never an ID number), and reading a token from a QR."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from protocol.errors import InvalidMessage
from protocol.ids import uuid7
from protocol.messages import FeedbackEnvelope, FeedbackNote, TxBatch, decode_tx, encode
from protocol.supply import OwedLookup, token_from_code, token_sha256

AT = datetime(2026, 11, 26, 2, tzinfo=UTC)


def _tx(**body):
    note = {"topic": "wait", "text": "", "case_ref": None, **body}
    env = {"v": 1, "id": str(uuid7()), "unit": "t001", "seq": 1, "ts": AT.isoformat(),
           "kind": "feedback.note", "body": note}  # fmt: skip
    return json.dumps({"v": 1, "events": [env]}, ensure_ascii=False).encode()


def test_a_feedback_note_travels_in_a_tx_batch():
    note = FeedbackNote(topic="praise", text="服务很好", case_ref="T001-20261126-00ABCD")
    env = FeedbackEnvelope(id=uuid7(), unit="t001", seq=1, ts=AT, body=note)
    (back,) = decode_tx("t001", encode(TxBatch(events=[env]))).events
    assert isinstance(back, FeedbackEnvelope)
    assert back.body == note


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"topic": "spam"}, "topic"),
        ({"text": "长" * 501}, "text"),
        ({"text": "第一行\n第二行"}, "text"),
        ({"case_ref": "X" * 65}, "case_ref"),
        ({"name": "张三"}, "name"),
    ],
)
def test_a_bad_note_is_refused_naming_the_field(body, field):
    with pytest.raises(InvalidMessage, match=field):
        decode_tx("t001", _tx(**body))


def test_an_owed_lookup_takes_exactly_one_key_and_never_an_id_number():
    assert OwedLookup(applicant="0" * 32).token_sha256 is None
    assert OwedLookup(token_sha256=token_sha256("x")).applicant is None
    with pytest.raises(ValueError, match="exactly one"):
        OwedLookup()
    with pytest.raises(ValueError, match="exactly one"):
        OwedLookup(applicant="0" * 32, token_sha256="0" * 64)
    with pytest.raises(ValueError, match="pattern"):
        OwedLookup(applicant="34112219900101123X")


def test_a_token_is_read_from_the_slips_url_or_given_bare():
    token = "AbC_d-" * 6
    assert token_from_code(f"https://hub.example/c/{token}") == token
    assert token_from_code(f" https://hub.example/c/{token}?from=qr#x ") == token
    assert token_from_code(token) == token
    assert token_from_code("https://hub.example/c/short") is None
    assert token_from_code("受理编号 T001-20261126") is None

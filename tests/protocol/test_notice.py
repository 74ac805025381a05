"""Opening a signed case notice: the signature is checked on the raw dict before any model sees
it, then the model's bounds, then the unit; each refusal has its code."""

import json
import uuid
from datetime import UTC, datetime

import pytest

from protocol.errors import (
    InvalidMessage,
    MalformedJSON,
    PayloadTooLarge,
    SignatureError,
    UnitMismatch,
)
from protocol.notice import (
    MAX_ASKED,
    MAX_NOTICE_BYTES,
    NoticeStep,
    notice_document,
    open_signed_notice,
    parse_command,
    raw_id,
)
from protocol.signing import generate_key, sign_document

KEY = generate_key()
NOTICE_ID = uuid.UUID("01900000-0000-7000-8000-000000000001")


def document(**overrides):
    fields = {
        "id": str(NOTICE_ID), "unit": "dongjie-cun", "case_id": str(uuid.uuid4()),
        "case_ref": "DONGJIE-CUN-20261124-000001", "step": "completed", "matter_code": "BIR-007",
        "matter_name": "农村部分计划生育家庭奖励扶助资格确认", "id_masked": "3411**********1234",
        "accepted_at": "2026-11-24T01:33:00+00:00", "office": "清水镇便民服务中心",
        "text": "准予确认", "asked": [], "issued_at": datetime.now(UTC).isoformat(),
    }  # fmt: skip
    return notice_document(**{**fields, **overrides})


def opened(raw, key=KEY, unit="dongjie-cun"):
    return open_signed_notice(
        parse_command(json.dumps(raw).encode()), key=key.public_key(), unit=unit
    )


def test_a_signed_notice_opens_with_its_step_and_label():
    notice = opened(sign_document(document(), KEY))
    assert notice.id == NOTICE_ID
    assert notice.step is NoticeStep.COMPLETED
    assert notice.label == "办结通知"


def test_a_correction_notice_lists_what_is_asked():
    raw = sign_document(document(step="correction", asked=["户口簿原件", "近期一寸照片"]), KEY)
    notice = opened(raw)
    assert notice.label == "补正通知"
    assert notice.asked == ("户口簿原件", "近期一寸照片")


def test_a_tampered_notice_is_refused_by_the_signature():
    raw = sign_document(document(), KEY)
    raw["text"] = "不予办理"
    with pytest.raises(SignatureError, match="does not match"):
        opened(raw)


def test_a_notice_signed_by_another_key_or_unsigned_is_refused():
    with pytest.raises(SignatureError, match="pinned key"):
        opened(sign_document(document(), generate_key()))
    with pytest.raises(SignatureError, match="not signed"):
        opened(document())


def test_a_notice_for_another_unit_is_refused():
    with pytest.raises(UnitMismatch, match="xinmin-cun"):
        opened(sign_document(document(unit="xinmin-cun"), KEY))


@pytest.mark.parametrize(
    "overrides",
    [
        {"step": "approved"},
        {"asked": ["材料"] * (MAX_ASKED + 1)},
        {"text": "结果\u202e"},  # a bidirectional override: would display as something else
        {"text": "长" * 501},
        {"office": ""},
        {"issued_at": "2026-11-24T09:30:00"},  # no zone
        {"extra": 1},
    ],
)
def test_a_signed_notice_outside_the_bounds_is_refused(overrides):
    with pytest.raises(InvalidMessage):
        opened(sign_document(document(**overrides), KEY))


def test_commands_too_large_or_not_json_objects_are_refused_before_parsing():
    with pytest.raises(PayloadTooLarge):
        parse_command(b" " * (MAX_NOTICE_BYTES + 1))
    with pytest.raises(MalformedJSON):
        parse_command(b"[1, 2]")
    with pytest.raises(MalformedJSON):
        parse_command(b'{"id": NaN}')


def test_a_refused_command_can_still_be_answered_by_the_id_it_claims():
    assert raw_id({"id": str(NOTICE_ID)}) == NOTICE_ID
    assert raw_id({"id": "not-a-uuid"}) is None
    assert raw_id({"id": 7}) is None

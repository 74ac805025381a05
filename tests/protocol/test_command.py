"""Operator commands on the wire (protocol.command): what the unit refuses before it does
anything, in the order it checks, and what the hub keeps of the arguments."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from protocol.command import (
    InvalidArguments,
    UnknownCommand,
    check_args,
    command_document,
    open_signed_command,
    public_args,
)
from protocol.errors import InvalidMessage, ProtocolError, SignatureError, UnitMismatch
from protocol.signing import generate_key, sign_document

KEY = generate_key()
NOW = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)


def document(name: str = "diagnostics", **fields: Any) -> dict[str, Any]:
    doc = command_document(
        id=uuid.uuid4(), unit="dongjie-cun", name=name, args=fields.pop("args", {}),
        issued_at=NOW, expires_at=NOW + timedelta(hours=1), issued_by="ops",
    )  # fmt: skip
    return {**doc, **fields}


def test_a_command_signed_by_the_pinned_key_for_this_unit_opens():
    found = open_signed_command(
        sign_document(document(args={"log_lines": 5}), KEY),
        key=KEY.public_key(), unit="dongjie-cun", now=NOW,
    )  # fmt: skip
    assert found.name == "diagnostics"
    assert found.args == {"log_lines": 5}


@pytest.mark.parametrize(
    ("raw", "unit", "now", "error"),
    [
        (sign_document(document(), generate_key()), "dongjie-cun", NOW, SignatureError),
        ({**sign_document(document(), KEY), "name": "reboot"}, "dongjie-cun", NOW, SignatureError),
        (document(), "dongjie-cun", NOW, SignatureError),  # unsigned
        (sign_document(document(), KEY), "xijie-cun", NOW, UnitMismatch),
        (sign_document(document(), KEY), "dongjie-cun", NOW + timedelta(hours=2), ProtocolError),
        (sign_document(document(extra=1), KEY), "dongjie-cun", NOW, InvalidMessage),
        (
            sign_document({**document(), "name": "selfdestruct"}, KEY),
            "dongjie-cun",
            NOW,
            UnknownCommand,
        ),
    ],
    ids=["other-key", "tampered", "unsigned", "other-unit", "expired", "extra-field", "unknown"],
)
def test_the_unit_refuses_what_it_cannot_trust_or_do(raw, unit, now, error):
    with pytest.raises(error) as refused:
        open_signed_command(raw, key=KEY.public_key(), unit=unit, now=now)
    if "expired" in str(refused.value):
        assert refused.value.code == "expired"


def test_arguments_are_checked_by_kind_and_secrets_never_kept():
    with pytest.raises(UnknownCommand):
        check_args("selfdestruct", {})
    with pytest.raises(InvalidArguments):
        check_args("reboot", {"now": 1})
    with pytest.raises(InvalidArguments):
        check_args("rotate_credentials", {"password": "x" * 32})  # no generation
    with pytest.raises(InvalidArguments):
        check_args("diagnostics", {"log_lines": True})  # a bool is not a number here
    args = {"password": "x" * 32, "generation": 2}
    assert public_args("rotate_credentials", check_args("rotate_credentials", args)) == {
        "generation": 2
    }

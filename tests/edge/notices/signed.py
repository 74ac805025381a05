"""Signed case notices as the hub makes them, for the unit's tests."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from protocol.canonical import canonical_json
from protocol.ids import uuid7
from protocol.notice import notice_document
from protocol.signing import generate_key, sign_document

HUB_KEY = generate_key()
UNIT = "dongjie-cun"
CASE_REF = "DONGJIE-CUN-20261124-0A1B2C"


def notice_fields(**overrides: Any) -> dict[str, Any]:
    fields = {
        "id": str(uuid7()), "unit": UNIT, "case_id": str(uuid.uuid4()), "case_ref": CASE_REF,
        "step": "completed", "matter_code": "BIR-007",
        "matter_name": "农村部分计划生育家庭奖励扶助资格确认", "id_masked": "3411**********1234",
        "accepted_at": "2026-11-24T01:33:00+00:00", "office": "清水镇便民服务中心",
        "text": "准予确认，奖励扶助金按年发放", "asked": [],
        "issued_at": datetime.now(UTC).isoformat(),
    }  # fmt: skip
    return {**fields, **overrides}


def signed(key: Ed25519PrivateKey = HUB_KEY, **overrides: Any) -> bytes:
    return canonical_json(sign_document(notice_document(**notice_fields(**overrides)), key))


def unsigned(**overrides: Any) -> bytes:
    return json.dumps(notice_document(**notice_fields(**overrides))).encode()

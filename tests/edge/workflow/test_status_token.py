"""The slip's QR token in the pure workflow: the case keeps its token, the `opened` transition
carries only its SHA-256, and every slip's QR is the hub's page for it."""

from __future__ import annotations

import json

from edge.devices.printer.document import Qr
from edge.devices.printer.slips import Window
from edge.window.tracking import new_status_token, status_base
from edge.workflow.documents import RECEIPT, WindowInfo, document
from edge.workflow.model import Accept, CheckMaterials, GiveConsent, Identify, Open, SelectMatter
from protocol.calendar import WorkCalendar
from protocol.case import IdMethod
from protocol.supply import STATUS_TOKEN_PATTERN, token_from_code, token_sha256
from tests.edge.workflow.factories import CASE_ID, NOW, REF, context, run

HUB = "https://hub.county.example"
CHECK = CheckMaterials(
    frozenset({"申请表", "银行账户信息"}), frozenset({"身份证复印件"}), frozenset({"户口簿复印件"})
)


def test_a_new_token_is_unguessable_and_url_safe():
    tokens = {new_status_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(STATUS_TOKEN_PATTERN.match(t) and len(t) >= 32 for t in tokens)  # 192 bits


def test_the_opened_transition_carries_the_hash_and_the_receipt_the_url():
    token = new_status_token()
    steps = run(
        context(), Open(CASE_ID, status_token=token), GiveConsent(False),
        Identify(IdMethod.ID_CARD, REF, "3301****0018"), SelectMatter("TST-001"),
        CHECK, Accept(),
    )  # fmt: skip
    opened = steps[0].transition
    assert opened.data["status_token_sha256"] == token_sha256(token)
    assert all(token not in json.dumps(s.transition.data) for s in steps)
    case = steps[-1].case
    assert case.status_token == token
    info = WindowInfo(Window("测试村便民服务站"), track_base=status_base(HUB + "/"))
    doc = document(RECEIPT, case, info, NOW, WorkCalendar.china())
    (qr,) = [b for b in doc.blocks if isinstance(b, Qr)]
    assert qr.data == f"{HUB}/c/{token}"
    assert token_from_code(qr.data) == token


def test_a_case_without_a_token_prints_its_reference_instead():
    steps = run(
        context(), Open(CASE_ID), GiveConsent(False),
        Identify(IdMethod.ID_CARD, REF, "3301****0018"), SelectMatter("TST-001"),
        CHECK, Accept(),
    )  # fmt: skip
    assert "status_token_sha256" not in steps[0].transition.data
    doc = document(RECEIPT, steps[-1].case, WindowInfo(Window("村")), NOW, WorkCalendar.china())
    (qr,) = [b for b in doc.blocks if isinstance(b, Qr)]
    assert qr.data == steps[-1].case.case_ref

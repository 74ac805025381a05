"""What the applicant reads on a slip, decoded from the printer's bytes: an instant matter is
当场办结 (never 0个工作日), a single way to supply owed materials is not 任选其一, a notice for a
case whose materials were complete says so; and the kiosk says a waiver ground once."""

from __future__ import annotations

import dataclasses

from edge.devices.printer.driver import EscposPrinter
from edge.devices.printer.samples import (
    sample_completion,
    sample_deficiency,
    sample_notice,
    sample_receipt,
)
from edge.devices.printer.slips import (
    completion_document,
    deficiency_document,
    notice_document,
    receipt_document,
)
from edge.kiosk.view import explain
from simulators.printer import decode_job


def _text(profile, doc) -> str:
    spec = profile.printer
    (slip,) = decode_job(EscposPrinter(spec).encode(doc), dots=spec.dots_per_line)
    return slip.text.replace(" ", "")


def test_an_instant_matter_is_done_on_the_spot_not_in_zero_working_days(profile):
    receipt = dataclasses.replace(sample_receipt(), promised_days=0)
    text = _text(profile, receipt_document(receipt))
    assert "承诺时限：当场办结" in text
    assert "0个工作日" not in text
    done = dataclasses.replace(sample_completion(), promised_days=0, elapsed_days=0)
    text = _text(profile, completion_document(done))
    assert "办理用时：当场办结" in text
    assert "0个工作日" not in text


def test_one_way_to_supply_is_not_offered_as_a_choice(profile):
    many = sample_deficiency()
    assert len(many.methods) > 1
    assert "任选其一" in _text(profile, deficiency_document(many))
    one = dataclasses.replace(many, methods=many.methods[:1])
    text = _text(profile, deficiency_document(one))
    assert "任选其一" not in text
    assert "补交方式：" in text


def test_a_notice_without_missing_materials_says_they_were_complete(profile):
    notice = dataclasses.replace(
        sample_notice(), missing=(), reason="申请人未签名确认（申请人决定暂不办理），本次不予受理。"
    )
    text = _text(profile, notice_document(notice))
    assert "申请人未签名确认" in text
    assert "申请材料已齐全" in text
    assert "请备齐以下全部材料" not in text


def test_a_waiver_ground_is_said_once():
    assert (
        explain("无法律法规依据", "无法律法规依据，不再要求提供") == "无法律法规依据，不再要求提供"
    )
    assert (
        explain("信息一库可查（无证明）", "信息一库可查，由窗口查询") == "信息一库可查，由窗口查询"
    )
    assert explain("窗口出示证照即可证明", "出示原件") == "窗口出示证照即可证明：出示原件"
    assert explain("无法律法规依据", None) == "无法律法规依据"
    assert explain(None, None) is None

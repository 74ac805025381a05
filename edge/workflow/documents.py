"""The slips a case prints, built from its snapshot (pure): 受理回执 for every accepted case,
容缺受理单 with what is owed, by when and how, 办结通知 for instant matters decided at the
window, 一次性告知书 for a case not accepted (every missing material, and where the catalog
says to get it). The 经办人 is the case's clerk (代办员 for an agent's case). ID photos are
built by the window from a camera frame (see steps.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from edge.devices.printer.document import Document
from edge.devices.printer.slips import (
    AcceptanceReceipt,
    CaseSlip,
    CompletionNotice,
    DeficiencyNotice,
    OneTimeNotice,
    OwedMaterial,
    SupplyMethod,
    Window,
    completion_document,
    deficiency_document,
    notice_document,
    receipt_document,
)
from edge.workflow.model import Case
from protocol.calendar import CHINA, WorkCalendar
from protocol.case import CaseState
from protocol.catalog import (
    APPROVAL_LABELS,
    WAIVER_GROUND_LABELS,
    Approval,
    Matter,
    Slip,
    WaiverGround,
)

RECEIPT, DEFICIENCY, COMPLETION, PHOTO = "receipt", "deficiency", "completion", "photo"
NOTICE = "notice"
SLIP_NAMES = {
    NOTICE: "一次性告知书",
    RECEIPT: "受理回执",
    DEFICIENCY: "容缺受理单",
    COMPLETION: "办结通知",
    PHOTO: "证件照",
}


@dataclass(frozen=True)
class WindowInfo:
    window: Window
    clerk: str = "窗口工作人员"
    track_base: str = "https://bianmin.example/c/"  # the hub's {hub_url}/c/ (runtime.py)
    supply_email: str | None = None  # where owed materials may be e-mailed
    supply_address: str | None = None  # where they may be posted


def slips_for(case: Case, matter_slips: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Which slips this case prints, in order."""
    if case.state is CaseState.NOT_ACCEPTED:
        return (NOTICE,)
    out = []
    if Slip.ACCEPTANCE_RECEIPT.value in matter_slips or not matter_slips:
        out.append(RECEIPT)
    if case.owed:
        out.append(DEFICIENCY)
    if case.state is CaseState.APPROVED and case.instant:
        out.append(COMPLETION)
    if case.photo is not None:
        out.append(PHOTO)
    return tuple(out)


def _slip(case: Case, info: WindowInfo) -> CaseSlip:
    assert case.applicant is not None
    assert case.matter_name is not None
    masked = case.applicant.id_masked
    return CaseSlip(
        case_ref=case.case_ref,
        # the case's status page when it has a token; else the reference, to quote by phone
        track=f"{info.track_base}{case.status_token}" if case.status_token else case.case_ref,
        matter=case.matter_name,
        # no name is captured at the window without a card reader: the number's tail names
        # the applicant on the slip, and the signature on file proves who it was
        applicant=f"身份证尾号{masked[-4:]}",
        applicant_id=masked,
        clerk=clerk_label(case, info),
        accepted_at=_accepted_at(case),
        window=info.window,
    )


def clerk_label(case: Case, info: WindowInfo) -> str:
    """经办人: the case's clerk by name, marked when an agent filed it (代办)."""
    name = case.clerk_name or info.clerk
    return f"{name}（代办员）" if case.agent is not None and case.agent == case.clerk else name


def _accepted_at(case: Case) -> datetime:
    return case.updated_at.astimezone(CHINA).replace(tzinfo=None)


def _waived_lines(case: Case) -> tuple[str, ...]:
    out = []
    for m in case.materials:
        if m.status in ("waived", "shown") and m.ground:
            label = WAIVER_GROUND_LABELS[WaiverGround(m.ground)]
            out.append(f"{m.name}（{label}）")
    return tuple(out)


def _route_label(case: Case) -> str:
    if case.route is Approval.WINDOW and case.instant:
        return "即办（窗口直审）"
    return APPROVAL_LABELS[case.route or Approval.WINDOW]


def document(
    kind: str,
    case: Case,
    info: WindowInfo,
    now: datetime,
    calendar: WorkCalendar,
    matter: Matter | None = None,
) -> Document:
    """One slip of the case as a printable document (not the photo); ``matter`` tells the
    一次性告知书 where each missing material is obtained."""
    if kind == NOTICE:
        return _notice(case, info, matter)
    d = case.deadlines
    assert d is not None
    assert case.promised_days is not None
    assert case.legal_days is not None
    slip = _slip(case, info)
    if kind == RECEIPT:
        received = tuple(m.name for m in case.materials if m.status in ("received", "window"))
        return receipt_document(
            AcceptanceReceipt(
                case=slip,
                route=_route_label(case),
                promised_days=case.promised_days,
                legal_days=case.legal_days,
                due=d.promised_due,
                materials=received,
                waived=_waived_lines(case),
            )
        )
    if kind == DEFICIENCY:
        assert d.supply_by is not None
        methods = [
            SupplyMethod("窗口补交", f"{info.window.name}，{info.window.hours or '工作时间'}")
        ]
        if info.supply_email:
            methods.append(SupplyMethod("电子邮件", info.supply_email))
        if info.supply_address:
            methods.append(SupplyMethod("邮寄", info.supply_address))
        return deficiency_document(
            DeficiencyNotice(
                case=slip,
                missing=tuple(OwedMaterial(n) for n in case.owed),
                supply_by=d.supply_by,
                supply_days=d.supply_days
                if d.supply_days is not None
                else calendar.working_days_between(d.accepted_on, d.supply_by),
                methods=tuple(methods),
                promised_days=case.promised_days,
            )
        )
    if kind == COMPLETION:
        return completion_document(
            CompletionNotice(
                case=slip,
                completed_at=now.astimezone(CHINA).replace(tzinfo=None),
                outcome="准予办理（已办结）",
                result_detail=None,
                pickup="当场办结，结果已告知申请人",
                promised_days=0,
                elapsed_days=0,
            )
        )
    raise ValueError(f"unknown slip {kind!r}")


def _notice(case: Case, info: WindowInfo, matter: Matter | None) -> Document:
    where = {m.name: m.obtain_at for m in matter.materials} if matter else {}
    missing = tuple(
        OwedMaterial(m.name, where.get(m.name)) for m in case.materials if m.status == "missing"
    )
    return notice_document(
        OneTimeNotice(
            case=_slip(case, info),
            missing=missing,
            department=matter.department if matter else None,
            **(
                {"reason": f"申请人未签名确认（{case.refusal}），本次不予受理。"}
                if case.refusal
                else {}
            ),
        )
    )

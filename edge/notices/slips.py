"""The notices the window prints for the applicant from a back office's result (pure): the
办结通知 with the window's completion renderer, the 补正通知 listing what is asked, the
不予受理通知 with the reason. Each carries the case's QR, and only the masked ID number."""

from __future__ import annotations

from datetime import datetime

from edge.devices.printer.document import Block, Document, Feed, Field, Item, Qr, Rule, Text
from edge.devices.printer.slips import (
    CaseSlip,
    CompletionNotice,
    completion_document,
    fmt_time,
    mask_id_number,
)
from edge.workflow.documents import WindowInfo
from protocol.calendar import CHINA
from protocol.notice import CaseNotice, NoticeStep


def _local(at: datetime) -> datetime:
    return at.astimezone(CHINA).replace(tzinfo=None)


def case_slip(notice: CaseNotice, info: WindowInfo, clerk: str | None) -> CaseSlip:
    masked = notice.id_masked or ""
    return CaseSlip(
        case_ref=notice.case_ref,
        track=f"{info.track_base}{notice.case_ref}",
        matter=notice.matter_name or notice.matter_code or "—",
        applicant=f"身份证尾号{masked[-4:]}" if masked else "—",
        applicant_id=masked or "—",
        clerk=clerk or info.clerk,
        accepted_at=_local(notice.accepted_at or notice.issued_at),
        window=info.window,
    )


def _head(slip: CaseSlip, title: str) -> list[Block]:
    return [
        Text(slip.window.name, align="center", bold=True),
        Text(title, align="center", scale=2, bold=True),
        Rule("="),
        Field("受理编号", slip.case_ref, bold=True),
        Field("申 请 人", slip.applicant),
        Field("证件号码", mask_id_number(slip.applicant_id)),
        Field("办理事项", slip.matter),
        Field("受理时间", fmt_time(slip.accepted_at)),
    ]


def _foot(slip: CaseSlip, note: str) -> list[Block]:
    blocks: list[Block] = [Rule(), Qr(slip.track, caption="扫码查看办理进度"), Feed()]
    blocks.append(Field("经 办 人", slip.clerk))
    if slip.window.phone:
        blocks.append(Field("监督电话", slip.window.phone))
    return [*blocks, Feed(), Text(note, align="center")]


def notice_document(notice: CaseNotice, info: WindowInfo, *, clerk: str | None = None) -> Document:
    """The printable notice for the applicant."""
    slip = case_slip(notice, info, clerk)
    decided = fmt_time(_local(notice.issued_at))
    if notice.step is NoticeStep.COMPLETED:
        return completion_document(
            CompletionNotice(
                case=slip,
                completed_at=_local(notice.issued_at),
                outcome=f"已办结（{notice.office}）",
                result_detail=notice.text,
                pickup="村（社区）便民服务窗口交付",
            )
        )
    if notice.step is NoticeStep.CORRECTION:
        blocks = _head(slip, "补正通知")
        blocks += [
            Field("通知时间", decided),
            Field("审批单位", notice.office),
            Rule("."),
            Text("经审查，您的申请需补正以下材料：", bold=True),
            *[Item(f"{i}. ", a) for i, a in enumerate(notice.asked, 1)],
        ]
        if notice.text:
            blocks.append(Text(f"说明：{notice.text}"))
        blocks.append(Text("请将补正材料交至本窗口或审批单位，补正期间办理时限暂停计算。"))
        blocks += _foot(slip, "补交材料时请注明受理编号。")
        return Document(f"补正通知 {slip.case_ref}", tuple(blocks))
    blocks = _head(slip, "不予受理通知")
    blocks += [
        Field("通知时间", decided),
        Field("审批单位", notice.office),
        Rule("."),
        Field("理　　由", notice.text or "—", bold=True),
        Text("如对本决定有异议，可依法申请行政复议或提起行政诉讼。"),
    ]
    blocks += _foot(slip, "如需帮助，请咨询本窗口工作人员。")
    return Document(f"不予受理通知 {slip.case_ref}", tuple(blocks))

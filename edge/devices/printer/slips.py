"""The slips the window prints, as Documents. Pure code: data in, blocks out.

受理回执 (acceptance receipt), 容缺受理单 (accepted with materials still owed), 办结通知
(completion notice), 一次性告知书 (not accepted: everything missing, told once); each carries
a QR code to follow the case. The workflow fills the
dataclasses from its case; ID numbers are masked here again, so no slip carries a full one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from edge.devices.printer.document import Block, Document, Feed, Field, Item, Qr, Rule, Text


@dataclass(frozen=True)
class Window:
    name: str  # e.g. 清溪镇南岭村便民服务站
    phone: str | None = None  # 监督电话
    hours: str | None = None


@dataclass(frozen=True)
class CaseSlip:
    case_ref: str  # 受理编号
    track: str  # QR content: a URL or a case reference the resident's app understands
    matter: str  # 办理事项
    applicant: str
    applicant_id: str  # masked or not; always printed masked
    clerk: str  # 经办人 (clerk or agent)
    accepted_at: datetime
    window: Window


@dataclass(frozen=True)
class AcceptanceReceipt:
    case: CaseSlip
    route: str  # 窗口直审 / 即办 / 报镇（街道）审批 / 报县级部门审批
    promised_days: int
    legal_days: int
    due: date
    materials: tuple[str, ...] = ()  # received at the window
    waived: tuple[
        str, ...
    ] = ()  # not required, each with its ground, e.g. "户口簿（信息一库认证）"


@dataclass(frozen=True)
class OwedMaterial:
    name: str
    note: str | None = None  # e.g. 原件核验后退还


@dataclass(frozen=True)
class SupplyMethod:
    how: str  # 邮寄 / 电子邮件 / 窗口补交 / 网上上传
    detail: str  # address, mailbox, hours


@dataclass(frozen=True)
class DeficiencyNotice:
    case: CaseSlip
    missing: tuple[OwedMaterial, ...]
    supply_by: date
    supply_days: int
    methods: tuple[SupplyMethod, ...]
    promised_days: int
    consequence: str = "逾期未补齐的，本次申请按撤回处理，已提交材料退还申请人。"
    result_delivery: str | None = "办理结果可邮寄送达，邮费由政府承担。"


@dataclass(frozen=True)
class CompletionNotice:
    case: CaseSlip
    completed_at: datetime
    outcome: str  # 准予办理 / 已办结 / 不予办理（附理由）
    result_detail: str | None
    pickup: str  # how the resident gets the result
    promised_days: int | None = None
    elapsed_days: int | None = None


@dataclass(frozen=True)
class OneTimeNotice:
    """一次性告知书: the case is not accepted; every missing material, and where to get it."""

    case: CaseSlip  # accepted_at: when the applicant was told
    missing: tuple[OwedMaterial, ...]  # note: where to obtain it (开具单位或获取途径)
    department: str | None = None
    reason: str = "申请材料不齐全，本次暂不予受理。"


_ID = re.compile(r"^(\d)\d{16}([\dXx])$")


def mask_id_number(value: str) -> str:
    """The slip's safety net for a number given in clear: 330122199001011234 ->
    3****************4, the same form as protocol.identity.mask; anything else as given."""
    m = _ID.match(value.strip())
    return f"{m.group(1)}{'*' * 16}{m.group(2).upper()}" if m else value


def fmt_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def fmt_time(t: datetime) -> str:
    return f"{fmt_date(t)} {t:%H:%M}"


def _head(case: CaseSlip, title: str, when: str = "受理时间") -> list[Block]:
    return [
        Text(case.window.name, align="center", bold=True),
        Text(title, align="center", scale=2, bold=True),
        Rule("="),
        Field("受理编号", case.case_ref, bold=True),
        Field("申 请 人", case.applicant),
        Field("证件号码", mask_id_number(case.applicant_id)),
        Field("办理事项", case.matter),
        Field(when, fmt_time(case.accepted_at)),
    ]


def _foot(case: CaseSlip, caption: str, note: str | None) -> list[Block]:
    blocks: list[Block] = [Rule(), Qr(case.track, caption=caption), Feed()]
    blocks.append(Field("经 办 人", case.clerk))
    if case.window.phone:
        blocks.append(Field("监督电话", case.window.phone))
    if case.window.hours:
        blocks.append(Field("办公时间", case.window.hours))
    if note:
        blocks += [Feed(), Text(note, align="center")]
    return blocks


def _numbered(items: tuple[str, ...]) -> list[Block]:
    return [Item(f"{i}. ", text) for i, text in enumerate(items, 1)]


def receipt_document(r: AcceptanceReceipt) -> Document:
    c = r.case
    blocks = _head(c, "受理回执")
    blocks += [
        Field("办理方式", r.route),
    ]
    if r.promised_days == 0:  # an instant matter: never "0个工作日"
        blocks.append(Field("承诺时限", "当场办结"))
    else:
        blocks += [
            Field("承诺时限", f"{r.promised_days}个工作日（法定{r.legal_days}个工作日）"),
            Field("预计办结", fmt_date(r.due)),
        ]
    if r.materials:
        blocks += [Rule("."), Text("已收材料：", bold=True), *_numbered(r.materials)]
    if r.waived:
        blocks += [Text("免于提交：", bold=True), *_numbered(r.waived)]
    blocks += _foot(c, "扫码查询办理进度", "请妥善保管本回执，凭此查询和领取办理结果。")
    return Document(f"受理回执 {c.case_ref}", tuple(blocks))


def deficiency_document(d: DeficiencyNotice) -> Document:
    c = d.case
    blocks = _head(c, "容缺受理单")
    blocks += [
        Field(
            "承诺时限",
            "材料补齐后当场办结"
            if d.promised_days == 0
            else f"{d.promised_days}个工作日（自材料补齐之日起计算）",
        ),
        Rule("."),
        Text("您的申请已容缺受理，请补齐以下材料：", bold=True),
    ]
    for i, m in enumerate(d.missing, 1):
        blocks.append(Item(f"{i}. ", f"{m.name}（{m.note}）" if m.note else m.name))
    blocks += [
        Field("补齐期限", f"{fmt_date(d.supply_by)}前（{d.supply_days}个工作日内）", bold=True),
        Text("补交方式（任选其一）：" if len(d.methods) > 1 else "补交方式：", bold=True),
    ]
    blocks += [Item("· ", f"{m.how}：{m.detail}") for m in d.methods]
    blocks.append(Text(d.consequence))
    if d.result_delivery:
        blocks.append(Text(d.result_delivery))
    blocks += _foot(c, "扫码查询进度、上传补齐材料", "补交材料时请注明受理编号。")
    return Document(f"容缺受理单 {c.case_ref}", tuple(blocks))


def completion_document(n: CompletionNotice) -> Document:
    c = n.case
    blocks = _head(c, "办结通知")
    blocks += [
        Field("办结时间", fmt_time(n.completed_at)),
        Field("办理结果", n.outcome, bold=True),
    ]
    if n.result_detail:
        blocks.append(Text(n.result_detail))
    if n.promised_days == 0:
        blocks.append(Field("办理用时", "当场办结"))
    elif n.promised_days is not None and n.elapsed_days is not None:
        blocks.append(
            Field("办理用时", f"{n.elapsed_days}个工作日（承诺{n.promised_days}个工作日）")
        )
    blocks.append(Field("领取方式", n.pickup))
    blocks += _foot(c, "扫码查看办理结果", "请对本次服务作出评价（一事一评）")
    return Document(f"办结通知 {c.case_ref}", tuple(blocks))


def notice_document(n: OneTimeNotice) -> Document:
    c = n.case
    blocks = _head(c, "一次性告知书", "告知时间")
    if n.department:
        blocks.append(Field("主管部门", n.department))
    blocks += [
        Field("办理窗口", c.window.name),
        Rule("."),
        Text(n.reason, bold=True),
    ]
    if not n.missing:  # complete materials, not accepted for another reason (no signature)
        blocks.append(Text("本事项申请材料已齐全，申请人签名确认后即可重新申请，无须补充材料。"))
    else:
        blocks.append(Text("请备齐以下全部材料后再来办理：", bold=True))
    for i, m in enumerate(n.missing, 1):
        blocks.append(Item(f"{i}. ", m.name))
        if m.note:
            blocks.append(Item("   ", f"获取途径：{m.note}"))
    if n.missing:
        blocks.append(Text("以上为本事项尚缺的全部材料，一次告知；备齐后不再要求补充其他材料。"))
    blocks += _foot(c, "扫码查看所需材料", "携带本告知书办理，可凭受理编号查询。")
    return Document(f"一次性告知书 {c.case_ref}", tuple(blocks))

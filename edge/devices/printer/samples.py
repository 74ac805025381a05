"""Sample slips with realistic content, for `bianmin edge print-test`, demos and tests.

The village, people and numbers are invented; the matters and rules follow the county's
delegated services (城乡居民医保参保, 农村建房, 生育登记).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

from edge.devices.printer.document import Document
from edge.devices.printer.photo import photo_document, photo_size
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

if TYPE_CHECKING:
    from PIL.Image import Image

SlipKind = Literal["receipt", "deficiency", "completion", "notice", "photo"]
SLIP_KINDS: tuple[SlipKind, ...] = ("receipt", "deficiency", "completion", "notice", "photo")

WINDOW = Window(
    name="清溪镇南岭村便民服务站",
    phone="0571-6402 3318",
    hours="周一至周五 8:30-12:00，13:30-17:00",
)
TRACK_BASE = "https://bianmin.example/c/"


def sample_case(
    ref: str = "NL20261126-0037", matter: str = "城乡居民基本医疗保险参保登记"
) -> CaseSlip:
    return CaseSlip(
        case_ref=ref,
        track=f"{TRACK_BASE}{ref}",
        matter=matter,
        applicant="张建国",
        applicant_id="330122196805172316",
        clerk="李晓燕（代办员）",
        accepted_at=datetime(2026, 11, 26, 9, 42),
        window=WINDOW,
    )


def sample_receipt() -> AcceptanceReceipt:
    return AcceptanceReceipt(
        case=sample_case(),
        route="窗口直审",
        promised_days=1,
        legal_days=20,
        due=date(2026, 11, 27),
        materials=("居民身份证（原件核验）", "城乡居民医保参保登记表"),
        waived=("户口簿（信息一库认证，免提交）", "低保证明（部门数据共享，免提交）"),
    )


def sample_deficiency() -> DeficiencyNotice:
    return DeficiencyNotice(
        case=sample_case("NL20261126-0041", "农村村民住宅建设用地审批（翻建）"),
        missing=(
            OwedMaterial("房屋设计图或通用图集选用图", "可由村委会代为申领"),
            OwedMaterial("相邻权利人意见书", "需相邻户签字并按手印"),
        ),
        supply_by=date(2026, 12, 10),
        supply_days=10,
        methods=(
            SupplyMethod("邮寄", "清溪镇便民服务中心（南岭路18号）收，注明受理编号"),
            SupplyMethod("电子邮件", "nl-bmfw@qingxi.example"),
            SupplyMethod("窗口补交", "本服务站，办公时间内"),
        ),
        promised_days=15,
    )


def sample_completion() -> CompletionNotice:
    return CompletionNotice(
        case=sample_case("NL20261126-0037"),
        completed_at=datetime(2026, 11, 26, 15, 10),
        outcome="准予办理",
        result_detail="您已完成2027年度城乡居民基本医疗保险参保登记，自2027年1月1日起享受医保待遇。",
        pickup="无需领取，结果已同步至“浙里办”个人空间",
        promised_days=1,
        elapsed_days=1,
    )


def sample_notice() -> OneTimeNotice:
    return OneTimeNotice(
        case=sample_case("NL20261126-0044", "残疾人两项补贴申请"),
        missing=(
            OwedMaterial("残疾人证复印件", "县残疾人联合会"),
            OwedMaterial("医疗诊断证明", "二级以上医院"),
            OwedMaterial("申请表（窗口打印，本人签字）"),
        ),
        department="县民政局",
    )


def sample_portrait(size: tuple[int, int]) -> Image:
    """A synthetic greyscale head-and-shoulders portrait (no real person's photo)."""
    from PIL import Image, ImageDraw, ImageFilter

    w, h = size
    img = Image.linear_gradient("L").resize((w, h)).point(lambda v: 250 - v // 16)  # backdrop
    d = ImageDraw.Draw(img)
    d.ellipse((w * 0.08, h * 0.68, w * 0.92, h * 1.35), fill=60)  # shoulders (dark jacket)
    d.polygon([(w * 0.42, h * 0.7), (w * 0.5, h * 0.86), (w * 0.58, h * 0.7)], fill=235)
    d.rectangle((w * 0.41, h * 0.55, w * 0.59, h * 0.72), fill=170)  # neck
    d.ellipse((w * 0.27, h * 0.16, w * 0.73, h * 0.66), fill=200)  # face
    d.ellipse((w * 0.3, h * 0.2, w * 0.7, h * 0.62), fill=212)  # lit cheeks and forehead
    d.line((w * 0.5, h * 0.42, w * 0.48, h * 0.5), fill=150, width=2)  # nose
    d.chord((w * 0.25, h * 0.1, w * 0.75, h * 0.5), 180, 360, fill=35)  # hair
    for ex in (0.4, 0.6):
        d.ellipse((w * (ex - 0.04), h * 0.38, w * (ex + 0.04), h * 0.42), fill=40)
    d.arc((w * 0.42, h * 0.5, w * 0.58, h * 0.58), 20, 160, fill=90, width=2)
    return img.filter(ImageFilter.GaussianBlur(1.2))


def sample_document(kind: SlipKind) -> Document:
    if kind == "receipt":
        return receipt_document(sample_receipt())
    if kind == "deficiency":
        return deficiency_document(sample_deficiency())
    if kind == "completion":
        return completion_document(sample_completion())
    if kind == "notice":
        return notice_document(sample_notice())
    return photo_document(sample_portrait(photo_size("1inch")), "1inch", copies=2)

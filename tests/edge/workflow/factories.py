"""Matters and contexts for pure workflow tests."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from edge.workflow.machine import Context, Step, step
from edge.workflow.model import Case, Command, OnDuty
from protocol.calendar import WorkCalendar
from protocol.catalog import Approval, Level, LifeArea, Material, Matter, Slip, WaiverGround
from protocol.clerks import ClerkRole

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # Thursday 10:00 in China
CASE_ID = UUID("019ac000-0000-7000-8000-00000000abcd")
REF = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"
CLERK = OnDuty("ck-0000c1e4", "王芳", ClerkRole.CLERK)
AGENT = OnDuty("ck-0000a9e7", "李强", ClerkRole.AGENT)


def matter(
    code: str = "TST-001", *, instant: bool = False, approval: Approval = Approval.WINDOW,
    deferrable: bool = True, promised: int = 3, legal: int = 20,
) -> Matter:  # fmt: skip
    materials = [
        Material(name="申请表", critical=True),
        Material(name="户口簿复印件", waived=True, waiver_ground=WaiverGround.COUNTY_DATABASE),
        Material(name="身份证复印件", waived=True, waiver_ground=WaiverGround.DOCUMENT_SHOWN),
        Material(name="证明信", waived=True, waiver_ground=WaiverGround.NOT_REQUIRED_BY_LAW),
        Material(
            name="入户核实", waived=True, waiver_ground=WaiverGround.HOME_VISIT_OR_JOINT_REVIEW
        ),
        Material(name="近期免冠证件照片（窗口现场拍摄）"),
        Material(name="授权委托书", required=False),
    ]
    slips = [Slip.ACCEPTANCE_RECEIPT]
    if deferrable:
        materials.append(Material(name="银行账户信息", deferrable=True))
        slips.append(Slip.DEFICIENCY_SLIP)
    if instant:
        slips.append(Slip.COMPLETION_NOTICE)
    return Matter(
        code=code, name="测试事项", department="县测试局", level=Level.COUNTY, delegated=True,
        area=LifeArea.ELDERLY, legal_days=legal, promised_days=0 if instant else promised,
        instant=instant, approval=Approval.WINDOW if instant else approval,
        steps_before=("受理", "审批"), steps_after=("受理",), materials=tuple(materials),
        slips=tuple(slips),
    )  # fmt: skip


def context(
    *matters: Matter, now: datetime = NOW, blacklist: frozenset[str] | None = frozenset(),
    clerk: OnDuty | None = CLERK,
) -> Context:  # fmt: skip
    found = matters or (matter(),)
    return Context(
        "t001", now, {m.code: m for m in found}, WorkCalendar.seed(), blacklist, 5,
        clerk=clerk,
    )  # fmt: skip


def run(ctx: Context, *commands: Command, case: Case | None = None) -> list[Step]:
    steps = []
    for cmd in commands:
        done = step(case, cmd, ctx)
        case = done.case
        steps.append(done)
    return steps

"""The window's case workflow as a pure state machine: (case, command, context) -> (case,
transition), or a WorkflowError saying in Chinese why not. No I/O: the clock, the catalog,
the blacklist and the registry's answer come in through the context and the commands.

    opened -> consented -> identified -> matter_selected -> materials_checked
      -> accepted | deficiency_accepted (容缺) -> signed -> approved | forwarded -> printed
      -> rated -> closed
    materials_checked -> not_accepted (一次性告知) -> rated -> closed
    any state before acceptance -> closed (cancelled)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from edge.workflow import errors as e
from edge.workflow.materials import assess, checklist, needs_photo
from edge.workflow.model import (
    Accept,
    Applicant,
    Cancel,
    Case,
    CheckMaterials,
    Close,
    Command,
    Deadlines,
    Decline,
    GiveConsent,
    Identify,
    MaterialOutcome,
    Open,
    Printed,
    Rate,
    Route,
    SelectMatter,
    Sign,
)
from protocol.calendar import WorkCalendar, local_date
from protocol.case import CaseState, GreenChannel, IdMethod, Outcome
from protocol.catalog import Approval, Matter
from protocol.labels import BAD_RATINGS, DEVICE_LABELS, NOT_RATED_LABEL, RATING_LABELS
from protocol.messages import CaseTransition, DataValue, JsonScalar
from protocol.supply import token_sha256

S = CaseState
BEFORE_ACCEPTANCE = frozenset(
    {S.OPENED, S.CONSENTED, S.IDENTIFIED, S.MATTER_SELECTED, S.MATERIALS_CHECKED}
)
ALLOWED: dict[type, frozenset[CaseState]] = {
    GiveConsent: frozenset({S.OPENED}),
    Identify: frozenset({S.CONSENTED}),
    SelectMatter: frozenset({S.IDENTIFIED, S.MATTER_SELECTED, S.MATERIALS_CHECKED}),
    CheckMaterials: frozenset({S.MATTER_SELECTED, S.MATERIALS_CHECKED}),
    Accept: frozenset({S.MATERIALS_CHECKED}),
    Decline: frozenset({S.MATERIALS_CHECKED}),
    Sign: frozenset({S.ACCEPTED, S.DEFICIENCY_ACCEPTED}),
    Route: frozenset({S.SIGNED}),
    Printed: frozenset({S.APPROVED, S.FORWARDED}),
    Rate: frozenset({S.PRINTED, S.NOT_ACCEPTED}),
    Close: frozenset({S.RATED}),
    Cancel: BEFORE_ACCEPTANCE,
}
STATE_LABELS: dict[CaseState, str] = {
    S.OPENED: "已开始", S.CONSENTED: "已告知", S.IDENTIFIED: "已核验身份",
    S.MATTER_SELECTED: "已选事项", S.MATERIALS_CHECKED: "已核对材料", S.ACCEPTED: "已受理",
    S.DEFICIENCY_ACCEPTED: "已容缺受理", S.NOT_ACCEPTED: "不予受理", S.SIGNED: "已签名",
    S.APPROVED: "窗口已审批", S.FORWARDED: "已报送", S.PRINTED: "已打印", S.RATED: "已评价",
    S.CLOSED: "已结束",
}  # fmt: skip


@dataclass(frozen=True)
class Context:
    unit: str
    now: datetime  # aware
    matters: Mapping[str, Matter]
    calendar: WorkCalendar
    blacklist: frozenset[str] | None  # None: the unit has none, so no green channel
    deferred_days: int = 5
    # where the calendar comes from: "config" (the applied configuration's) or "seed" (the
    # configuration carries none); said on every acceptance
    calendar_source: str = "config"


@dataclass(frozen=True)
class Step:
    case: Case
    transition: CaseTransition


def case_ref(unit: str, case_id_hex: str, opened: datetime) -> str:
    return f"{unit.upper()}-{local_date(opened):%Y%m%d}-{case_id_hex[-6:].upper()}"


def green_channel(ref: str, blacklist: frozenset[str] | None) -> GreenChannel:
    if blacklist is None:
        return GreenChannel.REFUSED_NO_BLACKLIST
    return GreenChannel.REFUSED_BLACKLIST if ref in blacklist else GreenChannel.ALLOWED


def step(case: Case | None, cmd: Command, ctx: Context) -> Step:
    """Apply one command. Raises a WorkflowError (with a Chinese message) to refuse it."""
    if isinstance(cmd, Open):
        if case is not None and not case.closed:
            raise e.CaseAlreadyOpen("当前办件尚未结束")
        ref = case_ref(ctx.unit, cmd.case_id.hex, ctx.now)
        new = Case(
            case_id=cmd.case_id, case_ref=ref, opened_at=ctx.now, updated_at=ctx.now,
            state=S.OPENED, status_token=cmd.status_token,
        )  # fmt: skip
        opened: dict[str, DataValue] = {"case_ref": ref}
        if cmd.status_token is not None:
            # the hub finds the case's status page by this hash; the token stays on paper
            opened["status_token_sha256"] = token_sha256(cmd.status_token)
        return Step(new, _transition(new, opened))
    if case is None or case.closed:
        raise e.NoOpenCase("当前没有办理中的办件")
    allowed = ALLOWED[type(cmd)]
    if case.state not in allowed:
        raise e.WrongState(
            f"当前状态（{STATE_LABELS[case.state]}）不能进行此操作",
            f"{type(cmd).__name__} needs {sorted(allowed)}, the case is {case.state}",
        )
    changes, data = _HANDLERS[type(cmd)](case, cmd, ctx)
    new = case.model_copy(
        update={**changes, "updated_at": ctx.now, "transitions": case.transitions + 1}
    )
    return Step(new, _transition(new, data))


def _transition(case: Case, data: dict[str, DataValue]) -> CaseTransition:
    return CaseTransition(
        case_id=case.case_id, state=case.state.value, matter_code=case.matter_code, data=data
    )


Changes = tuple[dict[str, object], dict[str, DataValue]]


def _consent(case: Case, cmd: GiveConsent, ctx: Context) -> Changes:
    return {"state": S.CONSENTED, "face_consent": cmd.face}, {"face": cmd.face}


def _identify(case: Case, cmd: Identify, ctx: Context) -> Changes:
    data: dict[str, DataValue] = {
        "method": cmd.method.value, "applicant": cmd.ref, "id_masked": cmd.id_masked,
    }  # fmt: skip
    if cmd.method is IdMethod.FACE:
        if not case.face_consent:
            raise e.ConsentMissing("申请人未单独同意人脸核验，请改用身份证核验")
        face = cmd.face
        if face is None:
            raise e.IdentityRejected("缺少人脸比对结果")
        if not face.match:
            raise e.IdentityRejected("人脸比对未通过，请改用身份证核验")
        if not face.live:
            raise e.IdentityRejected("活体检测未通过，须工作人员确认本人在场")
        data |= {
            "distance": round(face.distance, 4), "threshold": face.threshold,
            "reference": face.reference, "liveness": face.liveness,
            "clerk_confirmed": face.clerk_confirmed,
        }  # fmt: skip
    elif cmd.face is not None:
        raise e.IdentityRejected("身份证核验不使用人脸数据")
    applicant = Applicant(ref=cmd.ref, id_masked=cmd.id_masked, method=cmd.method, face=cmd.face)
    return {"state": S.IDENTIFIED, "applicant": applicant}, data


def _matter(ctx: Context, code: str) -> Matter:
    matter = ctx.matters.get(code)
    if matter is None:
        raise e.UnknownMatter(f"本窗口不办理事项 {code}")
    return matter


def case_matter(case: Case, matters: Mapping[str, Matter]) -> Matter:
    """The definition of the case's matter it was selected with; for a snapshot from before
    cases kept it, the current catalog's."""
    if case.matter is not None:
        return case.matter
    assert case.matter_code is not None
    found = matters.get(case.matter_code)
    if found is None:
        raise e.UnknownMatter(f"本窗口不再办理事项 {case.matter_code}")
    return found


def _select(case: Case, cmd: SelectMatter, ctx: Context) -> Changes:
    m = _matter(ctx, cmd.code)
    changes: dict[str, object] = {
        "state": S.MATTER_SELECTED, "matter_code": m.code, "matter_name": m.name, "matter": m,
        "approval": m.approval, "instant": m.instant, "legal_days": m.legal_days,
        "promised_days": m.promised_days, "photo": "1inch" if needs_photo(m) else None,
        "materials": (), "green_channel": None, "owed": (), "home_visit": False,
    }  # fmt: skip
    data: dict[str, DataValue] = {
        "approval": m.approval.value, "instant": m.instant, "legal_days": m.legal_days,
        "promised_days": m.promised_days,
    }  # fmt: skip
    return changes, data


def _check(case: Case, cmd: CheckMaterials, ctx: Context) -> Changes:
    assert case.applicant is not None
    m = case_matter(case, ctx.matters)
    lines = checklist(m, cmd.registry_found)
    a = assess(lines, cmd.received, cmd.shown)
    outcomes = [
        MaterialOutcome(name=n, status="waived", ground=_ground(lines, n)) for n in a.waived
    ]
    outcomes += [MaterialOutcome(name=n, status="received") for n in a.received]
    outcomes += [MaterialOutcome(name=n, status="shown", ground="document_shown") for n in a.shown]
    outcomes += [MaterialOutcome(name=n, status="window") for n in a.window]
    outcomes += [MaterialOutcome(name=n, status="missing") for n in a.missing_blocking]
    outcomes += [
        MaterialOutcome(name=n, status="missing", deferrable=True) for n in a.missing_deferrable
    ]
    channel = GreenChannel.NOT_NEEDED
    if a.deferrable_only:
        channel = green_channel(case.applicant.ref, ctx.blacklist)
    registry = "n/a"
    asked = [ln for ln in lines if ln.lookup is not None]
    if asked:
        registry = "unreachable" if cmd.registry_found is None else "answered"
    data: dict[str, DataValue] = {
        "waived": len(a.waived), "received": len(a.received), "shown": len(a.shown),
        "window": len(a.window), "missing": len(a.missing_blocking),
        "deferrable_missing": len(a.missing_deferrable), "registry": registry,
        "registry_waived": sum(1 for ln in asked if ln.lookup == "found"),
        "green_channel": channel.value, "home_visit": a.home_visit,
        # names for the hub's case record (hub.cases): a waived one as "name|ground"
        "given": [*a.received, *a.shown],
        "waived_as": [f"{n}|{_ground(lines, n) or ''}" for n in a.waived],
        "missing_materials": [*a.missing_blocking, *a.missing_deferrable],
    }  # fmt: skip
    changes: dict[str, object] = {
        "state": S.MATERIALS_CHECKED, "materials": tuple(outcomes), "green_channel": channel,
        "home_visit": a.home_visit,
    }  # fmt: skip
    return changes, data


def _ground(lines: tuple[object, ...], name: str) -> str | None:
    for line in lines:
        if getattr(line, "name", None) == name:
            ground = getattr(line, "ground", None)
            return str(ground.value) if ground is not None else None
    return None


def _missing(case: Case) -> tuple[list[str], list[str]]:
    blocking = [m.name for m in case.materials if m.status == "missing" and not m.deferrable]
    deferrable = [m.name for m in case.materials if m.status == "missing" and m.deferrable]
    return blocking, deferrable


def _accept(case: Case, cmd: Accept, ctx: Context) -> Changes:
    blocking, deferrable = _missing(case)
    if blocking:
        raise e.MaterialsIncomplete(f"缺少必需材料：{'、'.join(blocking)}，不能受理")
    if deferrable and not cmd.defer:
        raise e.MaterialsIncomplete(f"缺少材料：{'、'.join(deferrable)}，可选择容缺受理")
    if cmd.defer and not deferrable:
        raise e.NothingMissing("材料齐全，无需容缺受理")
    assert case.legal_days is not None
    assert case.promised_days is not None
    cal, today = ctx.calendar, local_date(ctx.now)
    data: dict[str, DataValue] = {}
    if cmd.defer:
        if case.green_channel is GreenChannel.REFUSED_BLACKLIST:
            raise e.GreenChannelRefused("该申请人已列入诚信黑名单，不适用容缺受理等绿色通道")
        if case.green_channel is not GreenChannel.ALLOWED:
            raise e.GreenChannelRefused("本终端尚未收到诚信名单，暂不能容缺受理")
        supply_by = cal.add_working_days(today, ctx.deferred_days)
        start = supply_by  # the time limit runs from the day the materials are complete
        materials = tuple(
            m.model_copy(update={"status": "deferred"}) if m.status == "missing" else m
            for m in case.materials
        )
        owed: list[JsonScalar] = list(deferrable)
        data |= {"owed": len(deferrable), "owed_materials": owed,
                 "supply_by": supply_by.isoformat()}  # fmt: skip
        changes: dict[str, object] = {
            "state": S.DEFICIENCY_ACCEPTED, "materials": materials, "owed": tuple(deferrable),
        }  # fmt: skip
    else:
        supply_by, start = None, today
        changes = {"state": S.ACCEPTED}
    deadlines = Deadlines(
        accepted_on=today,
        legal_due=cal.add_working_days(start, case.legal_days),
        promised_due=cal.add_working_days(start, case.promised_days),
        supply_by=supply_by,
        supply_days=ctx.deferred_days if cmd.defer else None,
        calendar_known=cal.known(today) and cal.known(start),
        calendar_version=cal.version,
    )
    changes["deadlines"] = deadlines
    data |= {"legal_due": deadlines.legal_due.isoformat(),
             "promised_due": deadlines.promised_due.isoformat(),
             "calendar_version": cal.version, "calendar_source": ctx.calendar_source,
             "calendar_known": deadlines.calendar_known}  # fmt: skip
    return changes, data


def _decline(case: Case, cmd: Decline, ctx: Context) -> Changes:
    blocking, deferrable = _missing(case)
    if not blocking and not deferrable:
        raise e.NothingMissing("材料齐全，应予受理")
    missing: list[JsonScalar] = [*blocking, *deferrable]
    return {"state": S.NOT_ACCEPTED}, {"missing": missing}


def _sign(case: Case, cmd: Sign, ctx: Context) -> Changes:
    if cmd.strokes < 1 or len(cmd.sha256) != 64:
        raise e.WorkflowError(f"请申请人在{DEVICE_LABELS['pad']}上签名")
    data: dict[str, DataValue] = {"signature_sha256": cmd.sha256, "strokes": cmd.strokes}
    return {"state": S.SIGNED, "signature_sha256": cmd.sha256}, data


def _route(case: Case, cmd: Route, ctx: Context) -> Changes:
    if case.approval is Approval.WINDOW:
        data: dict[str, DataValue] = {"at": "window", "instant": case.instant}
        return {"state": S.APPROVED, "route": Approval.WINDOW}, data
    assert case.approval is not None
    return {"state": S.FORWARDED, "route": case.approval}, {"to": case.approval.value}


def _printed(case: Case, cmd: Printed, ctx: Context) -> Changes:
    return {"state": S.PRINTED, "slips": cmd.slips}, {"slips": list(cmd.slips)}


def _rate(case: Case, cmd: Rate, ctx: Context) -> Changes:
    if cmd.level is None:
        label = NOT_RATED_LABEL
    elif cmd.level in RATING_LABELS:
        label = RATING_LABELS[cmd.level]
    else:
        raise e.InvalidRating(f"评价等级应为1至5，收到{cmd.level}")
    if cmd.level in BAD_RATINGS and not (cmd.reason and cmd.reason.strip()):
        raise e.ReasonRequired("请选择不满意的原因")
    reason = cmd.reason.strip()[:200] if cmd.reason else None
    changes: dict[str, object] = {
        "state": S.RATED, "rating": cmd.level, "rating_label": label, "rating_reason": reason,
    }  # fmt: skip
    return changes, {"level": cmd.level, "label": label, "reason": reason}


def outcome_of(case: Case) -> Outcome:
    if case.route is None:
        return Outcome.NOT_ACCEPTED
    if case.route is Approval.WINDOW and case.instant:
        return Outcome.DONE
    return Outcome.ACCEPTED


def _close(case: Case, cmd: Close, ctx: Context) -> Changes:
    outcome = outcome_of(case)
    elapsed = round((ctx.now - case.opened_at).total_seconds(), 1)
    return {"state": S.CLOSED, "outcome": outcome}, {"outcome": outcome.value, "elapsed_s": elapsed}


def _cancel(case: Case, cmd: Cancel, ctx: Context) -> Changes:
    reason = cmd.reason.strip()[:200] or "未说明"
    changes: dict[str, object] = {"state": S.CLOSED, "outcome": Outcome.CANCELLED}
    return changes, {"outcome": Outcome.CANCELLED.value, "reason": reason}


_HANDLERS: dict[type, Callable[[Case, Any, Context], Changes]] = {
    GiveConsent: _consent, Identify: _identify, SelectMatter: _select, CheckMaterials: _check,
    Accept: _accept, Decline: _decline, Sign: _sign, Route: _route, Printed: _printed,
    Rate: _rate, Close: _close, Cancel: _cancel,
}  # fmt: skip

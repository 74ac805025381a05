"""The window's case workflow as a pure state machine: (case, command, context) -> (case,
transition), or a WorkflowError saying in Chinese why not. No I/O: the clock, the catalog,
the blacklist, the registry's answer and who is acting come in through the context and the
commands.

    opened -> consented -> identified -> matter_selected -> materials_checked
      -> accepted | deficiency_accepted (容缺) -> signed -> approved | forwarded -> printed
      -> rated -> closed
    materials_checked -> not_accepted (一次性告知) -> printed (一次性告知书) -> rated -> closed
    any state before acceptance -> closed (cancelled)
    a step back before acceptance; accepted -> not_accepted when the applicant will not sign
    (edge.workflow.recovery)

A case is opened by a signed-in clerk or agent, and every transition names who acted
(``clerk``, a roster id); an agent's case (代办) also names the agent (``agent``) on every
transition and carries the resident's signed authorisation on ``consented``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from edge.workflow import errors as e
from edge.workflow.context import (
    CHINA,
    Changes,
    Context,
    Step,
    case_matter,
    case_ref,
    green_channel,
    local_date,
    matter_of,
)
from edge.workflow.decisions import accept, check, decline
from edge.workflow.materials import needs_photo
from edge.workflow.model import (
    Accept,
    Applicant,
    Back,
    Cancel,
    Case,
    CheckMaterials,
    Close,
    Command,
    Decline,
    FaceCheck,
    GiveConsent,
    Identify,
    Open,
    Printed,
    Rate,
    RefuseSign,
    Route,
    SelectMatter,
    Sign,
)
from edge.workflow.recovery import CAN_GO_BACK, SIGNING, back, refuse_sign
from protocol.case import CaseState, IdMethod, Outcome
from protocol.catalog import Approval
from protocol.clerks import ClerkRole
from protocol.labels import BAD_RATINGS, DEVICE_LABELS, NOT_RATED_LABEL, RATING_LABELS
from protocol.messages import CaseTransition, DataValue
from protocol.supply import token_sha256

__all__ = ["CHINA", "STATE_LABELS", "Context", "Step", "case_matter", "case_ref",
           "green_channel", "local_date", "outcome_of", "step"]  # fmt: skip

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
    Printed: frozenset({S.APPROVED, S.FORWARDED, S.NOT_ACCEPTED}),
    Rate: frozenset({S.PRINTED, S.NOT_ACCEPTED}),
    Close: frozenset({S.RATED}),
    Cancel: BEFORE_ACCEPTANCE,
    Back: CAN_GO_BACK,
    RefuseSign: SIGNING,
}
STATE_LABELS: dict[CaseState, str] = {
    S.OPENED: "已开始", S.CONSENTED: "已告知", S.IDENTIFIED: "已核验身份",
    S.MATTER_SELECTED: "已选事项", S.MATERIALS_CHECKED: "已核对材料", S.ACCEPTED: "已受理",
    S.DEFICIENCY_ACCEPTED: "已容缺受理", S.NOT_ACCEPTED: "不予受理", S.SIGNED: "已签名",
    S.APPROVED: "窗口已审批", S.FORWARDED: "已报送", S.PRINTED: "已打印", S.RATED: "已评价",
    S.CLOSED: "已结束",
}  # fmt: skip


def step(case: Case | None, cmd: Command, ctx: Context) -> Step:
    """Apply one command. Raises a WorkflowError (with a Chinese message) to refuse it."""
    if isinstance(cmd, Open):
        return _open(case, cmd, ctx)
    if case is None or case.closed:
        raise e.NoOpenCase("当前没有办理中的办件")
    allowed = ALLOWED[type(cmd)]
    if case.state not in allowed:
        raise e.WrongState(
            f"当前状态（{STATE_LABELS[case.state]}）不能进行此操作",
            f"{type(cmd).__name__} needs {sorted(allowed)}, the case is {case.state}",
        )
    changes, data = _HANDLERS[type(cmd)](case, cmd, ctx)
    if ctx.clerk is not None and ctx.clerk.id != case.clerk:  # another clerk took the case on
        changes |= {"clerk": ctx.clerk.id, "clerk_name": ctx.clerk.name}
    new = case.model_copy(
        update={**changes, "updated_at": ctx.now, "transitions": case.transitions + 1}
    )
    return Step(new, _transition(new, data))


def _open(case: Case | None, cmd: Open, ctx: Context) -> Step:
    if case is not None and not case.closed:
        raise e.CaseAlreadyOpen("当前办件尚未结束")
    clerk = ctx.clerk
    if clerk is None:
        raise e.SignInRequired("请窗口工作人员先登录")
    ref = case_ref(ctx.unit, cmd.case_id.hex, ctx.now)
    new = Case(
        case_id=cmd.case_id, case_ref=ref, opened_at=ctx.now, updated_at=ctx.now,
        state=S.OPENED, status_token=cmd.status_token, clerk=clerk.id, clerk_name=clerk.name,
        agent=clerk.id if clerk.role is ClerkRole.AGENT else None,
    )  # fmt: skip
    opened: dict[str, DataValue] = {"case_ref": ref}
    if cmd.status_token is not None:
        # the hub finds the case's status page by this hash; the token stays on paper
        opened["status_token_sha256"] = token_sha256(cmd.status_token)
    return Step(new, _transition(new, opened))


def _transition(case: Case, data: dict[str, DataValue]) -> CaseTransition:
    """The event of the case's new state: who acted (``clerk``) always, ``agent`` on 代办."""
    data = {**data, "clerk": case.clerk}
    if case.agent is not None:
        data["agent"] = case.agent
    return CaseTransition(
        case_id=case.case_id, state=case.state.value, matter_code=case.matter_code, data=data
    )


def _consent(case: Case, cmd: GiveConsent, ctx: Context) -> Changes:
    changes: dict[str, object] = {"state": S.CONSENTED, "face_consent": cmd.face}
    data: dict[str, DataValue] = {"face": cmd.face}
    auth = cmd.authorization
    if case.agent is None:
        if auth is not None:
            raise e.AuthorizationMissing("只有代办员代办时才签署委托授权")
        return changes, data
    if auth is None or auth.strokes < 1 or len(auth.sha256) != 64:
        raise e.AuthorizationMissing(f"代办须先由申请人在{DEVICE_LABELS['pad']}上签署委托授权")
    changes["authorization_sha256"] = auth.sha256
    data |= {"authorization_sha256": auth.sha256, "authorization_strokes": auth.strokes}
    return changes, data


def _identify(case: Case, cmd: Identify, ctx: Context) -> Changes:
    data: dict[str, DataValue] = {
        "method": cmd.method.value, "applicant": cmd.ref, "id_masked": cmd.id_masked,
    }  # fmt: skip
    if cmd.ref is None:  # the hub was away: the reference comes later (edge.window.pending)
        if cmd.method is IdMethod.FACE:
            raise e.IdentityRejected("人脸核验须先取得身份证号码核验结果")
        data["reference"] = "pending"
    face = cmd.face
    if cmd.method is IdMethod.FACE:
        if cmd.chip_photo is not None:
            raise e.IdentityRejected("人脸核验不读取身份证")
        _check_face(case, face)
        assert face is not None
        data |= _face_data(face) | {"search": "1:n" if face.search else "1:1"}
        if face.search is not None:  # the clerk picked one of the search's candidates
            pick = face.search
            margin = round(pick.margin, 4) if pick.margin is not None else None
            data |= {"search_rank": pick.rank, "search_candidates": pick.candidates,
                     "search_margin": margin}  # fmt: skip
    elif cmd.chip_photo is None:
        if face is not None:
            raise e.IdentityRejected("身份证核验不使用人脸数据")
    else:
        data |= {"card_read": True, "chip_photo": cmd.chip_photo} | _chip(case, cmd)
    # a failed chip comparison is on the event, never on the applicant as a face check
    kept = face if cmd.method is IdMethod.FACE or cmd.chip_photo == "match" else None
    applicant = Applicant(ref=cmd.ref, id_masked=cmd.id_masked, method=cmd.method, face=kept)
    return {"state": S.IDENTIFIED, "applicant": applicant}, data


def _check_face(case: Case, face: FaceCheck | None) -> None:
    if not case.face_consent:
        raise e.ConsentMissing("申请人未单独同意人脸核验，请改用身份证核验")
    if face is None:
        raise e.IdentityRejected("缺少人脸比对结果")
    if not face.match:
        raise e.IdentityRejected("人脸比对未通过，请改用身份证核验")
    if not face.live:
        raise e.IdentityRejected("活体检测未通过，须工作人员确认本人在场")


def _face_data(face: FaceCheck) -> dict[str, DataValue]:
    return {
        "distance": round(face.distance, 4), "threshold": face.threshold,
        "reference": face.reference, "liveness": face.liveness,
        "clerk_confirmed": face.clerk_confirmed,
    }  # fmt: skip


def _chip(case: Case, cmd: Identify) -> dict[str, DataValue]:
    """The card the reader read: its chip photo matched the live face (the identification), did
    not (the clerk identified by eye instead), or was not compared."""
    face = cmd.face
    if cmd.chip_photo in ("no_photo", "not_compared"):
        if face is not None:
            raise e.IdentityRejected("未比对证件照片，不应有人脸比对结果")
        return {}
    if face is None or face.reference != "id_card_photo" or face.search is not None:
        raise e.IdentityRejected("缺少与证件照片的比对结果")
    if cmd.chip_photo == "match":
        if cmd.method is not IdMethod.ID_CARD:
            raise e.IdentityRejected("证件照片比对一致时应记录为身份证核验")
        _check_face(case, face)
    elif face.match:
        raise e.IdentityRejected("比对一致的结果不能记录为不一致")
    return _face_data(face)


def _select(case: Case, cmd: SelectMatter, ctx: Context) -> Changes:
    m = matter_of(ctx, cmd.code)
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
    GiveConsent: _consent, Identify: _identify, SelectMatter: _select, CheckMaterials: check,
    Accept: accept, Decline: decline, Sign: _sign, Route: _route, Printed: _printed,
    Rate: _rate, Close: _close, Cancel: _cancel, Back: back, RefuseSign: refuse_sign,
}  # fmt: skip

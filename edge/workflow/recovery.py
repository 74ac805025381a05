"""The clerk's ways back (pure): a step back before acceptance, and the applicant refusing to
sign. Both are transitions like any other, so the hub and the audit see them; nothing already
recorded is erased.

    consented -> opened                      (not on an agent's case: the 委托授权 is signed)
    identified -> consented                  (the wrong applicant: identify again)
    matter_selected | materials_checked -> identified   (the wrong matter: choose again)
    accepted | deficiency_accepted -> not_accepted      (the applicant will not sign)

A step back's event is the earlier state again with ``back_from`` (the state left) and that
state's own data (the applicant again on ``identified``), so a reader folding the events keeps
a complete record.
"""

from __future__ import annotations

from edge.workflow import errors as e
from edge.workflow.context import Changes, Context
from edge.workflow.model import Back, Case, RefuseSign
from protocol.case import CaseState
from protocol.messages import DataValue, JsonScalar

S = CaseState
BACK_TO: dict[CaseState, CaseState] = {
    S.CONSENTED: S.OPENED,
    S.IDENTIFIED: S.CONSENTED,
    S.MATTER_SELECTED: S.IDENTIFIED,
    S.MATERIALS_CHECKED: S.IDENTIFIED,
}
CAN_GO_BACK = frozenset(BACK_TO)
SIGNING = frozenset({S.ACCEPTED, S.DEFICIENCY_ACCEPTED})
_MATTER_CLEARED: dict[str, object] = {
    "matter_code": None, "matter_name": None, "matter": None, "approval": None,
    "instant": False, "legal_days": None, "promised_days": None, "photo": None,
    "materials": (), "green_channel": None, "owed": (), "home_visit": False,
}  # fmt: skip


def back(case: Case, cmd: Back, ctx: Context) -> Changes:
    to = BACK_TO[case.state]
    data: dict[str, DataValue] = {"back_from": case.state.value}
    changes: dict[str, object] = {"state": to, **_MATTER_CLEARED}
    if to is S.OPENED:
        if case.agent is not None:
            raise e.WrongState("代办已签署委托授权，不能返回；如需重来请取消办件")
        changes["face_consent"] = None
        data["case_ref"] = case.case_ref
    elif to is S.CONSENTED:
        changes["applicant"] = None
        data["face"] = bool(case.face_consent)
    else:  # back to the matter: the applicant stays identified
        a = case.applicant
        assert a is not None
        data |= {"method": a.method.value, "applicant": a.ref, "id_masked": a.id_masked}
    return changes, data


def refuse_sign(case: Case, cmd: RefuseSign, ctx: Context) -> Changes:
    reason = cmd.reason.strip()[:200]
    if not reason:
        raise e.ReasonRequired("请选择申请人不签名的原因")
    # what 容缺 had deferred is missing again: the 一次性告知书 lists it
    materials = tuple(
        m.model_copy(update={"status": "missing"}) if m.status == "deferred" else m
        for m in case.materials
    )
    missing: list[JsonScalar] = [m.name for m in materials if m.status == "missing"]
    changes: dict[str, object] = {
        "state": S.NOT_ACCEPTED, "materials": materials, "owed": (), "deadlines": None,
        "refusal": reason,
    }  # fmt: skip
    data: dict[str, DataValue] = {"missing": missing, "reason": reason, "refused_to_sign": True}
    return changes, data

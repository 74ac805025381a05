"""The case workflow as a pure state machine: every transition, the refusals, waivers, 容缺
and the blacklist, deadlines, and a case resumed from its JSON snapshot."""

from __future__ import annotations

from datetime import date

import pytest

from edge.workflow import errors as e
from edge.workflow.machine import step
from edge.workflow.model import (
    Accept,
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
    Route,
    SelectMatter,
    Sign,
)
from protocol.case import CaseState, GreenChannel, IdMethod
from protocol.catalog import Approval
from tests.edge.workflow.factories import CASE_ID, CLERK, OTHER, REF, context, matter, run

SHA = "a" * 64
FRONT: list[Command] = [
    Open(CASE_ID),
    GiveConsent(False),
    Identify(IdMethod.ID_CARD, REF, "3301****0018"),
]
ALL = frozenset({"申请表", "银行账户信息"})
SHOWN = frozenset({"身份证复印件"})
HOUSEHOLD = frozenset({"户口簿复印件"})
BY = {"clerk": CLERK.id}  # every transition names who acted


def _to_materials(ctx, code="TST-001"):
    return run(ctx, *FRONT, SelectMatter(code))[-1].case


def test_a_whole_case_passes_every_state_in_order_with_its_data():
    ctx = context(matter(instant=True))
    steps = run(
        ctx, *FRONT, SelectMatter("TST-001"), CheckMaterials(ALL, SHOWN, HOUSEHOLD),
        Accept(), Sign(SHA, 3), Route(), Printed(("receipt", "completion", "photo")), Rate(5),
        Close(),
    )  # fmt: skip
    assert [s.transition.state for s in steps] == [
        "opened", "consented", "identified", "matter_selected", "materials_checked",
        "accepted", "signed", "approved", "printed", "rated", "closed",
    ]  # fmt: skip
    assert {s.transition.case_id for s in steps} == {CASE_ID}
    data = {s.transition.state: s.transition.data for s in steps}
    assert data["identified"] == {
        "method": "id_card",
        "applicant": REF,
        "id_masked": "3301****0018",
        **BY,
    }
    assert all(s.transition.data["clerk"] == CLERK.id for s in steps)
    assert not any("agent" in s.transition.data for s in steps)
    assert data["materials_checked"]["photo"] == "1inch"  # the matter takes a window photo
    assert data["materials_checked"]["registry_waived"] == 1
    assert data["materials_checked"]["home_visit"] is True
    assert data["approved"] == {"at": "window", "instant": True, **BY}
    assert data["closed"]["outcome"] == "done"
    assert steps[-1].case.closed
    assert steps[-1].case.case_ref == f"T001-20261126-{CASE_ID.hex[-6:].upper()}"


def test_each_step_is_refused_out_of_order():
    ctx = context()
    with pytest.raises(e.NoOpenCase):
        step(None, GiveConsent(True), ctx)
    opened = run(ctx, Open(CASE_ID))[-1].case
    for cmd in (Identify(IdMethod.ID_CARD, REF, "x"), SelectMatter("TST-001"), Accept(),
                Sign(SHA, 1), Route(), Printed(()), Rate(5), Close()):  # fmt: skip
        with pytest.raises(e.WrongState) as err:
            step(opened, cmd, ctx)
        assert "不能进行此操作" in err.value.message_zh
    with pytest.raises(e.CaseAlreadyOpen):
        step(opened, Open(CASE_ID), ctx)


def test_face_identification_needs_consent_a_match_and_liveness_or_the_clerk():
    ctx = context()
    declined = run(ctx, Open(CASE_ID), GiveConsent(False))[-1].case
    good = FaceCheck(distance=0.3, threshold=0.5, reference="template", liveness="passed")
    with pytest.raises(e.ConsentMissing):
        step(declined, Identify(IdMethod.FACE, REF, "m", good), ctx)
    consented = run(ctx, Open(CASE_ID), GiveConsent(True))[-1].case
    far = good.model_copy(update={"distance": 0.7})
    with pytest.raises(e.IdentityRejected, match="比对未通过"):
        step(consented, Identify(IdMethod.FACE, REF, "m", far), ctx)
    photo = good.model_copy(update={"liveness": "failed:no_motion"})
    with pytest.raises(e.IdentityRejected, match="活体"):
        step(consented, Identify(IdMethod.FACE, REF, "m", photo), ctx)
    vouched = photo.model_copy(update={"clerk_confirmed": True})
    done = step(consented, Identify(IdMethod.FACE, REF, "m", vouched), ctx)
    assert done.transition.data["clerk_confirmed"] is True
    assert done.transition.data["liveness"] == "failed:no_motion"
    applicant = step(consented, Identify(IdMethod.FACE, REF, "m", good), ctx).case.applicant
    assert applicant is not None
    assert applicant.face == good


def test_the_id_card_path_is_always_open_even_after_face_consent():
    ctx = context()
    consented = run(ctx, Open(CASE_ID), GiveConsent(True))[-1].case
    done = step(consented, Identify(IdMethod.CLERK_CHECK, REF, "m"), ctx)
    assert done.case.state is CaseState.IDENTIFIED
    assert "distance" not in done.transition.data


def test_unknown_matter_is_refused():
    with pytest.raises(e.UnknownMatter):
        run(context(), *FRONT, SelectMatter("XXX-999"))


def test_waivers_follow_each_ground_and_the_registry_answer():
    ctx = context()
    case = _to_materials(ctx)
    found = step(case, CheckMaterials(ALL, SHOWN, HOUSEHOLD), ctx).case
    status = {m.name: m.status for m in found.materials}
    assert status["户口簿复印件"] == "waived"
    assert status["身份证复印件"] == "shown"
    assert status["证明信"] == "waived"
    assert status["入户核实"] == "waived"
    assert status["近期免冠证件照片（窗口现场拍摄）"] == "window"
    assert "授权委托书" not in status  # asked only in some cases: never blocks
    assert found.home_visit
    # the hub away: the county-database material is simply needed, like any other
    away = step(case, CheckMaterials(ALL, SHOWN, None), ctx)
    missing = {m.name for m in away.case.materials if m.status == "missing"}
    assert missing == {"户口簿复印件"}
    assert away.transition.data["registry"] == "unreachable"
    with pytest.raises(e.MaterialsIncomplete, match="户口簿复印件"):
        step(away.case, Accept(), ctx)
    # the original not shown: the copy is needed
    unshown = step(case, CheckMaterials(ALL, frozenset(), frozenset({"户口簿复印件"})), ctx).case
    assert {m.name for m in unshown.materials if m.status == "missing"} == {"身份证复印件"}


def test_deficiency_acceptance_owes_the_deferrable_material_with_deadlines():
    ctx = context()
    checked = step(
        _to_materials(ctx), CheckMaterials(frozenset({"申请表"}), SHOWN, HOUSEHOLD), ctx
    ).case  # fmt: skip
    assert checked.green_channel is GreenChannel.ALLOWED
    with pytest.raises(e.MaterialsIncomplete, match="容缺"):
        step(checked, Accept(), ctx)
    done = step(checked, Accept(defer=True), ctx)
    assert done.case.state is CaseState.DEFICIENCY_ACCEPTED
    assert done.case.owed == ("银行账户信息",)
    d = done.case.deadlines
    assert d is not None
    # Thursday 26 Nov 2026 + 5 working days = Thursday 3 Dec; the limits run from then
    assert d.supply_by == date(2026, 12, 3)
    assert d.promised_due == date(2026, 12, 8)
    assert done.transition.data["owed_materials"] == ["银行账户信息"]


def test_a_blacklisted_applicant_gets_no_green_channel():
    ctx = context(blacklist=frozenset({REF}))
    checked = step(
        _to_materials(ctx), CheckMaterials(frozenset({"申请表"}), SHOWN, HOUSEHOLD), ctx
    )  # fmt: skip
    assert checked.transition.data["green_channel"] == "refused_blacklist"
    with pytest.raises(e.GreenChannelRefused, match="诚信黑名单"):
        step(checked.case, Accept(defer=True), ctx)
    declined = step(checked.case, Decline(), ctx)
    assert declined.case.state is CaseState.NOT_ACCEPTED
    assert declined.transition.data == {"missing": ["银行账户信息"], **BY}
    rated = run(ctx, Rate(None), Close(), case=declined.case)
    assert rated[-1].transition.data["outcome"] == "not_accepted"
    # someone else is not affected by another's listing
    other = context(blacklist=frozenset({OTHER}))
    again = step(
        _to_materials(other), CheckMaterials(frozenset({"申请表"}), SHOWN, HOUSEHOLD), other
    )
    assert again.case.green_channel is GreenChannel.ALLOWED


def test_without_a_blacklist_the_unit_refuses_green_channels():
    ctx = context(blacklist=None)
    checked = step(
        _to_materials(ctx), CheckMaterials(frozenset({"申请表"}), SHOWN, HOUSEHOLD), ctx
    ).case
    with pytest.raises(e.GreenChannelRefused, match="尚未收到诚信名单"):
        step(checked, Accept(defer=True), ctx)


def test_an_applicant_identified_while_the_hub_is_away_gets_no_green_channel():
    """A pending reference (protocol.idseal): the blacklist cannot be checked, so no 容缺, even
    with a blacklist on the unit; accepting with every material in hand still works."""
    ctx = context(blacklist=frozenset())
    front = run(
        ctx,
        Open(CASE_ID),
        GiveConsent(False),
        Identify(IdMethod.ID_CARD, None, "3****************8"),
        SelectMatter("TST-001"),
    )
    identified = front[2].transition.data
    assert identified["applicant"] is None
    assert identified["reference"] == "pending"
    partial = step(front[-1].case, CheckMaterials(frozenset({"申请表"}), SHOWN, HOUSEHOLD), ctx)
    assert partial.transition.data["green_channel"] == "refused_pending_reference"
    with pytest.raises(e.GreenChannelRefused, match="尚待核验"):
        step(partial.case, Accept(defer=True), ctx)
    whole = step(front[-1].case, CheckMaterials(ALL, SHOWN, HOUSEHOLD), ctx)
    assert step(whole.case, Accept(), ctx).case.state is CaseState.ACCEPTED
    with pytest.raises(e.IdentityRejected):  # a face match needs the reference first
        run(ctx, Open(CASE_ID), GiveConsent(True), Identify(IdMethod.FACE, None, "3***8"))


def test_critical_material_missing_blocks_acceptance_even_with_deferral():
    ctx = context()
    checked = step(_to_materials(ctx), CheckMaterials(frozenset(), SHOWN, frozenset()), ctx).case
    with pytest.raises(e.MaterialsIncomplete, match="申请表"):
        step(checked, Accept(defer=True), ctx)


def test_nothing_to_defer_or_decline_when_complete():
    ctx = context()
    checked = step(_to_materials(ctx), CheckMaterials(ALL, SHOWN, HOUSEHOLD), ctx).case
    with pytest.raises(e.NothingMissing):
        step(checked, Accept(defer=True), ctx)
    with pytest.raises(e.NothingMissing):
        step(checked, Decline(), ctx)


@pytest.mark.parametrize(("approval", "state", "data"), [
    (Approval.WINDOW, "approved", {"at": "window", "instant": False}),
    (Approval.TOWN, "forwarded", {"to": "town"}),
    (Approval.DEPARTMENT, "forwarded", {"to": "department"}),
])  # fmt: skip
def test_route_follows_the_catalog(approval, state, data):
    ctx = context(matter(approval=approval))
    steps = run(
        ctx, *FRONT, SelectMatter("TST-001"), CheckMaterials(ALL, SHOWN, HOUSEHOLD),
        Accept(), Sign(SHA, 2), Route(),
    )  # fmt: skip
    assert (steps[-1].transition.state, steps[-1].transition.data) == (state, {**data, **BY})
    closed = run(ctx, Printed(("receipt",)), Rate(4), Close(), case=steps[-1].case)[-1]
    assert closed.transition.data["outcome"] == "accepted"


def test_low_ratings_need_a_reason_and_a_timeout_is_not_rated():
    ctx = context()
    printed = run(
        ctx, *FRONT, SelectMatter("TST-001"), CheckMaterials(ALL, SHOWN, HOUSEHOLD),
        Accept(), Sign(SHA, 2), Route(), Printed(("receipt",)),
    )[-1].case  # fmt: skip
    for level in (1, 2):
        with pytest.raises(e.ReasonRequired):
            step(printed, Rate(level), ctx)
    assert step(printed, Rate(2, "等候时间太长"), ctx).transition.data["label"] == "不满意"
    assert step(printed, Rate(None), ctx).transition.data == {
        "level": None,
        "label": "未评价",
        "reason": None,
        **BY,
    }
    with pytest.raises(e.InvalidRating):
        step(printed, Rate(6), ctx)


def test_a_case_is_cancelled_before_acceptance_only():
    ctx = context()
    case = _to_materials(ctx)
    done = step(case, Cancel("申请人离开"), ctx)
    assert done.case.closed
    assert done.transition.data == {"outcome": "cancelled", "reason": "申请人离开", **BY}
    accepted = step(step(case, CheckMaterials(ALL, SHOWN, HOUSEHOLD), ctx).case, Accept(), ctx).case
    with pytest.raises(e.WrongState):
        step(accepted, Cancel("x"), ctx)


def test_a_case_resumes_from_its_json_snapshot_where_it_was():
    ctx = context()
    signed = run(
        ctx, *FRONT, SelectMatter("TST-001"), CheckMaterials(ALL, SHOWN, HOUSEHOLD),
        Accept(), Sign(SHA, 2),
    )[-1].case  # fmt: skip
    restored = Case.model_validate_json(signed.model_dump_json())
    assert restored == signed
    assert step(restored, Route(), ctx).case.state is CaseState.APPROVED


def test_the_snapshot_never_holds_an_id_number():
    ctx = context()
    case = _to_materials(ctx)
    assert "330122" not in case.model_dump_json()

"""The clerk's ways back in the pure workflow: a step back is a transition into the earlier
state (nothing erased, the event complete), and an applicant who will not sign leaves the case
not accepted with the reason and what was still missing."""

from __future__ import annotations

import pytest

from edge.workflow import errors as e
from edge.workflow.documents import NOTICE, slips_for
from edge.workflow.machine import outcome_of, step
from edge.workflow.model import (
    Accept,
    Back,
    CheckMaterials,
    Command,
    GiveConsent,
    Identify,
    Open,
    RefuseSign,
    SelectMatter,
    Sign,
)
from protocol.case import CaseState, IdMethod, Outcome
from protocol.messages import CaseTransition
from tests.edge.workflow.factories import AGENT, CASE_ID, CLERK, REF, context, run

S = CaseState
FRONT: list[Command] = [
    Open(CASE_ID),
    GiveConsent(False),
    Identify(IdMethod.ID_CARD, REF, "3301****0018"),
]
SHOWN = frozenset({"身份证复印件"})
HOUSEHOLD = frozenset({"户口簿复印件"})


def test_back_from_the_materials_returns_to_the_matter_with_the_applicant_kept():
    ctx = context()
    steps = run(ctx, *FRONT, SelectMatter("TST-001"),
                CheckMaterials(frozenset({"申请表"}), SHOWN, HOUSEHOLD), Back())  # fmt: skip
    back = steps[-1]
    assert back.case.state is S.IDENTIFIED
    assert back.case.matter_code is None
    assert back.case.materials == ()
    assert back.case.applicant is not None
    assert back.case.applicant.ref == REF
    assert back.case.transitions == 6  # a transition of its own, nothing rewritten
    assert back.transition.state == "identified"
    assert back.transition.data == {
        "back_from": "materials_checked", "method": "id_card", "applicant": REF,
        "id_masked": "3301****0018", "clerk": CLERK.id,
    }  # fmt: skip
    CaseTransition.model_validate(back.transition.model_dump())  # within the wire bounds
    again = step(back.case, SelectMatter("TST-001"), ctx)
    assert again.case.state is S.MATTER_SELECTED


def test_back_from_identified_asks_for_the_applicant_again_and_from_consent_reopens():
    ctx = context()
    ident = run(ctx, *FRONT, Back())[-1]
    assert ident.case.state is S.CONSENTED
    assert ident.case.applicant is None
    assert ident.transition.data["face"] is False
    opened = step(ident.case, Back(), ctx)
    assert opened.case.state is S.OPENED
    assert opened.case.face_consent is None
    with pytest.raises(e.WrongState):
        step(opened.case, Back(), ctx)


def test_an_agents_case_cannot_step_back_before_the_signed_authorisation():
    from edge.workflow.model import SignatureRef

    ctx = context(clerk=AGENT)
    consented = run(ctx, Open(CASE_ID), GiveConsent(False, SignatureRef("b" * 64, 3)))[-1].case
    with pytest.raises(e.WrongState, match="委托授权"):
        step(consented, Back(), ctx)


def test_no_step_back_once_accepted():
    ctx = context()
    accepted = run(ctx, *FRONT, SelectMatter("TST-001"),
                   CheckMaterials(frozenset({"申请表", "银行账户信息"}), SHOWN, HOUSEHOLD),
                   Accept())[-1].case  # fmt: skip
    with pytest.raises(e.WrongState):
        step(accepted, Back(), ctx)


def test_an_applicant_refusing_to_sign_a_deficiency_case_is_told_what_was_owed():
    ctx = context()
    deferred = run(ctx, *FRONT, SelectMatter("TST-001"),
                   CheckMaterials(frozenset({"申请表"}), SHOWN, HOUSEHOLD),
                   Accept(defer=True))[-1].case  # fmt: skip
    assert deferred.state is S.DEFICIENCY_ACCEPTED
    with pytest.raises(e.ReasonRequired):
        step(deferred, RefuseSign("  "), ctx)
    refused = step(deferred, RefuseSign("申请人不同意承诺"), ctx)
    assert refused.case.state is S.NOT_ACCEPTED
    assert refused.case.owed == ()
    assert refused.case.deadlines is None
    assert refused.case.refusal == "申请人不同意承诺"
    assert refused.transition.data["missing"] == ["银行账户信息"]
    assert refused.transition.data["refused_to_sign"] is True
    assert slips_for(refused.case) == (NOTICE,)
    assert outcome_of(refused.case) is Outcome.NOT_ACCEPTED
    with pytest.raises(e.WrongState):
        step(refused.case, Sign("a" * 64, 2), ctx)

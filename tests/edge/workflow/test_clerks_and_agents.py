"""Who acts on a case, in the pure workflow: a case opens only for a signed-in clerk, every
transition names the clerk (and the agent on 代办), the resident's authorisation is taken with
the consent of an agent's case, a 1:N pick is recorded with its rank and margin, the clerk
chooses the ID photo's size, and a case not accepted prints its 一次性告知书."""

from __future__ import annotations

import pytest

from edge.workflow import errors as e
from edge.workflow.machine import step
from edge.workflow.model import (
    Accept,
    CheckMaterials,
    Close,
    Decline,
    FaceCheck,
    GiveConsent,
    Identify,
    OnDuty,
    Open,
    Printed,
    Rate,
    SearchPick,
    SelectMatter,
    Sign,
    SignatureRef,
)
from protocol.case import CaseState, IdMethod
from protocol.clerks import ClerkRole
from protocol.messages import CaseTransition
from tests.edge.workflow.factories import AGENT, CASE_ID, CLERK, REF, context, matter, run

AUTH = SignatureRef("b" * 64, 2)
ALL = frozenset({"申请表", "银行账户信息", "户口簿复印件"})
SHOWN = frozenset({"身份证复印件"})
OTHER_CLERK = OnDuty("ck-00000b0b", "赵敏", ClerkRole.CLERK)


def test_no_case_opens_without_a_signed_in_clerk():
    with pytest.raises(e.SignInRequired) as refused:
        step(None, Open(CASE_ID), context(clerk=None))
    assert refused.value.message_zh == "请窗口工作人员先登录"


def test_every_transition_names_the_clerk_and_a_device_step_acts_for_the_case_s_clerk():
    ctx = context()
    opened = run(ctx, Open(CASE_ID), GiveConsent(False))[-1].case
    assert (opened.clerk, opened.clerk_name, opened.agent) == (CLERK.id, "王芳", None)
    # the rating device, the printer and the pad act with nobody signed in: the case's clerk
    alone = step(opened, Identify(IdMethod.ID_CARD, REF, "3301****0018"), context(clerk=None))
    assert alone.transition.data["clerk"] == CLERK.id
    # another clerk who signs in and goes on takes the case over
    taken = step(alone.case, SelectMatter("TST-001"), context(clerk=OTHER_CLERK))
    assert taken.transition.data["clerk"] == OTHER_CLERK.id
    assert (taken.case.clerk, taken.case.clerk_name) == (OTHER_CLERK.id, "赵敏")


def test_an_agent_s_case_carries_the_agent_and_the_resident_s_authorisation():
    ctx = context(clerk=AGENT)
    opened = step(None, Open(CASE_ID), ctx)
    assert opened.transition.data == {"case_ref": opened.case.case_ref, "clerk": AGENT.id,
                                      "agent": AGENT.id}  # fmt: skip
    for missing in (None, SignatureRef("b" * 64, 0), SignatureRef("short", 3)):
        with pytest.raises(e.AuthorizationMissing, match="委托授权"):
            step(opened.case, GiveConsent(False, missing), ctx)
    steps = run(
        ctx, GiveConsent(False, AUTH), Identify(IdMethod.ID_CARD, REF, "3301****0018"),
        SelectMatter("TST-001"), CheckMaterials(ALL, SHOWN, frozenset()), Accept(),
        Sign("a" * 64, 3), case=opened.case,
    )  # fmt: skip
    consented = steps[0].transition.data
    assert consented["authorization_sha256"] == AUTH.sha256
    assert consented["authorization_strokes"] == 2
    assert steps[0].case.authorization_sha256 == AUTH.sha256
    assert all(s.transition.data["agent"] == AGENT.id for s in steps)
    # only the transition that captured it carries the authorisation's hash
    assert sum("authorization_sha256" in s.transition.data for s in steps) == 1


def test_a_clerk_s_own_case_takes_no_authorisation():
    ctx = context()
    opened = step(None, Open(CASE_ID), ctx).case
    with pytest.raises(e.AuthorizationMissing):
        step(opened, GiveConsent(False, AUTH), ctx)


def test_a_1_to_n_pick_records_its_rank_candidates_and_margin():
    ctx = context()
    consented = run(ctx, Open(CASE_ID), GiveConsent(True))[-1].case
    check = FaceCheck(
        distance=0.31234, threshold=0.5, reference="template", liveness="passed",
        search=SearchPick(rank=2, candidates=3, margin=0.07891),
    )  # fmt: skip
    done = step(consented, Identify(IdMethod.FACE, REF, "3301****0018", check), ctx)
    data = done.transition.data
    assert (data["search"], data["search_rank"], data["search_candidates"]) == ("1:n", 2, 3)
    assert data["search_margin"] == 0.0789
    assert data["distance"] == 0.3123
    one = FaceCheck(distance=0.3, threshold=0.5, reference="template", liveness="passed")
    assert (
        step(consented, Identify(IdMethod.FACE, REF, "x", one), ctx).transition.data["search"]
        == "1:1"
    )


@pytest.mark.parametrize(("chosen", "kept"), [(None, "1inch"), ("2inch", "2inch")])
def test_the_clerk_chooses_the_id_photo_s_size(chosen, kept):
    ctx = context()
    steps = run(
        ctx, Open(CASE_ID), GiveConsent(False), Identify(IdMethod.ID_CARD, REF, "x"),
        SelectMatter("TST-001"), CheckMaterials(ALL, SHOWN, frozenset(), photo=chosen),
    )  # fmt: skip
    assert steps[-1].case.photo == kept
    assert steps[-1].transition.data["photo"] == kept


def test_a_matter_without_a_photo_ignores_a_size():
    m = matter()
    m = m.model_copy(update={"materials": tuple(x for x in m.materials if "照片" not in x.name)})
    ctx = context(m)
    done = run(
        ctx, Open(CASE_ID), GiveConsent(False), Identify(IdMethod.ID_CARD, REF, "x"),
        SelectMatter("TST-001"), CheckMaterials(ALL, SHOWN, frozenset(), photo="2inch"),
    )[-1]  # fmt: skip
    assert done.case.photo is None
    assert "photo" not in done.transition.data


def test_a_case_not_accepted_prints_its_notice_then_is_rated_and_closed():
    ctx = context()
    steps = run(
        ctx, Open(CASE_ID), GiveConsent(False), Identify(IdMethod.ID_CARD, REF, "x"),
        SelectMatter("TST-001"), CheckMaterials(frozenset(), SHOWN, frozenset()), Decline(),
        Printed(("notice",)), Rate(5), Close(),
    )  # fmt: skip
    assert [s.case.state for s in steps[-4:]] == [
        CaseState.NOT_ACCEPTED, CaseState.PRINTED, CaseState.RATED, CaseState.CLOSED,
    ]  # fmt: skip
    assert steps[-3].transition.data["slips"] == ["notice"]
    assert steps[-1].transition.data["outcome"] == "not_accepted"


def test_every_transition_s_data_fits_the_wire_bounds():
    ctx = context(clerk=AGENT)
    check = FaceCheck(
        distance=0.3, threshold=0.5, reference="template", liveness="failed:no_motion",
        clerk_confirmed=True, search=SearchPick(rank=1, candidates=5, margin=None),
    )  # fmt: skip
    steps = run(
        ctx, Open(CASE_ID), GiveConsent(True, AUTH), Identify(IdMethod.FACE, REF, "x", check),
        SelectMatter("TST-001"), CheckMaterials(ALL, SHOWN, frozenset(), photo="2inch"),
    )  # fmt: skip
    for s in steps:
        again = CaseTransition.model_validate_json(s.transition.model_dump_json())
        assert again == s.transition

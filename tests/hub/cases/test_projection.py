"""Cases projected from ingested events on SQLite and PostgreSQL: live, in any order and
however often delivered, and rebuilt from the events to the same records."""

import random
import uuid
from datetime import timedelta

from sqlalchemy import delete

from hub.cases.fold import ActionKind, Status
from hub.cases.project import ACTIONS, PENDING, RECORDS, mark_pending, rebuild
from hub.cases.project import project as project_cases
from protocol.catalog import Approval
from protocol.messages import CaseEnvelope
from simulators.cases import seed_matters, simulate_case
from tests.hub.cases.ingested import drain, ingest, pending, records
from tests.support.cases import START, ScriptedCase, envelopes, matter_where


def test_a_case_appears_once_its_events_are_ingested_and_projected(engine):
    m = matter_where(approval=Approval.TOWN, deferrable=True)
    events = envelopes("dongjie-cun", ScriptedCase("dongjie-cun", m, clerk="c07").transitions())
    ingest(engine, events)
    assert records(engine) == {}
    assert len(pending(engine)) == 1
    assert drain(engine) == 1
    (rec,) = records(engine).values()
    assert rec["case_id"] == events[0].body.case_id
    assert (rec["status"], rec["forwarded_to"], rec["clerk"]) == ("forwarded", "town", "c07")
    assert rec["unit"] == "dongjie-cun"
    assert pending(engine) == []


def test_events_arriving_out_of_order_and_twice_give_the_same_record(engine):
    m = matter_where(approval=Approval.TOWN, deferrable=True)
    events = envelopes("dongjie-cun", ScriptedCase("dongjie-cun", m).transitions(defer=True))
    ingest(engine, events[5:])  # the end first: no opening yet, so no record
    drain(engine)
    assert records(engine) == {}
    ingest(engine, events[:7])  # the beginning, with two duplicates
    drain(engine)
    ingest(engine, events)  # everything again
    drain(engine)
    (rec,) = records(engine).values()
    assert rec["status"] == "forwarded"
    assert rec["deficiency"] == "owed"
    assert rec["events"] == len(events)


def test_an_event_committed_while_its_case_is_projected_is_not_skipped(engine):
    m = matter_where(approval=Approval.TOWN)
    events = envelopes("dongjie-cun", ScriptedCase("dongjie-cun", m).transitions())
    ingest(engine, events[:3])
    ((case_id, gen),) = pending(engine)
    # a projector read the pending row at `gen`; ingest commits more events of the case
    with engine.begin() as conn:
        mark_pending(conn, [case_id])
    assert pending(engine) == [(case_id, gen + 1)]
    # the projector deletes only the generation it read: the row stays for the next pass
    with engine.begin() as conn:
        project_cases(conn, [case_id])
        conn.execute(delete(PENDING).where(PENDING.c.case_id == case_id, PENDING.c.gen == gen))
    assert pending(engine) == [(case_id, gen + 1)]


def test_rebuilding_from_events_gives_exactly_the_live_records(engine):
    rng = random.Random(11)
    units = ["dongjie-cun", "xijie-cun", "xinmin-cun"]
    matters = list(seed_matters())
    events: list[CaseEnvelope] = []
    for i in range(40):
        unit = units[i % 3]
        case = simulate_case(rng.choice(matters), rng, unit=unit, start=START + timedelta(hours=i))
        events += envelopes(unit, case, seq0=1 + len(events))
    rng.shuffle(events)
    for i in range(0, len(events), 37):
        ingest(engine, events[i : i + 37])
        if rng.random() < 0.5:
            drain(engine)
    drain(engine)
    some = next(iter(records(engine)))
    with engine.begin() as conn:
        conn.execute(
            ACTIONS.insert(),
            [{"id": uuid.uuid4(), "case_id": some, "at": START + timedelta(days=3),
              "kind": ActionKind.NOTE.value, "actor": "test", "data": {"text": "回访"}}],
        )  # fmt: skip
        project_cases(conn, [some])
    live = records(engine)
    assert len(live) == 40
    with engine.begin() as conn:
        conn.execute(delete(RECORDS))
    assert rebuild(engine) == 40
    assert records(engine) == live


def test_a_rebuild_removes_nothing_that_has_events_and_keeps_hub_actions(engine):
    m = matter_where(approval=Approval.DEPARTMENT)
    events = envelopes("xijie-cun", ScriptedCase("xijie-cun", m).transitions())
    ingest(engine, events)
    drain(engine)
    case_id = events[0].body.case_id
    with engine.begin() as conn:
        conn.execute(
            ACTIONS.insert(),
            [{"id": uuid.uuid4(), "case_id": case_id, "at": START + timedelta(days=2),
              "kind": ActionKind.RECEIVED.value, "actor": "dept", "data": {}}],
        )  # fmt: skip
    rebuild(engine)
    assert records(engine)[case_id]["status"] == Status.RECEIVED


def test_a_hub_action_is_recorded_once_projected_at_once_and_audited(engine):
    from sqlalchemy import select

    from hub.accounts.roles import Actor, Role
    from hub.audit import AUDIT
    from hub.cases.actions import record_action

    m = matter_where(approval=Approval.TOWN)
    events = envelopes("xinmin-cun", ScriptedCase("xinmin-cun", m).transitions())
    ingest(engine, events)
    drain(engine)
    case_id = events[0].body.case_id
    who = Actor("shiqiao-office", Role.OPERATOR)
    action_id = uuid.uuid4()
    for _ in range(2):  # a client retrying the same request
        with engine.begin() as conn:
            rec, new = record_action(
                conn, case_id=case_id, kind=ActionKind.RECEIVED, actor=who, action_id=action_id
            )
    assert new is False
    assert rec.status == Status.RECEIVED
    with engine.connect() as conn:
        assert len(conn.execute(select(ACTIONS)).all()) == 1
        entries = conn.execute(select(AUDIT).where(AUDIT.c.action == "case.received")).all()
    assert [e.target for e in entries] == [str(case_id)]

"""The 容缺 timers with an injected clock, on SQLite and PostgreSQL: a case past its supply
date is lapsed, withdrawn after the grace period (the county's, or its matter's) and its
applicant proposed for the blacklist, each step once even when two hub processes run them."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import select
from sqlmodel import Session

from hub import audit
from hub.cases.fold import Deficiency, Status
from hub.cases.project import ACTIONS
from hub.cases.timers import CaseTimers
from hub.catalog.store import CatalogStore
from hub.db import make_engine
from hub.settings import HubSettings
from hub.window.proposals import list_proposals
from tests.hub.cases.ingested import drain, ingest, records
from tests.support.cases import envelopes, later_transition
from tests.support.deficiency import REF, TOWN_OWING, seed_case

# the seeded case opens Tuesday 2026-11-24: its materials are due Tuesday 2026-12-01, and the
# county's 5 working days of grace end Tuesday 2026-12-08
DUE, GRACE_END = datetime(2026, 12, 1, 4, tzinfo=UTC), datetime(2026, 12, 8, 4, tzinfo=UTC)
DAY = timedelta(days=1)


def timers(engine, database_url, catalogs=None, **settings):
    config = HubSettings(database_url=database_url, broker_url=None, **settings)
    return CaseTimers(engine, config, catalogs or CatalogStore.from_file(None))


def _record(engine, case_id):
    return records(engine)[case_id]


def _steps(engine, case_id):
    with engine.connect() as conn:
        return sorted(
            r.kind for r in conn.execute(select(ACTIONS).where(ACTIONS.c.case_id == case_id))
        )


def test_a_case_lapses_after_its_supply_date_and_is_withdrawn_after_the_grace_period(
    engine, database_url
):
    case = seed_case(engine)
    t = timers(engine, database_url)
    assert t.sweep_cases(DUE).lapsed == 0  # due today: not lapsed yet
    assert _record(engine, case.case_id)["deficiency"] == Deficiency.OWED
    swept = t.sweep_cases(DUE + DAY)
    assert (swept.lapsed, swept.withdrawn) == (1, 0)
    assert _record(engine, case.case_id)["deficiency"] == Deficiency.LAPSED
    assert t.sweep_cases(GRACE_END).withdrawn == 0  # the last day of grace
    swept = t.sweep_cases(GRACE_END + DAY)
    assert (swept.withdrawn, swept.proposed) == (1, 1)
    rec = _record(engine, case.case_id)
    assert (rec["deficiency"], rec["status"]) == (Deficiency.WITHDRAWN, Status.WITHDRAWN)
    assert "撤回" in rec["result"]
    with Session(engine) as s:
        _, (proposal,) = list_proposals(s)
        assert (proposal.applicant_ref, proposal.case_id, proposal.state) == (
            REF, case.case_id, "proposed",
        )  # fmt: skip
        assert case.case_ref in proposal.reason
        assert [e.actor for e in audit.recent(s, action="case.withdrawn")] == ["hub"]


def test_two_hub_processes_running_the_timers_record_each_step_once(engine, database_url):
    case = seed_case(engine)
    other_engine = make_engine(database_url)  # a second hub process: its own engine
    try:
        first, second = timers(engine, database_url), timers(other_engine, database_url)
        for now in (DUE + DAY, GRACE_END + DAY):
            first.sweep_cases(now)
            second.sweep_cases(now)
            first.sweep_cases(now + DAY)
        assert _steps(engine, case.case_id) == ["lapsed", "withdrawn"]
        with Session(engine) as s:
            assert list_proposals(s)[0] == 1
            assert len(audit.recent(s, action="case.lapsed")) == 1
    finally:
        other_engine.dispose()


def test_a_matter_may_set_its_own_grace_period(engine, database_url):
    seed_case(engine)
    catalog = CatalogStore.from_file(None).current
    strict = catalog.model_copy(
        update={
            "matters": tuple(
                m.model_copy(update={"deficiency_grace_days": 1}) if m.code == TOWN_OWING.code
                else m
                for m in catalog.matters
            )
        }
    )  # fmt: skip
    t = timers(engine, database_url, SimpleNamespace(current=strict))
    swept = t.sweep_cases(DUE + DAY)
    assert (swept.lapsed, swept.withdrawn) == (1, 0)
    assert t.sweep_cases(DUE + 2 * DAY).withdrawn == 1  # one working day of grace, not five
    assert t.grace_days("NOT-000") == 5


def test_a_case_supplied_in_time_is_left_alone(engine, database_url):
    case = seed_case(engine)
    supplied = later_transition(case.case_id, "supplied", DUE - DAY, materials=case.owed)
    ingest(engine, envelopes("xinmin-cun", [supplied], seq0=1))
    drain(engine)
    t = timers(engine, database_url)
    swept = t.sweep_cases(GRACE_END + 3 * DAY)
    assert (swept.lapsed, swept.withdrawn, swept.proposed) == (0, 0, 0)
    assert _record(engine, case.case_id)["deficiency"] == Deficiency.SUPPLIED

"""容缺 follow-up end to end, on SQLite and PostgreSQL: real unit agents and Mosquitto, a real
hub serving its API, ingest, projector, rollout driver and timers.

- A 容缺 case accepted at one village is supplied at another village's window: that unit finds
  it by the slip's token through its own unit route, records 补齐 in its own event log, and
  the hub's case ends with its deficiency `supplied`.
- A case whose materials never come is lapsed and then withdrawn by the hub's timers (driven
  by an injected clock), its applicant proposed for the blacklist; an operator confirms, and
  the blacklist reaches the unit by itself in a blacklist-only rollout."""

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import Session

from edge.window.supply import SupplyClient, record_supply
from hub.accounts.roles import Role
from hub.accounts.store import add_account
from hub.cases.project import RECORDS
from hub.window.proposals import list_proposals
from hub.window.tokens import issue_unit_token
from protocol.supply import OwedLookup, token_sha256
from tests.integration.rollout_helpers import config_agent, hub_server
from tests.integration.test_config_rollout import applied, own, registry_for, settled
from tests.support.cases import START, ScriptedCase
from tests.support.deficiency import REF, TOKEN, TOWN_OWING
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
LAPSE_DAY = datetime(2026, 12, 2, 4, tzinfo=UTC)  # the day after the supply date
WITHDRAW_DAY = datetime(2026, 12, 9, 4, tzinfo=UTC)  # past five working days of grace


def _at(moment):
    return lambda: moment


def _is(hub, case_id, deficiency):
    return lambda: _record(hub, case_id).deficiency == deficiency


def _record(hub, case_id):
    with hub.engine.connect() as conn:
        return conn.execute(RECORDS.select().where(RECORDS.c.case_id == case_id)).first()


async def _open_owed_case(agent):
    """The window's transitions of a 容缺 case, committed in the unit's own event log."""
    steps = ScriptedCase(agent.unit, TOWN_OWING, status_token=TOKEN).transitions(defer=True)
    for ts, transition in steps:
        await agent.event_log.append(transition, ts)
    return steps[0][1].case_id


def test_a_deficiency_case_is_supplied_at_another_villages_window(broker, database_url, tmp_path):
    home, other = own(["t070", "t071"], database_url)

    async def scenario():
        async with hub_server(broker, database_url, tmp_path / "hub") as hub:
            hub.app.state.clock = lambda: START + timedelta(days=2)
            agents = [config_agent(broker, u, tmp_path, hub) for u in (home, other)]
            for agent in agents:
                agent.start()
            try:
                case_id = await _open_owed_case(agents[0])
                await eventually(
                    lambda: (r := _record(hub, case_id)) is not None and r.deficiency == "owed",
                    20, "the case owed at the hub",
                )  # fmt: skip
                with Session(hub.engine) as s:
                    token = issue_unit_token(s, unit=other)
                    s.commit()
                found = await SupplyClient(hub.url, token).owed(
                    OwedLookup(token_sha256=token_sha256(TOKEN))
                )
                assert found.error is None
                (owed,) = found.cases
                assert owed.case_id == case_id
                await record_supply(
                    agents[1].event_log, owed, list(owed.owed), START + timedelta(days=2)
                )
                await eventually(
                    lambda: _record(hub, case_id).deficiency == "supplied", 20, "补齐 at the hub"
                )
                return _record(hub, case_id)
            finally:
                for agent in agents:
                    await agent.close()

    record = asyncio.run(scenario())
    assert record.unit == home  # still the opening window's case
    assert record.status == "forwarded"  # 补齐 releases the case; the town decides it
    assert record.supplied_at == START + timedelta(days=2)


def test_a_lapsed_case_is_withdrawn_proposed_confirmed_and_the_blacklist_reaches_the_unit(
    broker, database_url, tmp_path
):
    (unit,) = own(["t072"], database_url)

    async def scenario():
        villages = registry_for(tmp_path, [unit])
        async with hub_server(
            broker, database_url, tmp_path / "hub", villages_file=villages,
            case_timer_tick_s=0.2, blacklist_coalesce_s=0.5,
        ) as hub:  # fmt: skip
            hub.app.state.clock = lambda: START + timedelta(days=1)
            agent = config_agent(broker, unit, tmp_path, hub)
            agent.start()
            try:
                first = hub.rollout(target={"units": [unit]})
                await settled(hub, first.id)
                await applied(agent, 1)
                assert agent.config.current is not None
                assert agent.config.current.blacklist == frozenset()
                case_id = await _open_owed_case(agent)
                await eventually(lambda: _record(hub, case_id) is not None, 20, "the case")
                timers = hub.app.state.timers
                for day, deficiency in ((LAPSE_DAY, "lapsed"), (WITHDRAW_DAY, "withdrawn")):
                    hub.app.state.clock = _at(day)
                    timers.wake()
                    await eventually(_is(hub, case_id, deficiency), 20, deficiency)
                with Session(hub.engine) as s:
                    _, (proposal,) = list_proposals(s)
                    token = add_account(s, name="ops", role=Role.OPERATOR)
                    s.commit()
                assert proposal.applicant_ref == REF
                async with httpx.AsyncClient(base_url=hub.url) as http:
                    done = await http.post(
                        f"/api/blacklist/proposals/{proposal.id}/confirm",
                        json={"note": "逾期未补齐，核实无正当理由"},
                        headers={"authorization": f"Bearer {token}"},
                    )
                assert done.status_code == 200, done.text
                # nobody starts a rollout: the hub does, and the unit applies it
                await applied(agent, 2, timeout=30)
                rollouts = [hub.status(r) for r in timers.stats.blacklist_rollouts]
                assert agent.config.current is not None
                return agent.config.current.blacklist, rollouts, _record(hub, case_id)
            finally:
                await agent.close()

    blacklist, rollouts, record = asyncio.run(scenario())
    assert REF in blacklist
    (rollout,) = rollouts
    assert (rollout.kind, rollout.units, rollout.created_by) == ("blacklist", 1, "hub")
    assert (record.status, record.deficiency) == ("withdrawn", "withdrawn")

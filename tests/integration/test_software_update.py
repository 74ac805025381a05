"""Software updates as a staged rollout: a real hub (API, ingest, driver), the session's
Mosquitto, releases built in the test as wheels, and units that are real `bianmin edge
supervise` processes (install, switch, restart, judge, roll back) or, for the deferral and
tampering cases, agents in the test's loop with an injected clock and restarter."""

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from functools import partial

import httpx
import pytest
from sqlalchemy import select, update
from sqlmodel import Session

from edge.settings import EdgeSettings
from edge.update import SoftwareDir
from hub.artifacts.store import ARTIFACTS, put_artifact
from hub.models import Unit
from hub.rollouts.words import reason_words
from protocol.artifacts import ArtifactKind
from protocol.config import CONFIG_SCHEMA_VERSION
from protocol.signing import generate_key
from simulators.kit import SimulatedKit
from tests.integration.helpers import FAST_LINK
from tests.integration.rollout_helpers import hub_server
from tests.integration.test_config_rollout import registry_for, settled
from tests.support.processes import stop
from tests.support.waiting import eventually
from tests.support.wheels import failing_wheel, make_wheel

pytestmark = pytest.mark.integration


def own(units, database_url):
    """Different units per database: the session broker keeps the earlier run's retained
    configs, signed by another hub key."""
    if database_url.startswith("sqlite"):
        return units
    return [f"t{int(u[1:]) + 10:03d}" for u in units]


def upload(hub, wheel):
    with Session(hub.engine) as s:
        ref = put_artifact(
            s,
            content=wheel.read_bytes(),
            kind=ArtifactKind.AGENT_WHEEL,
            media_type="application/zip",
        )
        s.commit()
    return ref.sha256


def agent_version(hub, unit):
    with Session(hub.engine) as s:
        units = Unit.__table__  # type: ignore[attr-defined]
        health = s.execute(select(units.c.health).where(units.c.id == unit)).scalar_one_or_none()
    return (health or {}).get("versions", {}).get("agent")


def unit_health(hub, unit):
    with Session(hub.engine) as s:
        units = Unit.__table__  # type: ignore[attr-defined]
        return s.execute(select(units.c.health).where(units.c.id == unit)).scalar_one_or_none()


async def heard(hub, *units):
    """Wait for each unit's heartbeat: the hub writes a unit's body for the schema that
    heartbeat names, and issues a software release only to agents that read it."""
    for unit in units:

        def reads_software(unit: str = unit) -> bool:
            health = unit_health(hub, unit) or {}
            return health.get("config_schema") == CONFIG_SCHEMA_VERSION

        await eventually(reads_software, 60, f"{unit}'s heartbeat")


async def at_version(hub, unit, version):
    def reported() -> bool:
        return agent_version(hub, unit) == version

    await eventually(reported, 60, f"{unit} to report {version}")


def judged(software: SoftwareDir) -> bool:
    return software.load().last is not None


def current_name(software: SoftwareDir) -> str:
    current = software.current()
    assert current is not None
    return current.name


def supervised_unit(broker, unit, root, hub, log):
    """A unit as systemd starts it: the supervisor, and the agent under it."""
    data = root / unit
    data.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "BIANMIN_UNIT_PASSWORD": broker.creds.password_for(unit)}
    env.pop("PYTHONPATH", None)
    return subprocess.Popen(
        [sys.executable, "-c", "from bianmin.cli import main; main()",
         "edge", "supervise", "--data-dir", str(data), "--trial-limit", "120", "--",
         "edge", "run", "--unit", unit, "--broker", str(broker.url), "--data-dir", str(data),
         "--hub-url", hub.url, "--hub-key", hub.public_key, "--simulated-devices",
         "--rate", "0", "--no-durable", "--health-interval", "0.5", "--ack-timeout", "2"],
        cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip


def test_an_update_rollout_installs_the_new_version_and_one_that_fails_health_rolls_back(
    broker, database_url, tmp_path
):
    """GIVEN two units run by the supervisor at the installed version
    WHEN release 9.0.0 is rolled out (one canary first), then a release 9.1.0 that cannot start
    THEN both units report 9.0.0 and the rollout completes; the broken one is rolled back to
    9.0.0 within the limit, reported rejected with why, and never tried again."""
    canary, other = own(["t170", "t171"], database_url)

    async def scenario():
        villages = registry_for(tmp_path, [canary, other])
        async with hub_server(
            broker, database_url, tmp_path / "hub", villages_file=villages
        ) as hub:
            procs = [supervised_unit(broker, u, tmp_path, hub, log) for u in (canary, other)]
            try:
                await heard(hub, canary, other)
                good = upload(hub, make_wheel(tmp_path, "9.0.0"))
                first = hub.rollout(
                    target={"units": [canary, other]}, canary=[canary], software={"release": good}
                )
                done = await settled(hub, first.id, timeout=180)
                assert done.software_version == "9.0.0"
                for unit in (canary, other):
                    await at_version(hub, unit, "9.0.0")
                    # the heartbeat with the new version reaches the hub before the supervisor,
                    # polling for that same health file, records the trial as passed
                    software = SoftwareDir(tmp_path / unit)
                    await eventually(partial(judged, software), 30, f"{unit}'s verdict")
                    last = software.load().last
                    assert last is not None
                    assert last.status == "installed"

                bad = upload(hub, failing_wheel(tmp_path, "9.1.0"))
                second = hub.rollout(target={"units": [canary]}, software={"release": bad})
                paused = await settled(hub, second.id, state="paused", timeout=180)
                assert paused.counts["rejected"] == 1
                config = hub.unit_config(canary)
                assert config.report_status == "rejected"
                assert config.report_reason == (
                    "version 9.1.0: update_rolled_back: exited with status 1 before reporting "
                    "healthy"
                )
                assert "已回退到原版本" in reason_words(config.report_reason)
                # that report came from 9.0.0 itself, started again by the supervisor
                software = SoftwareDir(tmp_path / canary)
                assert current_name(software).startswith("9.0.0-")
                assert "9.1.0" in software.load().refused
                async with httpx.AsyncClient(base_url=hub.url) as http:
                    page = (await http.get(f"/rollouts/{second.id}")).text
                assert "版本 9.1.0 已回退到原版本" in page
            finally:
                for proc in procs:
                    stop(proc)

    with open(tmp_path / "units.log", "wb") as log:  # the units' processes write into it
        asyncio.run(scenario())


def in_loop_agent(broker, unit, root, hub, *, clock, restarts):
    from edge.agent import build_agent

    settings = EdgeSettings(
        unit_id=unit,
        broker_url=str(broker.url),
        broker_password=broker.creds.password_for(unit),
        data_dir=root / unit,
        event_rate=0,
        durable=False,
        hub_url=hub.url,
        hub_public_key=hub.public_key,
        health_interval_s=0.5,
    )
    agent = build_agent(
        settings,
        kit=SimulatedKit(settings),
        link_settings=FAST_LINK,
        restart=lambda: restarts.append(unit),
        clock=clock,
        supervised=True,
    )
    assert agent.updater is not None
    agent.updater.poll_s = 0.05
    return agent


def test_an_update_waits_for_the_open_case_and_for_the_end_of_office_hours(
    broker, database_url, tmp_path
):
    """GIVEN one unit with a case open and one whose rollout says outside office hours only,
    at 10:00 Beijing time
    WHEN release 9.0.0 is rolled out to both
    THEN each reports deferred with its reason, shown in Chinese on the rollout page; the
    first switches once the case is closed, the second once the clock passes 17:30."""
    busy_unit, hours_unit = own(["t172", "t173"], database_url)
    clock = {"now": datetime(2026, 11, 30, 2, 0, tzinfo=UTC)}  # 10:00 in Beijing
    restarts: list[str] = []
    case_open = {"yes": True}

    async def scenario():
        villages = registry_for(tmp_path, [busy_unit, hours_unit])
        async with hub_server(
            broker, database_url, tmp_path / "hub", villages_file=villages
        ) as hub:
            agents = {
                u: in_loop_agent(
                    broker, u, tmp_path, hub, clock=lambda: clock["now"], restarts=restarts
                )
                for u in (busy_unit, hours_unit)
            }
            updater = agents[busy_unit].updater
            assert updater is not None
            updater.busy = lambda: (
                "case_open: case C-0001 is open at the window (identified)"
                if case_open["yes"]
                else None
            )
            for agent in agents.values():
                agent.start()
            try:
                await heard(hub, busy_unit, hours_unit)
                sha = upload(hub, make_wheel(tmp_path, "9.0.0"))
                anytime = hub.rollout(target={"units": [busy_unit]}, software={"release": sha})
                evening = hub.rollout(
                    target={"units": [hours_unit]},
                    software={"release": sha, "policy": {"outside_office_hours": True}},
                )

                def deferred(unit):
                    c = hub.unit_config(unit)
                    return c is not None and c.report_status == "deferred" and c

                busy = await eventually(lambda: deferred(busy_unit), 60, "the case deferral")
                assert busy.report_reason.startswith("case_open: case C-0001")
                hours = await eventually(lambda: deferred(hours_unit), 60, "the hours deferral")
                assert hours.report_reason == (
                    "office_hours: waiting for the end of office hours "
                    "(08:30-12:00, 14:00-17:30 Asia/Shanghai)"
                )
                async with httpx.AsyncClient(base_url=hub.url) as http:
                    page = (await http.get(f"/rollouts/{anytime.id}")).text
                    assert "推迟更新：窗口正在办理业务（C-0001）" in page
                    page = (await http.get(f"/rollouts/{evening.id}")).text
                    assert "推迟更新：办公时间内不更新" in page
                    page = (await http.get(f"/fleet/{hours_unit}")).text
                    assert "推迟中：推迟更新：办公时间内不更新" in page
                assert restarts == []

                case_open["yes"] = False  # the clerk closes the case
                await eventually(lambda: restarts == [busy_unit], 30, "the idle unit to switch")
                clock["now"] = datetime(2026, 11, 30, 9, 31, tzinfo=UTC)  # 17:31
                await eventually(lambda: len(restarts) == 2, 30, "the evening switch")
                for unit in (busy_unit, hours_unit):
                    software = SoftwareDir(tmp_path / unit)
                    assert current_name(software).startswith("9.0.0-")
                    trial = software.load().trial
                    assert trial is not None
                    assert trial.version == "9.0.0"
            finally:
                for agent in agents.values():
                    await agent.close()

    asyncio.run(scenario())


def test_a_tampered_release_is_refused_by_hash_or_by_signature(broker, database_url, tmp_path):
    """GIVEN a release whose bytes were changed on the hub after upload, and one signed by a
    key the units did not pin
    THEN each unit refuses it with the reason, installs nothing and never restarts."""
    by_hash, by_sig = own(["t174", "t175"], database_url)
    restarts: list[str] = []

    async def scenario():
        villages = registry_for(tmp_path, [by_hash, by_sig])
        async with hub_server(
            broker, database_url, tmp_path / "hub", villages_file=villages
        ) as hub:
            agents = [
                in_loop_agent(broker, u, tmp_path, hub, clock=lambda: datetime.now(UTC),
                              restarts=restarts)
                for u in (by_hash, by_sig)
            ]  # fmt: skip
            for agent in agents:
                agent.start()
            try:
                await heard(hub, by_hash, by_sig)
                wheel = make_wheel(tmp_path, "9.0.0")
                sha = upload(hub, wheel)
                with hub.engine.begin() as conn:  # the stored bytes changed behind the hash
                    conn.execute(
                        update(ARTIFACTS)
                        .where(ARTIFACTS.c.sha256 == sha)
                        .values(content=wheel.read_bytes() + b"\x00")
                    )
                hub.rollout(target={"units": [by_hash]}, software={"release": sha})
                other = upload(hub, make_wheel(tmp_path, "9.0.1"))
                hub.rollout(
                    target={"units": [by_sig]},
                    software={"release": other},
                    signing_key=generate_key(),  # a release the pinned key did not sign
                )

                def rejected(unit):
                    c = hub.unit_config(unit)
                    return c is not None and c.report_status == "rejected" and c

                hashed = await eventually(lambda: rejected(by_hash), 60, "the hash refusal")
                assert hashed.report_reason.startswith("artifact_hash_mismatch")
                signed = await eventually(lambda: rejected(by_sig), 60, "the signature refusal")
                assert signed.report_reason.startswith("version 9.0.1: bad_release_signature")
                assert restarts == []
                for unit in (by_hash, by_sig):
                    software = SoftwareDir(tmp_path / unit)
                    assert software.current() is None
                    assert not software.versions.exists() or not any(software.versions.iterdir())
            finally:
                for agent in agents:
                    await agent.close()

    asyncio.run(scenario())

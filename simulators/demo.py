"""`bianmin demo`: a broker, the hub on SQLite and simulated village units in one process."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

import typer
from fastapi import FastAPI

from hub.accounts import passwords
from hub.accounts.roles import Actor, Role
from hub.accounts.store import add_account, get_account, set_password
from hub.app import create_app
from hub.fleet.events import all_event_ids
from hub.fleet.units import register_units
from hub.rollouts.models import RolloutCreate, Target
from hub.rollouts.store import create_rollout, get_rollout
from hub.settings import HubSettings
from hub.window.idkey import load_id_key
from hub.window.tokens import issue_unit_token
from lifecycle import restore_signals, stop_on_signals
from mqttio import BrokerUrl
from protocol.signing import public_key_to_text
from provisioning import credentials
from provisioning.mosquitto import (
    MosquittoConfig,
    MosquittoProcess,
    free_port,
    mosquitto_binary,
    tool_broker_user,
)
from simulators.demo_window import kiosk_options, seed_registry
from simulators.fleet import Fleet, SimulatedUnit
from simulators.registry import fleet_identities
from simulators.summary import DeliverySummary, compare


async def run_demo(
    *,
    units: int,
    duration: float | None,
    port: int,
    rate: float,
    data_dir: Path | None,
    drain_timeout: float = 60.0,
    embedded_broker: bool = False,
) -> DeliverySummary:
    root = data_dir or Path(tempfile.mkdtemp(prefix="bianmin-demo-"))
    try:
        return await _run(root, units, duration, port, rate, drain_timeout, embedded_broker,
                          keep=data_dir is not None)  # fmt: skip
    finally:
        if data_dir is None:  # a temporary run leaves nothing behind, its keys least of all
            shutil.rmtree(root, ignore_errors=True)


async def _run(
    root: Path, units: int, duration: float | None, port: int, rate: float,
    drain_timeout: float, embedded_broker: bool, *, keep: bool,
) -> DeliverySummary:  # fmt: skip
    import uvicorn
    from sqlmodel import Session

    identities = fleet_identities(units)
    creds = credentials.generate([u.unit_id for u in identities])
    broker_port = free_port()

    stack = contextlib.AsyncExitStack()
    async with stack:
        if mosquitto_binary() is not None and not embedded_broker:
            mosquitto = MosquittoProcess(
                MosquittoConfig(
                    data_dir=root / "broker",
                    port=broker_port,
                    credentials=creds,
                    run_as=tool_broker_user(),
                )
            )
            mosquitto.start()
            stack.callback(mosquitto.stop)
            broker_kind, shared = "mosquitto", True
        else:
            from provisioning.embedded_broker import EmbeddedBroker

            embedded = EmbeddedBroker(broker_port, creds)
            await embedded.start()
            stack.push_async_callback(embedded.stop)
            broker_kind, shared = "amqtt (embedded)", False
        broker = BrokerUrl("127.0.0.1", broker_port)

        settings = HubSettings(
            database_url=f"sqlite:///{root / 'hub.sqlite3'}",
            broker_url=str(broker),
            broker_password=creds.hub_password,
            shared_subscription=shared,
            stale_after_s=30,
            data_dir=root / "hub",
            rollout_tick_s=0.5,
        )
        app = create_app(settings)
        engine = app.state.engine
        with Session(engine) as session:
            register_units(session, units=[(u.unit_id, u.name, u.division) for u in identities])
            token = add_account(session, name="demo-operator", role=Role.OPERATOR)
            # a person for the pages: a random password (the rule refuses well-known ones and
            # a production hub refuses to start with one), printed below once
            admin_password = passwords.generate()
            add_account(session, name="demo-admin", role=Role.ADMIN)
            session.flush()
            admin = get_account(session, "demo-admin")
            set_password(session, admin, admin_password)
            kiosk_unit = identities[0].unit_id if identities else None
            kiosk_clerks = _kiosk_clerks(session, app, kiosk_unit)
            # the window asks this hub for references (blinded) and the registry, as a real
            # unit does: a unit token of its own, and the registry under the hub's own key
            kiosk_token = issue_unit_token(session, unit=kiosk_unit) if kiosk_unit else None
            kiosk_clerks += seed_registry(session, load_id_key(settings)) if kiosk_unit else []
            session.commit()
        kiosk, kiosk_notes = (
            kiosk_options(root, kiosk_unit, kiosk_token) if kiosk_unit and kiosk_token
            else (None, [])
        )  # fmt: skip
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        )
        server_task = asyncio.create_task(server.serve())
        stack.push_async_callback(_stop_server, server, server_task)
        while not server.started:
            if server_task.done():
                server_task.result()  # surfaces "address already in use" and the like
            await asyncio.sleep(0.05)

        fleet = Fleet(
            [SimulatedUnit(u.unit_id, creds.password_for(u.unit_id)) for u in identities],
            broker,
            root / "units",
            rate=rate,
            health_interval_s=5.0,
            hub_url=f"http://127.0.0.1:{port}",
            hub_key=public_key_to_text(app.state.signing_key.public_key()),
            kiosk_unit=kiosk_unit,
            kiosk=kiosk,
        )
        fleet.start()
        stack.push_async_callback(fleet.close)
        rollout = _initial_rollout(app, [u.unit_id for u in identities])
        typer.echo(f"broker: {broker} ({broker_kind})", err=True)
        kept = "" if keep else " (temporary: removed on exit; --data-dir keeps it)"
        typer.echo(f"data: {root}{kept}", err=True)
        typer.echo(f"operator token (for `bianmin rollout ...`): {token}", err=True)
        for line in [*kiosk_clerks, *kiosk_notes]:
            typer.echo(line, err=True)
        if kiosk_unit:  # the virtual printer's slips of the real window, as PNG files
            typer.echo(f"kiosk slips: {root / 'units' / kiosk_unit / 'slips'}/", err=True)
        typer.echo(
            f"sign in: http://127.0.0.1:{port}/login as demo-admin, password {admin_password}",
            err=True,
        )
        typer.echo(
            f"indicators (measured from the cases): http://127.0.0.1:{port}/indicators", err=True
        )
        typer.echo(f"dashboard: http://127.0.0.1:{port}/")

        await _wait(duration)
        if rollout is not None:
            with Session(engine) as session:
                done = get_rollout(session, rollout_id=rollout)
            typer.echo(
                f"config: rollout {rollout} {done.state}, "
                f"{done.counts['applied']}/{done.units} units applied",
                err=True,
            )
        await fleet.stop_sources()
        if not await fleet.drain(drain_timeout):
            typer.echo(
                f"{fleet.pending()} events still in the units' outboxes after {drain_timeout}s "
                "(in flight: they are sent when the units next run)",
                err=True,
            )
        # the units first, then the hub (simulators.summary.compare says why)
        committed, outboxes = fleet.committed(), fleet.outboxes()
        with engine.connect() as conn:
            rows = all_event_ids(conn, units=list(committed))
        return compare(committed, [(u, str(i), s) for u, i, s in rows], outboxes)


def _kiosk_clerks(session: Any, app: FastAPI, unit: str | None) -> list[str]:
    """A clerk and an agent for the village whose window the demo runs (the rollout signs
    them into its configuration); their PINs, made up here, are printed once."""
    from hub.window.clerks import ClerkCreate, add_clerk
    from protocol.clerks import CLERK_ROLE_LABELS, ClerkRole

    if unit is None:
        return []
    lines = []
    actor = Actor("demo", Role.OPERATOR)
    for role, name in ((ClerkRole.CLERK, "王芳"), (ClerkRole.AGENT, "李强")):
        added = add_clerk(
            session, request=ClerkCreate(unit=unit, name=name, role=role), actor=actor,
            registry=app.state.registry,
        )  # fmt: skip
        lines.append(f"kiosk {CLERK_ROLE_LABELS[role]} {name}: PIN {added.pin}")
    return lines


def _initial_rollout(app: FastAPI, units: list[str]) -> int | None:
    """Give the simulated villages their first signed configuration: two canary villages
    first, then the rest, as an operator would roll it out."""
    from sqlmodel import Session

    registry = app.state.registry
    known = [u for u in units if u in set(registry.unit_ids())]
    if not known:
        return None
    request = RolloutCreate(
        target=Target(units=known),
        canary_count=2 if len(known) > 4 else 0,
        note="演示终端首次配置下发",
    )
    with Session(app.state.engine) as session:
        rollout = create_rollout(
            session,
            request=request,
            actor=Actor("demo", Role.OPERATOR),
            catalog=app.state.catalogs.current,
            registry=registry,
        )
    return rollout.id


async def _wait(duration: float | None) -> None:
    stop = stop_on_signals()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), duration)
    restore_signals()


async def _stop_server(server: object, task: asyncio.Task[None]) -> None:
    server.should_exit = True  # type: ignore[attr-defined]
    with contextlib.suppress(Exception):
        await asyncio.wait_for(task, 10)

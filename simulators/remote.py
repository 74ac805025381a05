"""A simulated fleet against a broker and hub that run elsewhere; the verdict comes from the
hub's API, as an operator would check it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import typer

from mqttio import BrokerUrl
from provisioning import credentials
from simulators.fleet import Fleet, SimulatedUnit
from simulators.registry import fleet_identities
from simulators.summary import DeliverySummary, compare

PAGE = 500  # the hub's largest page


async def hub_event_rows(
    hub: str, units: list[str], token: str | None = None
) -> list[tuple[str, str, int]]:
    rows: list[tuple[str, str, int]] = []
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=hub, timeout=30, headers=headers) as client:
        for unit in units:
            after = 0
            while True:
                resp = await client.get(
                    f"/api/units/{unit}/events", params={"after_seq": after, "limit": PAGE}
                )
                if resp.status_code == 404:
                    break
                resp.raise_for_status()
                page = resp.json()
                rows += [(unit, e["id"], e["seq"]) for e in page]
                if len(page) < PAGE:
                    break
                after = page[-1]["seq"]
    return rows


async def hub_public_key(hub: str, token: str | None = None) -> str:
    """The hub's public key from its API. A simulator convenience only: a real unit gets the
    key at provisioning, because asking the server it is supposed to verify proves nothing."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=hub, timeout=30, headers=headers) as client:
        resp = await client.get("/api/hub/public-key")
        resp.raise_for_status()
        key: str = resp.json()["public_key"]
        return key


async def run_fleet(
    *,
    units: int,
    broker: str,
    hub: str,
    rate: float,
    duration: float,
    credentials_file: Path | None,
    data_dir: Path,
    drain_timeout: float,
    hub_key: str | None = None,
    token: str | None = None,
) -> DeliverySummary:
    creds = credentials.load(credentials_file) if credentials_file else None
    identities = fleet_identities(units)
    sim_units = [
        SimulatedUnit(u.unit_id, creds.password_for(u.unit_id) if creds else None)
        for u in identities
    ]
    fleet = Fleet(
        sim_units,
        BrokerUrl.parse(broker),
        data_dir,
        rate=rate,
        hub_url=hub,
        hub_key=hub_key or await hub_public_key(hub, token),
    )
    fleet.start()
    try:
        connected = await fleet.wait_connected(timeout=60)
        typer.echo(f"{connected}/{len(sim_units)} units connected", err=True)
        await asyncio.sleep(duration)
        fleet.stop_generating()
        if not await fleet.drain(drain_timeout):
            typer.echo(
                f"{fleet.pending()} events not acknowledged after {drain_timeout}s", err=True
            )
        committed = fleet.committed()
    finally:
        await fleet.close()
    return compare(committed, await hub_event_rows(hub, list(committed), token))

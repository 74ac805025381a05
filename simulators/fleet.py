"""Many simulated units in one process and one event loop, each with its own event log, its own
broker credentials and the same agent code a real unit runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from edge.agent import Agent, build_agent
from edge.link import LinkSettings
from edge.settings import EdgeSettings
from mqttio import BrokerUrl
from simulators.kit import SimulatedKit

log = logging.getLogger("bianmin.simulators.fleet")
# A unit holds its event log's writer and reader on the file and on the WAL, the shared -shm,
# and its MQTT socket; plus a margin for the artifact downloads' pool.
FDS_PER_UNIT = 6


@dataclass(frozen=True)
class SimulatedUnit:
    unit_id: str
    password: str | None
    matters: Sequence[str] = ()


@dataclass(frozen=True)
class KioskOptions:
    """The real window among the simulated units: face verification when the models are built
    (a camera file to show photos to), the village's name, a rating keypad like a person."""

    face: bool = False
    camera: str | None = None
    window_name: str = "便民服务站"
    human_rating: bool = True
    # the window's unit token: it asks the hub for references and the data registry with it
    hub_token: str | None = None

    def settings(self) -> dict[str, Any]:
        return {"kiosk_port": 0, "face": self.face, "camera": self.camera,
                "window_name": self.window_name, "human_rating": self.human_rating,
                "hub_token": self.hub_token}  # fmt: skip


class Fleet:
    def __init__(
        self,
        units: Sequence[SimulatedUnit],
        broker: BrokerUrl,
        data_root: Path,
        *,
        rate: float,
        health_interval_s: float = 30.0,
        link_settings: LinkSettings | None = None,
        hub_url: str | None = None,
        hub_key: str | None = None,
        kiosk_unit: str | None = None,
        kiosk: KioskOptions | None = None,
    ) -> None:
        self.units = list(units)
        self.broker = broker
        self.data_root = data_root
        self.rate = rate
        self.health_interval_s = health_interval_s
        self.link_settings = link_settings
        # every unit pins the same hub key, as provisioning would give them
        self.hub_url = hub_url
        self.hub_key = hub_key
        # one unit may run a real window (workflow + kiosk page on a free port) among the
        # simulated ones; without face models, so the demo stays cheap
        self.kiosk_unit = kiosk_unit
        self.kiosk = kiosk or KioskOptions()
        self.agents: list[Agent] = []
        self._http: httpx.AsyncClient | None = None

    def start(self) -> None:
        _raise_fd_limit(FDS_PER_UNIT * len(self.units) + 200)
        # one connection pool for all units' artifact downloads, instead of one per unit
        self._http = httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=50))
        for unit in self.units:
            settings = EdgeSettings(
                unit_id=unit.unit_id,
                broker_url=str(self.broker),
                broker_password=unit.password,
                data_dir=self.data_root / unit.unit_id,
                event_rate=self.rate,
                health_interval_s=self.health_interval_s,
                durable=False,  # thousands of units on one disk; still safe against kill -9
                hub_url=self.hub_url,
                hub_public_key=self.hub_key,
                **(self.kiosk.settings() if unit.unit_id == self.kiosk_unit else {"face": False}),
            )
            agent = build_agent(
                settings,
                kit=SimulatedKit(settings, matters=unit.matters),
                link_settings=self.link_settings,
                http=self._http,
            )
            agent.start()
            self.agents.append(agent)

    async def wait_connected(self, timeout: float) -> int:
        """Wait until every unit is connected (or the timeout); return how many are."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(a.link.client.wait_connected() for a in self.agents)), timeout
            )
        return sum(a.link.client.connected for a in self.agents)

    def stop_generating(self) -> None:
        for agent in self.agents:
            agent.stop_generating()

    async def drain(self, timeout: float) -> bool:
        """Wait until the hub has acknowledged everything; False if the timeout passed first."""
        try:
            await asyncio.wait_for(
                asyncio.gather(*(a.wait_drained() for a in self.agents)), timeout
            )
        except TimeoutError:
            return False
        return True

    def kiosk_url(self) -> str | None:
        for agent in self.agents:
            if agent.window is not None:
                return agent.window.kiosk_url
        return None

    def committed(self) -> Mapping[str, Mapping[str, int]]:
        return {a.unit: a.event_log.committed() for a in self.agents}

    def pending(self) -> int:
        return sum(a.event_log.depth for a in self.agents)

    def outboxes(self) -> dict[str, set[str]]:
        """Each unit's events still waiting for the hub's ack."""
        return {
            a.unit: {e.id for e in a.event_log.after(0, a.event_log.depth + 1)} for a in self.agents
        }

    async def stop_sources(self) -> None:
        """Stop everything that commits events (the simulated cases and the real window), so
        what the units committed can be compared with the hub without a moving target."""
        self.stop_generating()
        for agent in self.agents:
            if agent.window is not None:
                await agent.window.close()

    def config_versions(self) -> dict[str, int | None]:
        """The configuration version each unit runs."""
        return {a.unit: a.config.version for a in self.agents}

    async def close(self) -> None:
        await asyncio.gather(*(a.close() for a in self.agents), return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()


def _raise_fd_limit(wanted: int) -> None:
    """Raise the soft open-files limit toward ``wanted`` (up to the hard limit): the usual soft
    limit of 1024 holds only about 170 units."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= wanted:
        return
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if target < wanted:
        log.warning(
            "%d open files are needed but the hard limit is %d: units past it will fail to "
            "open their logs or connect (raise it with `ulimit -Hn`)",
            wanted,
            hard,
        )

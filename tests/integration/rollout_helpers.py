"""A real hub (uvicorn serving create_app, ingest and the rollout driver) in the test's event
loop, unit agents that pin its key and download from it, and polling with a deadline."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from sqlmodel import Session

from edge.agent import Agent, build_agent
from edge.settings import EdgeSettings
from hub.accounts.roles import Actor, Role
from hub.app import create_app
from hub.rollouts import store
from hub.rollouts.models import RolloutCreate, RolloutPublic
from hub.settings import HubSettings
from protocol.signing import public_key_to_text
from simulators.kit import SimulatedKit
from tests.conftest import Broker
from tests.integration.helpers import FAST_LINK
from tests.support.waiting import eventually

OPERATOR = Actor("test-operator", Role.OPERATOR)


@dataclass
class Hub:
    app: FastAPI
    url: str

    @property
    def engine(self) -> Any:
        return self.app.state.engine

    @property
    def public_key(self) -> str:
        return public_key_to_text(self.app.state.signing_key.public_key())

    def rollout(self, *, signing_key: Any = None, **fields: Any) -> RolloutPublic:
        """Create a rollout as an operator would through the API (``signing_key`` signs a
        software release instead of the hub's own key)."""
        request = RolloutCreate.model_validate(fields)
        with Session(self.engine) as s:
            created = store.create_rollout(
                s,
                request=request,
                actor=OPERATOR,
                catalog=self.app.state.catalogs.current,
                registry=self.app.state.registry,
                signing_key=signing_key or self.app.state.signing_key,
            )
        self.app.state.driver.wake()
        return created

    def status(self, rollout_id: int) -> RolloutPublic:
        with Session(self.engine) as s:
            return store.get_rollout(s, rollout_id=rollout_id)

    def unit_config(self, unit: str) -> Any:
        with Session(self.engine) as s:
            found = store.unit_configs(s, units=[unit])
        return found[0] if found else None


@contextlib.asynccontextmanager
async def hub_server(
    broker: Broker | None, database_url: str, data_dir: Path, **settings: Any
) -> AsyncIterator[Hub]:
    config = HubSettings(
        database_url=database_url,
        broker_url=str(broker.url) if broker else None,
        broker_password=broker.creds.hub_password if broker else None,
        data_dir=data_dir,
        rollout_tick_s=0.2,
        **settings,
    )
    app = create_app(config)
    # Bound here and handed to uvicorn: a port only looked up (free_port) can be taken by the
    # hub's own broker connection, which its lifespan opens before uvicorn binds.
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await eventually(lambda: server.started or task.done(), 20, "the hub to start")
        if task.done():
            task.result()
        if broker is not None:
            await asyncio.wait_for(app.state.consumer.client.wait_connected(), 10)
        yield Hub(app, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 10)
        sock.close()
        # the lifespan disposes it, unless a loaded machine made the shutdown outlast the wait:
        # then its pooled PostgreSQL connections would warn in whichever test runs next
        app.state.engine.dispose()


def config_agent(
    broker: Broker, unit: str, root: Path, hub: Hub, *, key: str | None = None
) -> Agent:
    """A unit agent as provisioning leaves it: its broker password and the hub's key pinned."""
    settings = EdgeSettings(
        unit_id=unit,
        broker_url=str(broker.url),
        broker_password=broker.creds.password_for(unit),
        data_dir=root / unit,
        event_rate=0,
        durable=False,
        hub_url=hub.url,
        hub_public_key=key or hub.public_key,
        health_interval_s=0.5,
    )
    return build_agent(settings, kit=SimulatedKit(settings), link_settings=FAST_LINK)

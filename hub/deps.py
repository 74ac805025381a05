"""FastAPI dependencies: settings, engine, a session per request, the catalog store and the
village registry, all from app.state; and the hub's clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from sqlalchemy import Engine
from sqlmodel import Session

from hub.catalog.store import CatalogStore
from hub.settings import HubSettings
from protocol.villages import VillageRegistry


def hub_now(app: Any) -> datetime:
    """The hub's time: its clock, or the one a test set as ``app.state.clock`` to drive time
    limits, timers and alerts."""
    clock = getattr(app.state, "clock", None)
    return clock() if clock is not None else datetime.now(UTC)


def get_settings(request: Request) -> HubSettings:
    settings: HubSettings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


SettingsDep = Annotated[HubSettings, Depends(get_settings)]
# a row's integer id in a path (rollouts, alerts: INTEGER columns): a number the column can
# hold (PostgreSQL's INTEGER ends at 2**31 - 1), so a larger one is a 422 rather than an
# overflow in the driver (a 500)
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
SessionDep = Annotated[Session, Depends(get_session)]


def get_catalogs(request: Request) -> CatalogStore:
    store: CatalogStore = request.app.state.catalogs
    return store


def get_registry(request: Request) -> VillageRegistry:
    registry: VillageRegistry = request.app.state.registry
    return registry


def wake_driver(request: Request) -> None:
    """Tell this process's rollout driver (if it runs one) to look at the database now."""
    driver = getattr(request.app.state, "driver", None)
    if driver is not None:
        driver.wake()


CatalogsDep = Annotated[CatalogStore, Depends(get_catalogs)]
RegistryDep = Annotated[VillageRegistry, Depends(get_registry)]

"""FastAPI dependencies: the settings, engine and a session per request, from app.state."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlmodel import Session

from hub.settings import HubSettings


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
SessionDep = Annotated[Session, Depends(get_session)]

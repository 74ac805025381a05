"""The hub's FastAPI application. Nothing is built at import time: call create_app(settings)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from hub import api, dashboard
from hub.db import create_tables, make_engine
from hub.ingest import IngestConsumer
from hub.settings import HubSettings


def create_app(settings: HubSettings) -> FastAPI:
    engine = make_engine(settings.database_url)
    create_tables(engine)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task: asyncio.Task[None] | None = None
        url = settings.broker()
        if url is not None:
            consumer = IngestConsumer(settings, engine, url)
            app.state.consumer = consumer
            task = asyncio.create_task(consumer.run(), name="ingest")
        try:
            yield
        finally:
            if task is not None:
                await app.state.consumer.stop()
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            engine.dispose()

    app = FastAPI(title="bianmin hub", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.consumer = None
    app.include_router(api.router)
    app.include_router(dashboard.router)

    @app.get("/healthz")
    def healthz() -> dict[str, object]:
        consumer = app.state.consumer
        return {"ok": True, "broker_connected": bool(consumer and consumer.client.connected)}

    return app

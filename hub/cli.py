"""`bianmin hub ...`: run the hub (web app + ingest), or extra ingest processes."""

from __future__ import annotations

import asyncio
import json
import signal
from typing import Annotated

import typer

app = typer.Typer(help="The county hub: dashboard, API and ingest.", no_args_is_help=True)

DatabaseOpt = Annotated[
    str, typer.Option(help="sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")
]
BrokerOpt = Annotated[str, typer.Option(help="mqtt://[hub[:password]@]HOST:PORT")]
PasswordOpt = Annotated[
    str | None,
    typer.Option(envvar="BIANMIN_HUB_BROKER_PASSWORD", help="the hub's broker password"),
]
SharedOpt = Annotated[
    bool, typer.Option(help="read through $share/hub/... so several processes split the load")
]


@app.command()
def serve(
    database: DatabaseOpt = "sqlite:///var/hub/hub.sqlite3",
    broker: BrokerOpt = "mqtt://127.0.0.1:1883",
    broker_password: PasswordOpt = None,
    shared: SharedOpt = True,
    host: Annotated[str, typer.Option(help="address for the dashboard and API")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port for the dashboard and API")] = 8000,
    instance: Annotated[str, typer.Option(help="name of this hub process")] = "hub-1",
) -> None:
    """Serve the dashboard and API, and ingest units' messages."""
    import uvicorn

    from hub.app import create_app
    from hub.settings import HubSettings

    settings = HubSettings(
        database_url=database,
        broker_url=broker,
        broker_password=broker_password,
        shared_subscription=shared,
        instance=instance,
    )
    typer.echo(f"dashboard: http://{host}:{port}/", err=True)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


@app.command()
def ingest(
    database: DatabaseOpt = "sqlite:///var/hub/hub.sqlite3",
    broker: BrokerOpt = "mqtt://127.0.0.1:1883",
    broker_password: PasswordOpt = None,
    instance: Annotated[str, typer.Option(help="name of this ingest process")] = "hub-ingest",
) -> None:
    """Run one more ingest process on the shared subscription (no web server)."""
    from hub.db import create_tables, make_engine
    from hub.ingest import IngestConsumer
    from hub.settings import HubSettings

    settings = HubSettings(
        database_url=database,
        broker_url=broker,
        broker_password=broker_password,
        shared_subscription=True,
        instance=instance,
    )
    url = settings.broker()
    assert url is not None
    engine = make_engine(settings.database_url)
    create_tables(engine)

    async def run() -> None:
        consumer = IngestConsumer(settings, engine, url)
        task = asyncio.create_task(consumer.run())
        await consumer.client.wait_subscribed()
        # one line for scripts and supervisors: this process now receives its share
        typer.echo(json.dumps({"ready": settings.instance, "broker": str(url)}))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await consumer.stop()
        task.cancel()

    asyncio.run(run())

"""`bianmin hub cases rebuild | counts`: the case record, run on the hub's machine against its
database."""

from __future__ import annotations

import json
import time

import typer
from rich.console import Console
from rich.progress import Progress

from hub.options import DEFAULT_DATABASE, DatabaseOpt

cases_app = typer.Typer(help="The county's case record.", no_args_is_help=True)


@cases_app.command()
def rebuild(database: DatabaseOpt = DEFAULT_DATABASE) -> None:
    """Recompute every case record from the stored events and actions (safe while the hub
    runs: the projection is a function of the facts, so live updates and the rebuild agree)."""
    from hub.cases.project import rebuild as rebuild_all
    from hub.db import create_tables, make_engine
    from hub.errors import HubError
    from hub.settings import HubSettings

    followup_days = HubSettings(database_url=database).followup_days  # BIANMIN_HUB_...
    engine = make_engine(database)
    try:
        create_tables(engine)
        started = time.perf_counter()
        # progress on stderr for the person waiting; stdout keeps its one JSON line
        with Progress(console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("rebuilding cases", total=None)
            written = rebuild_all(
                engine,
                followup_days=followup_days,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except HubError as exc:  # a rotation of the reference key under way
        typer.echo(f"error ({exc.code}): {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    elapsed = round(time.perf_counter() - started, 2)
    typer.echo(json.dumps({"rebuilt": written, "seconds": elapsed}))


@cases_app.command()
def counts(database: DatabaseOpt = DEFAULT_DATABASE) -> None:
    """The county's figures over all cases, as one JSON object."""
    from datetime import UTC, datetime

    from hub.cases.counts import case_counts
    from hub.db import create_tables, make_engine
    from protocol.calendar import local_date

    engine = make_engine(database)
    try:
        create_tables(engine)
        with engine.connect() as conn:
            figures = case_counts(conn, [], local_date(datetime.now(UTC)))
    finally:
        engine.dispose()
    typer.echo(json.dumps(figures, ensure_ascii=False))

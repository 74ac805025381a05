"""`bianmin demo` and `bianmin simulate ...`: developers' simulations of a whole fleet."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Simulated units against a running broker and hub.", no_args_is_help=True)


def demo(
    units: Annotated[
        int, typer.Option(help="simulated units, named from the village registry")
    ] = 76,
    duration: Annotated[
        float | None, typer.Option(help="seconds to run, then print the delivery summary")
    ] = None,
    port: Annotated[int, typer.Option(help="port of the hub's dashboard")] = 8000,
    rate: Annotated[float, typer.Option(help="case events per second per unit")] = 0.2,
    data_dir: Annotated[
        Path | None, typer.Option(help="keep all data here (default: temp)")
    ] = None,
    embedded_broker: Annotated[
        bool, typer.Option(help="the in-process amqtt broker even when Mosquitto is installed")
    ] = False,
) -> None:
    """Broker + hub + simulated units; prints the dashboard URL. Ctrl-C (or --duration) ends
    the run with one JSON line comparing the units' outboxes with the hub's database."""
    from simulators.demo import run_demo

    logging.basicConfig(level=logging.WARNING)
    summary = asyncio.run(
        run_demo(
            units=units,
            duration=duration,
            port=port,
            rate=rate,
            data_dir=data_dir,
            embedded_broker=embedded_broker,
        )
    )
    typer.echo(summary.json_line())
    if not summary.exact:
        raise typer.Exit(1)


@app.command()
def fleet(
    units: Annotated[int, typer.Option(help="number of simulated units")],
    broker: Annotated[str, typer.Option(help="mqtt://HOST:PORT of the broker")],
    hub: Annotated[str, typer.Option(help="http://HOST:PORT of the hub")],
    rate: Annotated[float, typer.Option(help="case events per second per unit")] = 0.2,
    duration: Annotated[float, typer.Option(help="seconds of traffic")] = 30.0,
    credentials_file: Annotated[
        Path | None,
        typer.Option("--credentials", help="credentials.json written by `bianmin broker`"),
    ] = None,
    data_dir: Annotated[Path | None, typer.Option(help="units' outboxes (default: temp)")] = None,
    drain_timeout: Annotated[float, typer.Option(help="seconds to wait for acks")] = 120.0,
    hub_key: Annotated[
        str | None,
        typer.Option(help="the hub's public key to pin (default: ask the hub's API)"),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(envvar="BIANMIN_HUB_TOKEN", help="viewer token (production hubs)"),
    ] = None,
) -> None:
    """Run N units against a broker and hub; end with one JSON line comparing the units'
    outboxes with what the hub reports through its API."""
    from simulators.remote import run_fleet

    logging.basicConfig(level=logging.WARNING)
    summary = asyncio.run(
        run_fleet(
            units=units,
            broker=broker,
            hub=hub,
            rate=rate,
            duration=duration,
            credentials_file=credentials_file,
            data_dir=data_dir or Path(tempfile.mkdtemp(prefix="bianmin-fleet-")),
            drain_timeout=drain_timeout,
            hub_key=hub_key,
            token=token,
        )
    )
    typer.echo(summary.json_line())
    if not summary.exact:
        raise typer.Exit(1)


@app.command("balena-api")
def balena_api(
    port: Annotated[int, typer.Option(help="port on 127.0.0.1 (0: any free one)")] = 0,
    api_key: Annotated[str, typer.Option(help="the key clients must send")] = "fake-balena-api-key",
    organization: Annotated[str, typer.Option(help="the one organization it knows")] = "county",
) -> None:
    """A fake balena API on 127.0.0.1 (the endpoints balena-sdk calls for provisioning), to
    try `bianmin provision` with the balena backend without an account. Runs until Ctrl-C."""
    import json
    import signal

    from simulators.balena_api import FakeBalenaApi

    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    with FakeBalenaApi(api_key=api_key, organization=organization, port=port) as api:
        line = {"api_url": api.url, "api_key": api_key, "organization": organization}
        typer.echo(json.dumps(line), nl=True)
        signal.sigwait({signal.SIGINT, signal.SIGTERM})


@app.command()
def county(
    out: Annotated[Path, typer.Option(help="directory for report.json and report.html")] = Path(
        "county-report"
    ),
    seed: Annotated[int, typer.Option(help="draws the day's plan and the chaos faults")] = 1,
    villages: Annotated[
        int | None, typer.Option(help="the registry's first N villages (default: all 76)")
    ] = None,
    day_minutes: Annotated[
        float | None, typer.Option(help="wall minutes for 08:30-17:30 (default 5)")
    ] = None,
    speed: Annotated[
        float | None, typer.Option(help="simulated seconds per wall second (instead)")
    ] = None,
    load: Annotated[float, typer.Option(help="times the county's ~216 cases a day")] = 1.0,
    bad_share: Annotated[
        float, typer.Option(help="share of 不满意/非常不满意 ratings (source: 0.0001)")
    ] = 0.005,
    workers: Annotated[int, typer.Option(help="processes the units are spread over")] = 4,
    chaos: Annotated[
        bool, typer.Option(help="kill -9 the hub, the broker, a worker; cut a link")
    ] = False,
    chaos_rounds: Annotated[int, typer.Option(help="rounds of the four faults")] = 1,
    database: Annotated[
        str | None, typer.Option(help="the hub's database URL (default: SQLite in the run)")
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="keep the run's data here (default: temp)")
    ] = None,
    faces: Annotated[
        bool, typer.Option(help="real face checks on the pinned models (off: all by card)")
    ] = True,
) -> None:
    """A working day of every village's unit (the real agent code, simulated devices) against
    a broker and the hub on an accelerated clock; writes the report and prints its verdict."""
    import json

    from simulators.county.clock import speed_for
    from simulators.county.run import Options, simulate

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    if speed is not None and day_minutes is not None:
        raise typer.BadParameter("give --speed or --day-minutes, not both")
    pace = speed if speed is not None else speed_for(day_minutes or 5.0)
    options = Options(
        seed=seed, villages=villages, speed=pace, load=load, bad_share=bad_share,
        workers=workers, chaos=chaos, chaos_rounds=chaos_rounds, database_url=database,
        faces=faces,
    )  # fmt: skip
    report = asyncio.run(simulate(options, out, data_dir))
    delivery = report["delivery"]
    typer.echo(json.dumps({"report": str(out / "report.html"), **delivery,
                           "chaos": report["chaos"]}, ensure_ascii=False))  # fmt: skip
    if not delivery["exact"] or delivery["in_flight"]:
        raise typer.Exit(1)

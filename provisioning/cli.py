"""`bianmin broker`: run a broker with per-unit credentials for the county's units."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import Annotated

import typer

from lifecycle import stop_on_signals
from provisioning import credentials
from provisioning.errors import BrokerError
from provisioning.files import write_private
from provisioning.mosquitto import MosquittoConfig, MosquittoProcess, mosquitto_binary
from provisioning.registry import load_registry, unit_ids


def broker(
    port: Annotated[int, typer.Option(help="TCP port to listen on (127.0.0.1)")] = 1883,
    data_dir: Annotated[Path, typer.Option(help="config, passwords, ACLs, persistence")] = Path(
        "var/broker"
    ),
    registry: Annotated[
        Path | None,
        typer.Option(help="the village registry whose units get credentials [default: the seed]"),
    ] = None,
    units: Annotated[
        int | None,
        typer.Option(help="only the first N registry units, or synthetic ones beyond (load runs)"),
    ] = None,
    embedded: Annotated[bool, typer.Option(help="use the in-process amqtt broker")] = False,
) -> None:
    """Run an MQTT broker (Mosquitto, or amqtt without it) with a password per unit and ACLs
    that let each unit touch only its own topics. Writes DATA_DIR/credentials.json (0600);
    units already in it keep their passwords."""
    try:
        ids = unit_ids(load_registry(registry), units)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    creds_path = data_dir / "credentials.json"
    creds = credentials.load(creds_path) if creds_path.exists() else credentials.generate(ids)
    for unit in ids:  # keep existing passwords, add new units
        creds.units.setdefault(unit, credentials.new_password())
    credentials.save(creds, creds_path)
    if embedded or mosquitto_binary() is None:
        asyncio.run(_run_embedded(port, creds, creds_path))
        return
    # Block the signals before starting the child: sigwait only receives blocked signals, and
    # an unblocked SIGTERM would kill this process and leave Mosquitto running on its own.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    config = MosquittoConfig(
        data_dir=data_dir, port=port, credentials=creds, admin_password=_admin_password(data_dir)
    )
    process = MosquittoProcess(config)
    try:
        process.start()
    except BrokerError as exc:
        typer.echo(f"error ({exc.code}): {exc}", err=True)
        raise typer.Exit(2) from None
    write_private(data_dir / ADMIN_URL_FILE, config.admin_url.with_secret() + "\n")
    _announce(process.url, "mosquitto", creds_path, len(creds.units))
    try:
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        process.stop()


ADMIN_URL_FILE = "admin-url"


def _admin_password(data_dir: Path) -> str:
    """The dynamic-security admin's password: kept in DATA_DIR/admin-url (0600, the whole URL,
    for `provision rotate --live` and `revoke`: BIANMIN_BROKER_ADMIN_URL), made on first start."""
    from mqttio import BrokerUrl

    path = data_dir / ADMIN_URL_FILE
    if path.exists():
        found = BrokerUrl.parse(path.read_text(encoding="ascii").strip()).password
        if found:
            return found
    return credentials.new_password()


async def _run_embedded(port: int, creds: credentials.Credentials, creds_path: Path) -> None:
    from provisioning.embedded_broker import EmbeddedBroker

    server = EmbeddedBroker(port, creds)
    await server.start()
    _announce(server.url, "amqtt", creds_path, len(creds.units))
    await stop_on_signals().wait()
    await server.stop()


def _announce(url: str, kind: str, creds_path: Path, units: int) -> None:
    line = {"broker": url, "kind": kind, "credentials": str(creds_path), "units": units}
    typer.echo(json.dumps(line))

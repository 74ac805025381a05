"""`bianmin broker`: run a broker with per-unit credentials for the county's units."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import Annotated

import typer

from lifecycle import stop_on_signals
from provisioning import credentials, listeners
from provisioning.errors import BrokerError
from provisioning.files import write_private
from provisioning.mosquitto import (
    MosquittoConfig,
    MosquittoProcess,
    TlsListener,
    mosquitto_binary,
)
from provisioning.registry import load_registry, unit_ids

app = typer.Typer(invoke_without_command=True, no_args_is_help=False)


@app.callback()
def broker(
    ctx: typer.Context,
    port: Annotated[
        int | None,
        typer.Option(
            help="TCP port on 127.0.0.1 [default: 1883]; with DATA_DIR/listeners.json "
            "(provision apply, TLS) the listeners come from that file"
        ),
    ] = None,
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
    units already in it keep their passwords. A data directory from `provision apply` with an
    mqtts:// broker URL holds listeners.json and the broker's certificate: Mosquitto then
    listens with TLS on the county network (and plain on 127.0.0.1 only if configured).
    `bianmin broker nats-cluster` runs a three-node NATS cluster instead (docs/cluster.md)."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        ids = unit_ids(load_registry(registry), units)
        spec = listeners.load(data_dir)
    except (ValueError, BrokerError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if spec is not None and port is not None:
        raise typer.BadParameter(
            f"the listeners come from {data_dir / listeners.FILE_NAME} (provision init "
            "--broker-url, --broker-listen, --hub-plain-port)",
            param_hint="--port",
        )
    if spec is not None and embedded:
        raise typer.BadParameter(
            "the embedded broker serves plain MQTT on 127.0.0.1 only; TLS needs Mosquitto",
            param_hint="--embedded",
        )
    creds_path = data_dir / "credentials.json"
    creds = credentials.load(creds_path) if creds_path.exists() else credentials.generate(ids)
    for unit in ids:  # keep existing passwords, add new units
        creds.units.setdefault(unit, credentials.new_password())
    credentials.save(creds, creds_path)
    if spec is None and (embedded or mosquitto_binary() is None):
        asyncio.run(_run_embedded(port or 1883, creds, creds_path))
        return
    # Block the signals before starting the child: sigwait only receives blocked signals, and
    # an unblocked SIGTERM would kill this process and leave Mosquitto running on its own.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    admin = _admin_password(data_dir)
    if spec is None:
        config = MosquittoConfig(
            data_dir=data_dir, port=port or 1883, credentials=creds, admin_password=admin
        )
    else:
        config = MosquittoConfig(
            data_dir=data_dir,
            port=spec.plain_port or 0,
            credentials=creds,
            tls=TlsListener.in_data_dir(data_dir, spec.tls),
            plain=spec.plain_port is not None,
            admin_password=admin,
        )
    try:
        process = MosquittoProcess(config)
    except BrokerError as exc:
        typer.echo(f"error ({exc.code}): {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        process.start()
    except BrokerError as exc:
        typer.echo(f"error ({exc.code}): {exc}", err=True)
        raise typer.Exit(2) from None
    write_private(data_dir / ADMIN_URL_FILE, config.admin_url.with_secret() + "\n")
    _announce(process.url, "mosquitto", creds_path, len(creds.units))
    if config.plain and config.tls is not None:
        typer.echo(json.dumps({"plain": f"mqtt://{config.host}:{config.port}"}))
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


def _credentials(
    registry: Path | None, units: int | None, data_dir: Path
) -> tuple[credentials.Credentials, Path]:
    """DATA_DIR/credentials.json with a password for every registry unit (kept if known)."""
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
    return creds, creds_path


@app.command("nats-cluster")
def nats_cluster(
    data_dir: Annotated[Path, typer.Option(help="nodes' configs and JetStream stores")] = Path(
        "var/nats-cluster"
    ),
    registry: Annotated[
        Path | None,
        typer.Option(help="the village registry whose units get credentials [default: the seed]"),
    ] = None,
    units: Annotated[
        int | None,
        typer.Option(help="only the first N registry units, or synthetic ones beyond (load runs)"),
    ] = None,
    nodes: Annotated[int, typer.Option(min=1, max=5, help="how many nodes")] = 3,
) -> None:
    """Run a NATS cluster on 127.0.0.1 (free ports) that speaks MQTT, with a user per unit and
    permissions mapped from the units' ACLs. Prints one JSON line: each node's MQTT and native
    URL, for `edge run --broker-engine nats --broker ...` and `hub ingest --broker-engine nats
    --nats-url ...`. Development and tests only: production runs EMQX (docs/cluster.md)."""
    from provisioning.nats import NatsCluster, NatsClusterConfig

    creds, creds_path = _credentials(registry, units, data_dir)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    cluster = NatsCluster(NatsClusterConfig.on_free_ports(data_dir, creds, size=nodes))
    try:
        cluster.start()
    except BrokerError as exc:
        typer.echo(f"error ({exc.code}): {exc}", err=True)
        raise typer.Exit(2) from None
    line = {
        "kind": "nats",
        "mqtt": [str(u) for u in cluster.config.mqtt_urls()],
        "nats": cluster.config.nats_urls(),
        "credentials": str(creds_path),
        "units": len(creds.units),
    }
    typer.echo(json.dumps(line))
    try:
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        cluster.stop()


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

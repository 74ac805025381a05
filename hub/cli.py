"""`bianmin hub ...`: run the hub (web app + ingest), or extra ingest processes."""

from __future__ import annotations

import asyncio
import gc
import ipaddress
import json
from pathlib import Path
from typing import Annotated, Literal

import typer

from hub.accounts.cli import app as user_app
from hub.calendar.cli import hub_app as calendar_app
from hub.cases.cli import cases_app
from hub.commands.cli import command
from hub.residents.cli import resident_app
from hub.signing.cli import keys_app
from hub.window import proposals_cli
from hub.window.clerk_cli import clerks_app
from hub.window.cli import blacklist_app, registry_app, unit_token, unit_token_import
from hub.window.idkey_cli import idkey_app
from lifecycle import stop_on_signals

app = typer.Typer(help="The county hub: dashboard, API and ingest.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(blacklist_app, name="blacklist")
app.add_typer(registry_app, name="registry")
app.add_typer(clerks_app, name="clerks")
app.add_typer(calendar_app, name="calendar")
app.add_typer(cases_app, name="cases")
app.add_typer(keys_app, name="key")
app.add_typer(idkey_app, name="id-key")
app.add_typer(resident_app, name="resident")
app.command("unit-token")(unit_token)
app.command("unit-token-import")(unit_token_import)
app.command("command")(command)
blacklist_app.command("proposals")(proposals_cli.proposals)
blacklist_app.command("confirm")(proposals_cli.confirm)
blacklist_app.command("reject")(proposals_cli.reject)
blacklist_app.command("delivery")(proposals_cli.delivery)

DatabaseOpt = Annotated[
    str, typer.Option(help="sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")
]
BrokerOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--broker",
        help="mqtt://[hub[:password]@]HOST:PORT [default: mqtt://127.0.0.1:1883]; repeat it for "
        "the nodes of a clustered broker, tried in this order",
    ),
]
EngineOpt = Annotated[
    str,
    typer.Option(
        envvar="BIANMIN_HUB_BROKER_ENGINE",
        help="mqtt: share ingest through $share/hub (Mosquitto, EMQX); nats: through the NATS "
        "queue group at --nats-url (docs/cluster.md)",
    ),
]
NatsUrlOpt = Annotated[
    list[str] | None,
    typer.Option("--nats-url", help="nats://HOST:PORT of a NATS node; repeat it for each"),
]
DEFAULT_BROKER = "mqtt://127.0.0.1:1883"


def _broker_fields(
    brokers: list[str] | None, engine: str, nats_urls: list[str] | None
) -> dict[str, object]:
    """The HubSettings fields of --broker (repeated), --broker-engine and --nats-url."""
    if engine not in ("mqtt", "nats"):
        raise typer.BadParameter("use mqtt or nats", param_hint="--broker-engine")
    given = brokers or [DEFAULT_BROKER]
    return {
        "broker_url": given[0],
        "broker_urls": tuple(given) if len(given) > 1 else (),
        "broker_engine": engine,
        "nats_urls": tuple(nats_urls or ()),
    }


PasswordOpt = Annotated[
    str | None,
    typer.Option(envvar="BIANMIN_HUB_BROKER_PASSWORD", help="the hub's broker password"),
]
SharedOpt = Annotated[
    bool, typer.Option(help="read through $share/hub/... so several processes split the load")
]
DataDirOpt = Annotated[
    Path,
    typer.Option(
        envvar="BIANMIN_HUB_DATA_DIR",
        help="signing key (unless --signing-key-file) and artifact cache",
    ),
]
EnvironmentOpt = Annotated[
    str,
    typer.Option(
        envvar="BIANMIN_HUB_ENVIRONMENT",
        help="local: anonymous reads, key made on first start; production: tokens, key must exist",
    ),
]
LogFormatOpt = Annotated[
    str | None,
    typer.Option(
        envvar="BIANMIN_HUB_LOG_FORMAT",
        help="json (one object per line) or text; default: text at a terminal, else json",
    ),
]
LogLevelOpt = Annotated[
    str, typer.Option(envvar="BIANMIN_HUB_LOG_LEVEL", help="DEBUG, INFO, WARNING or ERROR")
]
BrokerCaOpt = Annotated[
    Path | None,
    typer.Option(
        envvar="BIANMIN_HUB_TLS_CA_FILE",
        help="the CA an mqtts:// broker is verified with (provisioning's hub-tls/ca.pem)",
    ),
]
BrokerCertOpt = Annotated[
    Path | None,
    typer.Option(
        envvar="BIANMIN_HUB_BROKER_TLS_CERT_FILE",
        help="the hub's client certificate, when the broker asks for one (hub-tls/client.pem)",
    ),
]
BrokerKeyOpt = Annotated[
    Path | None,
    typer.Option(envvar="BIANMIN_HUB_BROKER_TLS_KEY_FILE", help="its key (hub-tls/client.key)"),
]
KeyFileOpt = Annotated[
    Path | None,
    typer.Option(envvar="BIANMIN_HUB_SIGNING_KEY_FILE", help="the Ed25519 signing key (PEM)"),
]


def _logging(fmt: str | None, level: str) -> None:
    from hub import logs

    if fmt not in (None, "json", "text"):
        raise typer.BadParameter("use json or text", param_hint="--log-format")
    if level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise typer.BadParameter("use DEBUG, INFO, WARNING or ERROR", param_hint="--log-level")
    logs.configure("json" if fmt == "json" else "text" if fmt == "text" else None, level)


def _environment(value: str) -> Literal["local", "production"]:
    if value not in ("local", "production"):
        raise typer.BadParameter("use local or production", param_hint="--environment")
    return "local" if value == "local" else "production"


@app.command()
def serve(
    database: DatabaseOpt = "sqlite:///var/hub/hub.sqlite3",
    broker: BrokerOpt = None,
    broker_password: PasswordOpt = None,
    broker_engine: EngineOpt = "mqtt",
    nats_url: NatsUrlOpt = None,
    shared: SharedOpt = True,
    host: Annotated[str, typer.Option(help="address for the dashboard and API")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port for the dashboard and API")] = 8000,
    instance: Annotated[str, typer.Option(help="name of this hub process")] = "hub-1",
    data_dir: DataDirOpt = Path("var/hub"),
    environment: EnvironmentOpt = "local",
    signing_key_file: KeyFileOpt = None,
    catalog: Annotated[
        Path | None, typer.Option(help="catalog JSON file (default: the seed)")
    ] = None,
    villages: Annotated[
        Path | None, typer.Option(help="village registry JSON file (default: the seed)")
    ] = None,
    log_format: LogFormatOpt = None,
    log_level: LogLevelOpt = "INFO",
    broker_ca: BrokerCaOpt = None,
    broker_cert: BrokerCertOpt = None,
    broker_key: BrokerKeyOpt = None,
    tls_cert: Annotated[
        Path | None,
        typer.Option(help="serve HTTPS with this certificate (provisioning's hub-tls/server.pem)"),
    ] = None,
    tls_key: Annotated[Path | None, typer.Option(help="and this key (hub-tls/server.key)")] = None,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            help="a host name the hub answers to (repeat; '*.domain' for a domain's names, "
            "'*' for any: unsafe); default BIANMIN_HUB_ALLOWED_HOSTS. Required in production"
        ),
    ] = None,
) -> None:
    """Serve the dashboard and API, ingest units' messages, and drive rollouts. With
    --tls-cert and --tls-key the hub serves HTTPS itself (not behind a proxy) and its session
    cookies are marked Secure. In production the hub refuses to start without the host names
    it answers to (--allowed-host or BIANMIN_HUB_ALLOWED_HOSTS)."""
    import uvicorn

    from hub.app import create_app
    from hub.errors import HubError
    from hub.settings import HubSettings

    env = _environment(environment)
    _logging(log_format, log_level)
    if env == "local" and not _loopback(host):
        raise typer.BadParameter(
            "local mode lets anonymous requests read; serve it on 127.0.0.1 only, "
            "or run with --environment production",
            param_hint="--host",
        )
    if (tls_cert is None) != (tls_key is None):
        raise typer.BadParameter("give both or neither", param_hint="--tls-cert/--tls-key")
    # given, the names replace BIANMIN_HUB_ALLOWED_HOSTS; not given, it applies
    hosts = {"allowed_hosts": tuple(allowed_host)} if allowed_host else {}
    settings = HubSettings(
        database_url=database,
        **_broker_fields(broker, broker_engine, nats_url),  # type: ignore[arg-type]
        broker_password=broker_password,
        tls_ca_file=broker_ca,
        broker_tls_cert_file=broker_cert,
        broker_tls_key_file=broker_key,
        shared_subscription=shared,
        instance=instance,
        data_dir=data_dir,
        environment=env,
        signing_key_file=signing_key_file,
        catalog_file=catalog,
        villages_file=villages,
        **hosts,  # type: ignore[arg-type]
    )
    if tls_cert is not None:
        # served over https here: Secure cookies (else BIANMIN_HUB_COOKIE_SECURE decides, for
        # a hub behind a proxy)
        settings = settings.model_copy(update={"cookie_secure": True})
    try:
        web = create_app(settings)
    except HubError as exc:
        typer.echo(f"error ({exc.code}): {exc}", err=True)
        raise typer.Exit(2) from None
    scheme = "https" if tls_cert is not None else "http"
    typer.echo(f"dashboard: {scheme}://{host}:{port}/", err=True)
    # the hub's logging setup stays (log_config=None); hub.logs logs each request instead
    uvicorn.run(
        web,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        ssl_certfile=str(tls_cert) if tls_cert else None,
        ssl_keyfile=str(tls_key) if tls_key else None,
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command()
def keygen(
    key_file: Annotated[Path, typer.Option(help="where to write the new key (mode 0600)")] = Path(
        "var/hub/hub_signing_key.pem"
    ),
) -> None:
    """Create the hub's Ed25519 signing key once; print the public key units must pin."""
    from hub.keys import create_key_file
    from protocol.signing import key_id, public_key_to_text

    try:
        key = create_key_file(key_file)
    except FileExistsError:
        typer.echo(f"error: {key_file} exists; the hub keeps one key (see `hub pubkey`)", err=True)
        raise typer.Exit(1) from None
    public = key.public_key()
    typer.echo(public_key_to_text(public))
    typer.echo(f"written {key_file} (key id {key_id(public)})", err=True)


@app.command()
def pubkey(
    key_file: Annotated[Path, typer.Option(help="the hub's signing key")] = Path(
        "var/hub/hub_signing_key.pem"
    ),
) -> None:
    """Print the public key to pin in units (base64 of the raw 32 bytes)."""
    from hub.errors import HubError
    from hub.keys import read_key_file
    from protocol.signing import public_key_to_text

    try:
        key = read_key_file(key_file, strict=False)
    except HubError as exc:
        typer.echo(f"error ({exc.code}): {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(public_key_to_text(key.public_key()))


@app.command()
def migrate(
    database: DatabaseOpt = "sqlite:///var/hub/hub.sqlite3",
    check: Annotated[
        bool, typer.Option(help="only say where the schema is; change nothing")
    ] = False,
) -> None:
    """Upgrade the hub's database schema to this version's newest migration. hub serve and hub
    ingest do it on start only when the pending revisions just add tables, indexes or columns;
    others wait for this command (stop the old processes and back up first). Prints one JSON
    line: the revision before and after."""
    from hub.db import make_engine
    from hub.migrations import runner

    engine = make_engine(database)
    try:
        with engine.connect() as conn:
            before = runner.current(conn)
        if not check:
            from hub.db import create_tables

            create_tables(engine, only_safe=False)  # the operator's deliberate upgrade
        with engine.connect() as conn:
            after = runner.current(conn)
    finally:
        engine.dispose()
    typer.echo(json.dumps({"before": before, "after": after, "head": runner.head()}))
    if check and after != runner.head():
        raise typer.Exit(1)


@app.command()
def ingest(
    database: DatabaseOpt = "sqlite:///var/hub/hub.sqlite3",
    broker: BrokerOpt = None,
    broker_password: PasswordOpt = None,
    broker_engine: EngineOpt = "mqtt",
    nats_url: NatsUrlOpt = None,
    instance: Annotated[str, typer.Option(help="name of this ingest process")] = "hub-ingest",
    project_cases: Annotated[
        bool,
        typer.Option(help="also project cases here; `hub serve` always does, every 2 s at most"),
    ] = False,
    log_format: LogFormatOpt = None,
    log_level: LogLevelOpt = "INFO",
    broker_ca: BrokerCaOpt = None,
    broker_cert: BrokerCertOpt = None,
    broker_key: BrokerKeyOpt = None,
) -> None:
    """Run one more ingest process on the shared subscription (no web server). Case projection
    stays with `hub serve` unless asked for: it would share this process's one core (GIL) with
    ingest, which is what extra ingest processes are for."""
    from hub.cases.projector import CaseProjector
    from hub.db import create_tables, make_engine
    from hub.fleet.retention import dead_letter_sweeper
    from hub.ingest.consumer import IngestConsumer
    from hub.notices.sender import notice_sender
    from hub.settings import HubSettings

    _logging(log_format, log_level)
    # An ingest process holds tens of thousands of young objects at a time (queued messages, a
    # batch's rows), which CPython's default thresholds (700 allocations) scan again and again:
    # collect the youngest generation every 50,000 instead (bench/ingest.py, docs/scaling.md).
    gc.set_threshold(50_000, 20, 20)
    settings = HubSettings(
        database_url=database,
        **_broker_fields(broker, broker_engine, nats_url),  # type: ignore[arg-type]
        broker_password=broker_password,
        tls_ca_file=broker_ca,
        broker_tls_cert_file=broker_cert,
        broker_tls_key_file=broker_key,
        shared_subscription=True,
        instance=instance,
    )
    urls = settings.brokers()
    url = urls[0]
    engine = make_engine(settings.database_url)
    create_tables(engine)

    async def run() -> None:
        consumer = IngestConsumer(settings, engine, urls)
        projector = CaseProjector(engine, followup_days=settings.followup_days)
        task = asyncio.create_task(consumer.run())
        sweeper = asyncio.create_task(dead_letter_sweeper(settings, engine, consumer).run())
        finishing = []
        if project_cases:
            consumer.on_commit.append(projector.wake)
            finishing.append(asyncio.create_task(projector.run()))
        sender = notice_sender(settings, engine, consumer)
        finishing.append(asyncio.create_task(sender.run()))
        await consumer.wait_ready()
        # one line for scripts and supervisors: this process now receives its share
        typer.echo(json.dumps({"ready": settings.instance, "broker": str(url)}))
        await stop_on_signals().wait()
        await consumer.stop()
        # and one on the way out: what this process took of the shared stream
        done = consumer.snapshot()
        counts = {k: done[k] for k in ("messages", "events", "inserted", "duplicates", "batches")}
        typer.echo(json.dumps({"stopped": settings.instance, **counts}))
        task.cancel()
        sweeper.cancel()
        projector.stop()  # finishes the pass in progress
        sender.stop()
        await asyncio.wait(finishing, timeout=10)

    asyncio.run(run())

"""`bianmin provision init | plan | apply | status | rotate UNIT | revoke UNIT`: the county's
units from the village registry to working identities, as offline bundles or on balena
(docs/provisioning.md). Secrets are never printed: they go to 0600 files and to the backend."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from provisioning.settings import (
    Backend,
    BalenaSettings,
    ProvisionSettings,
    TlsSettings,
    save_settings,
)

app = typer.Typer(
    help="Bring the registry's units into service: identities, bundles or balena devices.",
    no_args_is_help=True,
)
StateDir = Annotated[
    Path,
    typer.Option(help="the identity store, settings and progress (keep it private, back it up)"),
]
DEFAULT_STATE = Path("var/provision")
BackendOpt = Annotated[
    Backend | None, typer.Option(help="this run's backend instead of fleet.json's")
]


def _provisioner(state_dir: Path, backend: str | None = None):  # type: ignore[no-untyped-def]
    from provisioning.apply import Provisioner
    from provisioning.backends import make_backend

    return Provisioner(state_dir, make_backend, backend)


@app.command()
def init(
    broker_url: Annotated[
        list[str],
        typer.Option(
            help="where units connect: mqtt://HOST:PORT; repeat it for each node of a clustered "
            "broker (each unit gets the list from a node of its own, docs/cluster.md)"
        ),
    ],
    hub_public_key: Annotated[
        str, typer.Option(help="the hub's signing key to pin (`bianmin hub pubkey`), base64")
    ],
    hub_url: Annotated[str | None, typer.Option(help="http(s)://HOST:PORT of the hub")] = None,
    hub_seal_key: Annotated[
        str | None,
        typer.Option(
            help="the hub's key for offline ID references (`bianmin hub id-key seal-public`), "
            "base64; without it units cannot identify by number while the hub is away"
        ),
    ] = None,
    registry: Annotated[
        Path | None, typer.Option(help="the village registry [default: the seed]")
    ] = None,
    default_profile: Annotated[str, typer.Option(help="hardware profile of most units")] = (
        "pi4-cm3-80mm"
    ),
    profile: Annotated[
        list[str] | None,
        typer.Option(help="UNIT_OR_DIVISION=PROFILE for units with other hardware (repeat)"),
    ] = None,
    backend: Annotated[Backend, typer.Option(help="bundle (offline) or balena")] = "bundle",
    balena_organization: Annotated[str | None, typer.Option(help="balena org handle")] = None,
    balena_fleet: Annotated[str, typer.Option(help="balena fleet name")] = "bianmin-windows",
    balena_api_url: Annotated[
        str | None, typer.Option(help="openBalena's API (https://api.HOST/); default balenaCloud")
    ] = None,
    balena_release: Annotated[
        list[str] | None,
        typer.Option(
            help="[UNIT_OR_DIVISION=]RELEASE_ID: pin devices to a balena release (repeat; "
            "without a target: every unit)"
        ),
    ] = None,
    broker_engine: Annotated[
        str, typer.Option(help="mqtt (Mosquitto, EMQX) or nats (a NATS cluster: QoS 0)")
    ] = "mqtt",
    broker_name: Annotated[
        list[str] | None,
        typer.Option(help="a DNS name of the broker for its certificate (repeat)"),
    ] = None,
    broker_ip: Annotated[
        list[str] | None,
        typer.Option(help="an IP address of the broker for its certificate (repeat)"),
    ] = None,
    hub_name: Annotated[
        list[str] | None, typer.Option(help="a DNS name of the hub for its certificate (repeat)")
    ] = None,
    hub_ip: Annotated[
        list[str] | None,
        typer.Option(help="an IP address of the hub for its certificate (repeat)"),
    ] = None,
    broker_listen: Annotated[
        str, typer.Option(help="the interface the broker's TLS listener binds")
    ] = "0.0.0.0",
    hub_plain_port: Annotated[
        int | None,
        typer.Option(help="also a plain listener on 127.0.0.1:PORT, for a hub on that machine"),
    ] = None,
    client_certificates: Annotated[
        bool, typer.Option(help="units must show a client certificate as well as a password")
    ] = False,
    state_dir: StateDir = DEFAULT_STATE,
) -> None:
    """Write STATE_DIR/fleet.json: the decisions every other provision command reads. With an
    mqtts:// broker URL or an https:// hub URL, also make the county CA (once)."""
    overrides = {}
    for item in profile or []:
        key, sep, name = item.partition("=")
        if not sep:
            raise typer.BadParameter(
                f"{item!r} is not UNIT_OR_DIVISION=PROFILE", param_hint="--profile"
            )
        overrides[key] = name
    releases: dict[str, int] = {}
    for item in balena_release or []:
        key, sep, value = item.rpartition("=")
        if not value.isdigit():
            raise typer.BadParameter(
                f"{item!r} is not [UNIT_OR_DIVISION=]RELEASE_ID", param_hint="--balena-release"
            )
        releases[key if sep else "*"] = int(value)
    balena = None
    if balena_organization is not None:
        balena = BalenaSettings(
            organization=balena_organization,
            fleet=balena_fleet,
            api_url=balena_api_url,
            releases=releases,
        )
    elif releases:
        raise typer.BadParameter("needs --balena-organization", param_hint="--balena-release")
    settings = ProvisionSettings(
        registry=registry.resolve() if registry else None,
        broker_url=broker_url[0],
        broker_urls=tuple(broker_url) if len(broker_url) > 1 else None,
        broker_engine=broker_engine,
        hub_url=hub_url,
        hub_public_key=hub_public_key,
        hub_seal_key=hub_seal_key,
        default_profile=default_profile,
        profiles=overrides,
        backend=backend,
        balena=balena,
        tls=TlsSettings(
            broker_names=tuple(broker_name or ()),
            broker_ips=tuple(broker_ip or ()),
            hub_names=tuple(hub_name or ()),
            hub_ips=tuple(hub_ip or ()),
            broker_listen=broker_listen,
            hub_plain_port=hub_plain_port,
            client_certificates=client_certificates,
        ),
    )
    from provisioning.registry import load_registry

    settings.check_against(load_registry(settings.registry))
    path = save_settings(state_dir, settings)
    line: dict[str, object] = {"settings": str(path), "backend": backend}
    if settings.uses_ca:
        from provisioning.tls_files import TlsFiles

        files = TlsFiles(state_dir)
        files.ca()
        line["county_ca"] = str(files.ca_cert)
    typer.echo(json.dumps(line))


@app.command()
def plan(
    state_dir: StateDir = DEFAULT_STATE,
    backend: BackendOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object")] = False,
) -> None:
    """What `apply` would change, unit by unit; changes nothing."""
    p = _provisioner(state_dir, backend).plan()
    rows = [
        {
            "unit": u.unit,
            "village": u.target.village.name,
            "profile": u.target.profile.name,
            "identity": u.identity_action,
            "deliver": u.deliver,
        }
        for u in p.units
        if u.identity_action != "keep" or u.deliver
    ]
    summary = {
        "backend": p.backend,
        "units": len(p.units),
        "changes": p.changes,
        "create": sum(u.identity_action == "create" for u in p.units),
        "update": sum(u.identity_action == "update" for u in p.units),
        "deliver": sum(u.deliver for u in p.units),
        "withdraw": p.withdraw,
        "not_in_registry": p.orphans,
        "certificates": p.certificates,
    }
    if as_json:
        typer.echo(json.dumps({**summary, "unit_changes": rows}, ensure_ascii=False))
        return
    for row in rows:
        what = [] if row["identity"] == "keep" else [f"{row['identity']} identity"]
        what += [f"deliver ({p.backend})"] if row["deliver"] else []
        typer.echo(
            f"  {row['unit']:<28} {row['village']:<10} {row['profile']:<18} {', '.join(what)}"
        )
    for unit in p.withdraw:
        typer.echo(f"  {unit:<28} withdraw (revoked)")
    for what, why in p.certificates.items():
        typer.echo(f"  {what:<28} issue certificate ({why})")
    for unit in p.orphans:
        typer.echo(
            f"  {unit:<28} not in the registry any more: kept; `provision revoke` withdraws it"
        )
    typer.echo(json.dumps(summary, ensure_ascii=False))


@app.command()
def apply(state_dir: StateDir = DEFAULT_STATE, backend: BackendOpt = None) -> None:
    """Make it so: identities for new units, deliveries where anything changed. Safe to run
    again; an interrupted run resumes. Exit status 1 if any unit failed (the others are done)."""
    provisioner = _provisioner(state_dir, backend)
    pending = provisioner.plan()
    total = sum(u.deliver for u in pending.units) + len(pending.withdraw)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[unit]}"),
        console=Console(stderr=True),
        transient=False,
    ) as bar:
        task = bar.add_task(f"provisioning ({provisioner.backend.name})", total=total, unit="")
        result = provisioner.apply(
            progress=lambda what, unit: bar.update(task, advance=1, unit=f"{what} {unit}")
        )
    typer.echo(
        json.dumps(
            {
                "backend": provisioner.backend.name,
                "created": len(result.created),
                "updated": len(result.updated),
                "delivered": len(result.delivered),
                "withdrawn": len(result.withdrawn),
                "failed": result.failed,
                "certificates": sorted(result.certificates),
                "broker_credentials": str(provisioner.store.broker_credentials),
                "hub_unit_tokens": str(provisioner.store.tokens_file),
            }
        )
    )
    if result.failed:
        raise typer.Exit(1)


@app.command()
def status(
    state_dir: StateDir = DEFAULT_STATE,
    backend: BackendOpt = None,
    unit: Annotated[list[str] | None, typer.Option(help="only these units (repeat)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object")] = False,
) -> None:
    """Each unit's identity (generation), and what the backend says (bundle ready; balena's
    device status and whether it is online)."""
    provisioner = _provisioner(state_dir, backend)
    revoked = provisioner.store.revoked()
    stored = provisioner.store.identities()
    units = unit or list(provisioner.registry.unit_ids()) + sorted(
        set(revoked) - set(provisioner.registry.unit_ids())
    )
    rows = []
    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("reading status", total=len(units))
        for u in units:
            identity = stored.get(u)
            shown = "none" if identity is None else f"generation {identity.generation}"
            row = {
                "unit": u,
                "identity": "revoked" if u in revoked else shown,
                provisioner.backend.name: provisioner.status(u),
            }
            unit_state = provisioner.backend_state.units.get(u)
            if unit_state is not None and unit_state.uuid is not None:
                row["uuid"] = unit_state.uuid  # the balena device, for its config.json
            rows.append(row)
            bar.advance(task)
    if as_json:
        typer.echo(json.dumps({"units": rows}, ensure_ascii=False))
        return
    for row in rows:
        typer.echo(f"  {row['unit']:<28} {row['identity']:<14} {row[provisioner.backend.name]}")


AdminOpt = Annotated[
    str | None,
    typer.Option(
        envvar="BIANMIN_BROKER_ADMIN_URL",
        help="the broker's dynamic-security admin, mqtt://broker.admin:PASSWORD@HOST:PORT "
        "(`bianmin broker` writes it to DATA_DIR/admin-url); with it, changes apply live",
    ),
]
HubOpt = Annotated[
    str | None,
    typer.Option("--hub", envvar="BIANMIN_HUB_URL", help="the hub's URL [default: fleet.json's]"),
]
TokenOpt = Annotated[
    str | None,
    typer.Option("--token", envvar="BIANMIN_HUB_TOKEN", help="an operator's API token"),
]


def _live_parts(state_dir: Path, hub: str | None, token: str | None, admin: str | None):  # type: ignore[no-untyped-def]
    from mqttio import BrokerUrl, ClientTls
    from provisioning.live import HubApi
    from provisioning.settings import load_settings
    from provisioning.tls_files import TlsFiles

    hub_url = hub or load_settings(state_dir).hub_url
    ca = TlsFiles(state_dir).ca_cert
    ca_file = str(ca) if ca.exists() else None  # the county CA, when TLS is on
    api = HubApi(hub_url, token, ca_file=ca_file) if hub_url else None
    admin_url = BrokerUrl.parse(admin) if admin else None
    tls = ClientTls(ca_file=ca_file) if admin_url is not None and admin_url.tls else None
    return api, admin_url, tls


@app.command()
def rotate(
    unit: Annotated[str, typer.Argument(help="the unit id")],
    state_dir: StateDir = DEFAULT_STATE,
    live: Annotated[
        bool | None,
        typer.Option(
            "--live/--files-only",
            help="through the running fleet (the default when a broker admin is configured), "
            "or only in the files (applied at the next broker start and `apply`)",
        ),
    ] = None,
    broker_admin_url: AdminOpt = None,
    hub: HubOpt = None,
    token: TokenOpt = None,
    wait: Annotated[float, typer.Option(help="seconds to wait for the unit's answer")] = 60.0,
) -> None:
    """A new broker password for UNIT. Live (docs/provisioning.md): the hub hands it to the
    unit in a signed command, the unit keeps it as pending and answers, then the broker takes
    it; no restart, and the unit is never locked out. Files only: a new broker password and API
    token in the store, the broker's credentials file and the hub's token hashes; `apply`
    delivers them."""
    from provisioning.store import IdentityStore

    if live is None:
        live = broker_admin_url is not None
    if live:
        from provisioning.live import rotate_live

        api, admin, admin_tls = _live_parts(state_dir, hub, token, broker_admin_url)
        if api is None or admin is None:
            raise typer.BadParameter(
                "a live rotation needs the hub (--hub or fleet.json's hub_url) and the broker's "
                "admin (--broker-admin-url)", param_hint="--live",
            )  # fmt: skip
        done = rotate_live(
            IdentityStore(state_dir), unit, hub=api, admin_url=admin, admin_tls=admin_tls,
            wait_s=wait,
        )  # fmt: skip
        typer.echo(json.dumps(done, ensure_ascii=False))
        if done["state"] != "rotated":
            raise typer.Exit(1)
        return
    identity = IdentityStore(state_dir).rotate(unit)
    typer.echo(
        json.dumps(
            {
                "unit": unit,
                "generation": identity.generation,
                "next": "bianmin provision apply (delivers it); restart the broker; "
                "bianmin hub unit-token import (on the hub)",
            }
        )
    )


@app.command()
def revoke(
    unit: Annotated[str, typer.Argument(help="the unit id")],
    state_dir: StateDir = DEFAULT_STATE,
    broker_admin_url: AdminOpt = None,
    hub: HubOpt = None,
    token: TokenOpt = None,
) -> None:
    """Revoke UNIT for good: its identity is deleted, its broker password and API token leave
    the generated files, `apply` withdraws its bundle or balena identity and never issues it
    again. With the broker's admin its broker client is deleted (it is disconnected at once);
    with the hub and an operator token the hub deletes its token, clears its retained topics
    and dead-letters whatever it still sends. Running it again finishes what was left."""
    from provisioning.live import revoke_live
    from provisioning.store import IdentityStore

    api, admin, admin_tls = _live_parts(state_dir, hub, token, broker_admin_url)
    if api is not None and token is None:
        api = None  # no operator token: the hub learns it from the token file's import
    done = revoke_live(
        IdentityStore(state_dir), unit, hub=api, admin_url=admin, admin_tls=admin_tls
    )
    if admin is None or api is None:
        done["next"] = (
            "bianmin provision apply (withdraws it); "
            + ("restart the broker; " if admin is None else "")
            + ("bianmin hub unit-token-import (on the hub)" if api is None else "")
        )
    typer.echo(json.dumps(done, ensure_ascii=False))


@app.command()
def ca(state_dir: StateDir = DEFAULT_STATE) -> None:
    """The county CA and the broker's and hub's certificates: names, expiry, files, and what
    `apply` would issue. Prints no key."""
    from provisioning.pki import common_name, load_cert, names_in
    from provisioning.settings import load_settings
    from provisioning.tls_files import TlsFiles

    settings = load_settings(state_dir)
    files = TlsFiles(state_dir)
    authority = files.ca(create=False)
    certificates = []
    for item in files.wanted(settings):
        row: dict[str, object] = {"certificate": item.label, "file": str(item.cert)}
        if item.cert.exists():
            cert = load_cert(item.cert.read_bytes())
            row["subject"] = common_name(cert)
            row["names"] = names_in(cert).shown()
            row["not_after"] = cert.not_valid_after_utc.isoformat()
        certificates.append(row)
    out = {
        "county_ca": str(files.ca_cert),
        "not_after": authority.cert.not_valid_after_utc.isoformat(),
        "certificates": certificates,
        "pending": files.pending(settings, authority),
    }
    typer.echo(json.dumps(out, ensure_ascii=False))

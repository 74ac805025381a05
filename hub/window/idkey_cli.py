"""`bianmin hub id-key init | seal-init | seal-public | rotate | status`: the hub's ID reference
key (hub.window.idkey), written once, and its generations (hub.window.idgen, hub.window.rekey)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from hub.options import DEFAULT_DATABASE, DatabaseOpt

idkey_app = typer.Typer(help="The county's ID reference key (hub only).", no_args_is_help=True)


def _key_from(path: Path) -> bytes:
    """The key in ``path``: 64 hex digits, or provisioning's county.json (its ``id_key``), so
    references made while units held that key keep matching."""
    text = path.read_text(encoding="ascii").strip()
    if text.startswith("{"):
        text = str(json.loads(text).get("id_key", ""))
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise typer.BadParameter(f"{path}: not a 32-byte key in hex, nor a county.json")
    return key


@idkey_app.command("init")
def init(
    key_file: Annotated[Path, typer.Option(help="where to write the key (mode 0600)")] = Path(
        "var/hub/hub_id_key.hex"
    ),
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="take the key units held before issue 17: provisioning's secrets/county.json",
        ),
    ] = None,
) -> None:
    """Create the key (or adopt the county's old one) and the seal key beside it (offline
    references); give every hub process the same files."""
    from hub.window.idkey import create_id_key

    if key_file.exists():
        typer.echo(f"error: {key_file} exists; the hub keeps one reference key", err=True)
        raise typer.Exit(1)
    if from_file is None:
        create_id_key(key_file)
    else:
        key = _key_from(from_file)
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key.hex() + "\n")
    seal = _seal_path(key_file)
    if not seal.exists():
        _write_seal(seal)
    typer.echo(
        f"written {key_file} and {seal}; start the hub with BIANMIN_HUB_ID_KEY_FILE={key_file}"
    )


def _seal_path(key_file: Path) -> Path:
    return key_file.with_name("hub_id_seal_key.hex")  # as HubSettings.id_seal_key_path


def _write_seal(path: Path) -> None:
    from hub.window.idkey import create_seal_key

    create_seal_key(path)


@idkey_app.command("seal-init")
def seal_init(
    key_file: Annotated[Path, typer.Option(help="the hub's existing reference key file")] = Path(
        "var/hub/hub_id_key.hex"
    ),
) -> None:
    """Create the seal key (offline references) beside a reference key made before it existed."""
    seal = _seal_path(key_file)
    if seal.exists():
        typer.echo(f"error: {seal} exists", err=True)
        raise typer.Exit(1)
    _write_seal(seal)
    typer.echo(f"written {seal}")


@idkey_app.command("seal-public")
def seal_public(
    key_file: Annotated[Path, typer.Option(help="the hub's reference key file")] = Path(
        "var/hub/hub_id_key.hex"
    ),
) -> None:
    """Print the seal key's public half (base64) for provisioning (``--hub-seal-key``)."""
    import base64

    from hub.window.idkey import read_id_key
    from protocol import idseal

    public = idseal.public_key(read_id_key(_seal_path(key_file), strict=False))
    typer.echo(base64.b64encode(public).decode("ascii"))


@idkey_app.command("rotate")
def rotate(
    key_file: Annotated[Path, typer.Option(help="the hub's reference key file")] = Path(
        "var/hub/hub_id_key.hex"
    ),
    signing_key_file: Annotated[
        Path, typer.Option(help="the hub's first signing key (the units' commands are signed)")
    ] = Path("var/hub/hub_signing_key.pem"),
    database: DatabaseOpt = DEFAULT_DATABASE,
) -> None:
    """A new generation of ID references (docs/security-keys.md): a chain key file beside the
    reference key, every stored reference re-keyed table by table, the units sent their
    references' new values. Stop every hub process first; run again to finish an interrupted
    rotation. Prints the generation and the references re-keyed per table."""
    from hub.accounts.roles import command_line_actor
    from hub.db import create_tables, make_engine
    from hub.errors import HubError
    from hub.keys import read_key_file
    from hub.signing.store import HubKeys
    from hub.window.rekey import rotate as rotate_references

    engine = make_engine(database)
    try:
        create_tables(engine)
        keys = HubKeys(
            read_key_file(signing_key_file, strict=False), signing_key_file, strict=False
        )
        done = rotate_references(
            engine, key_file=key_file, keys=keys, actor=command_line_actor(), strict=False,
            artifact_dir=key_file.parent / "artifacts",  # HubSettings.artifact_dir's default
        )  # fmt: skip
    except HubError as exc:
        typer.echo(f"error ({exc.code}): {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    typer.echo(json.dumps({"generation": done["generation"], "rekeyed": done["done"]}))
    typer.echo(
        "next: start the hub processes with every hub_id_chain_*.hex beside the key file; "
        "units re-key by their rekey_references command and the blacklist rollout",
        err=True,
    )


@idkey_app.command("status")
def status(database: DatabaseOpt = DEFAULT_DATABASE) -> None:
    """The current reference generation, and a rotation under way (its tables done)."""
    from hub.db import create_tables, make_engine
    from hub.window.idgen import state_row

    engine = make_engine(database)
    try:
        create_tables(engine)
        with engine.connect() as conn:
            state = state_row(conn)
    finally:
        engine.dispose()
    typer.echo(
        json.dumps(
            {
                "generation": state["generation"],
                "rotating_to": state["rotating_to"],
                "done": state["done"],
            }
        )
    )

"""`bianmin hub key status | rotate | promote | retire`: the signing-key ring, changed on the
hub's machine (its database and its key files), each step in the audit log under the login
of whoever ran it. The same steps are `GET /api/keys` and `POST /api/keys/{step}`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hub.options import DEFAULT_DATABASE, DatabaseOpt

keys_app = typer.Typer(
    help="The hub's signing keys: rotate, promote, retire (docs/config.md).",
    no_args_is_help=True,
)
KeyFileOpt = Annotated[
    Path, typer.Option(help="the hub's first signing key; rotated keys are written beside it")
]
DEFAULT_KEY_FILE = Path("var/hub/hub_signing_key.pem")


def _run(step: str, database: str, key_file: Path, min_share: float = 1.0) -> None:
    from hub.accounts.roles import command_line_actor
    from hub.db import open_session
    from hub.errors import HubError
    from hub.keys import read_key_file
    from hub.signing.status import check_promote, key_status
    from hub.signing.store import HubKeys

    try:
        keys = HubKeys(read_key_file(key_file, strict=False), key_file, strict=False)
        with open_session(database) as session:
            actor = command_line_actor()
            if step == "rotate":
                ring = keys.rotate(session, actor)
            elif step == "promote":
                ring = keys.ring(session)
                check_promote(ring, key_status(session, ring), min_share)
                ring = keys.promote(session, actor)
            elif step == "retire":
                ring = keys.retire(session, actor)
            else:
                ring = keys.ring(session)
            status = key_status(session, ring)
    except HubError as exc:
        typer.echo(f"error ({exc.code}): {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(status.model_dump_json(exclude={"checked_at"}))
    typer.echo(f"next: {status.next_step}", err=True)


@keys_app.command("status")
def status(
    database: DatabaseOpt = DEFAULT_DATABASE, key_file: KeyFileOpt = DEFAULT_KEY_FILE
) -> None:
    """The ring, which units trust which key, and the next step."""
    _run("status", database, key_file)


@keys_app.command("rotate")
def rotate(
    database: DatabaseOpt = DEFAULT_DATABASE, key_file: KeyFileOpt = DEFAULT_KEY_FILE
) -> None:
    """Create the next key and announce it in every unit's next config."""
    _run("rotate", database, key_file)


@keys_app.command("promote")
def promote(
    database: DatabaseOpt = DEFAULT_DATABASE,
    key_file: KeyFileOpt = DEFAULT_KEY_FILE,
    min_share: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="share of units that must trust the next key")
    ] = 1.0,
) -> None:
    """Sign with the announced key from now on (refused while too few units trust it)."""
    _run("promote", database, key_file, min_share)


@keys_app.command("retire")
def retire(
    database: DatabaseOpt = DEFAULT_DATABASE, key_file: KeyFileOpt = DEFAULT_KEY_FILE
) -> None:
    """Announce the previous key as retired; units refuse what it signs."""
    _run("retire", database, key_file)

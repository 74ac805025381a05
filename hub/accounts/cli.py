"""`bianmin hub user ...`: API accounts, run on the hub's machine against its database."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from hub.accounts.roles import ACCOUNT_ROLES
from hub.options import DEFAULT_DATABASE, DatabaseOpt

app = typer.Typer(help="API accounts (operator, auditor, viewer).", no_args_is_help=True)
ROLES = tuple(r.value for r in reversed(ACCOUNT_ROLES))


@app.command()
def add(
    name: Annotated[str, typer.Argument(help="account name: a-z 0-9 _ . -")],
    role: Annotated[str, typer.Option(help="operator, auditor or viewer")],
    database: DatabaseOpt = DEFAULT_DATABASE,
) -> None:
    """Create an account and print its API token once; the hub keeps only a hash of it."""
    from hub import audit
    from hub.accounts.roles import Role, command_line_actor
    from hub.accounts.store import add_account
    from hub.db import open_session
    from hub.errors import HubError

    if role not in ROLES:
        raise typer.BadParameter(f"use one of {', '.join(ROLES)}", param_hint="--role")
    with open_session(database) as session:
        try:
            token = add_account(session, name=name, role=Role(role))
        except HubError as exc:
            typer.echo(f"error ({exc.code}): {exc}", err=True)
            raise typer.Exit(1) from None
        audit.record(
            session,
            actor=command_line_actor(),
            action="account.add",
            target=f"account/{name}",
            detail={"role": role},
        )
        session.commit()
    typer.echo(json.dumps({"name": name, "role": role, "token": token}))
    typer.echo("store the token now: it is not shown again", err=True)


@app.command("list")
def list_(database: DatabaseOpt = DEFAULT_DATABASE) -> None:
    """Print every account as one JSON line (never a token)."""
    from hub.accounts.store import list_accounts
    from hub.db import open_session

    with open_session(database) as session:
        for account in list_accounts(session):
            typer.echo(account.model_dump_json())


@app.command()
def disable(
    name: Annotated[str, typer.Argument()],
    database: DatabaseOpt = DEFAULT_DATABASE,
) -> None:
    """Disable an account: its token stops working at once."""
    from hub import audit
    from hub.accounts.roles import command_line_actor
    from hub.accounts.store import disable_account
    from hub.db import open_session

    with open_session(database) as session:
        if not disable_account(session, name=name):
            typer.echo(f"error (not_found): no account {name!r}", err=True)
            raise typer.Exit(1)
        audit.record(
            session,
            actor=command_line_actor(),
            action="account.disable",
            target=f"account/{name}",
        )
        session.commit()
    typer.echo(json.dumps({"name": name, "disabled": True}))

"""`bianmin hub user ...`: API accounts, run on the hub's machine against its database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hub.accounts.roles import ACCOUNT_ROLES
from hub.options import DEFAULT_DATABASE, DatabaseOpt

if TYPE_CHECKING:
    from hub.accounts.scope import Scope

app = typer.Typer(
    help="API accounts (operator, auditor, viewer; backoffice for a town or a department).",
    no_args_is_help=True,
)
ROLES = ("operator", "auditor", "viewer", "backoffice")
assert set(ROLES) == {r.value for r in ACCOUNT_ROLES}


@app.command()
def add(
    name: Annotated[str, typer.Argument(help="account name: a-z 0-9 _ . -")],
    role: Annotated[str, typer.Option(help="operator, auditor, viewer or backoffice")],
    town: Annotated[
        str | None,
        typer.Option(help="backoffice: the town's division code (its villages' forwarded cases)"),
    ] = None,
    department: Annotated[
        str | None,
        typer.Option(help="backoffice: the county department, as the catalog names it"),
    ] = None,
    villages: Annotated[
        Path | None, typer.Option(help="village registry JSON file (default: the seed)")
    ] = None,
    database: DatabaseOpt = DEFAULT_DATABASE,
) -> None:
    """Create an account and print its API token once; the hub keeps only a hash of it.
    A backoffice account serves one town (--town) or one department (--department)."""
    from hub import audit
    from hub.accounts.roles import Role, command_line_actor
    from hub.accounts.scope import set_scope
    from hub.accounts.store import add_account
    from hub.db import open_session
    from hub.errors import HubError

    if role not in ROLES:
        raise typer.BadParameter(f"use one of {', '.join(ROLES)}", param_hint="--role")
    scope = _scope(role, town, department, villages)
    with open_session(database) as session:
        try:
            token = add_account(session, name=name, role=Role(role))
            if scope is not None:
                set_scope(session, name, scope)
        except HubError as exc:
            typer.echo(f"error ({exc.code}): {exc}", err=True)
            raise typer.Exit(1) from None
        detail = {"role": role, **(scope.as_dict() if scope else {})}
        audit.record(
            session,
            actor=command_line_actor(),
            action="account.add",
            target=f"account/{name}",
            detail=detail,
        )
        session.commit()
    typer.echo(json.dumps({"name": name, "token": token, **detail}, ensure_ascii=False))
    typer.echo("store the token now: it is not shown again", err=True)


def _scope(
    role: str, town: str | None, department: str | None, villages: Path | None
) -> Scope | None:
    """A back office's scope from the options, checked: a town must be in the registry."""
    from hub.accounts.scope import Scope
    from hub.catalog.villages import load_villages
    from hub.errors import HubError

    if role != "backoffice":
        if town is not None or department is not None:
            raise typer.BadParameter("only a backoffice account has a scope", param_hint="--town")
        return None
    if (town is None) == (department is None):
        raise typer.BadParameter(
            "a backoffice account serves one town (--town CODE) or one department "
            "(--department NAME)",
            param_hint="--town/--department",
        )
    if town is not None:
        try:
            load_villages(villages).division(town)
        except LookupError:
            raise typer.BadParameter(
                f"no town or subdistrict {town!r} in the village registry", param_hint="--town"
            ) from None
    try:
        return Scope(town=town, department=department)
    except HubError as exc:
        raise typer.BadParameter(str(exc), param_hint="--department") from None


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

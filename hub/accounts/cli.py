"""`bianmin hub user ...`: accounts, run on the hub's machine against its database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hub.accounts.roles import ACCOUNT_ROLES
from hub.options import DEFAULT_DATABASE, DatabaseOpt

if TYPE_CHECKING:
    from hub.accounts.area import Area
    from hub.accounts.scope import Scope

app = typer.Typer(
    help="Accounts (admin, operator, auditor, viewer; backoffice for a town or a department).",
    no_args_is_help=True,
)
ROLES = ("admin", "operator", "auditor", "viewer", "backoffice")
assert set(ROLES) == {r.value for r in ACCOUNT_ROLES}

PasswordFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--password-file",
        help="read the password from this file's first line (else it is asked for; never "
        "give a password on the command line)",
        exists=True,
        dir_okay=False,
    ),
]


@app.command()
def add(
    name: Annotated[str, typer.Argument(help="account name: a-z 0-9 _ . -")],
    role: Annotated[str, typer.Option(help="admin, operator, auditor, viewer or backoffice")],
    town: Annotated[
        str | None,
        typer.Option(help="the account sees this town's villages only (a division code)"),
    ] = None,
    village: Annotated[
        str | None, typer.Option(help="the account sees this village only (its unit id)")
    ] = None,
    department: Annotated[
        str | None,
        typer.Option(help="backoffice: the county department, as the catalog names it"),
    ] = None,
    password_file: PasswordFileOpt = None,
    villages: Annotated[
        Path | None, typer.Option(help="village registry JSON file (default: the seed)")
    ] = None,
    database: DatabaseOpt = DEFAULT_DATABASE,
) -> None:
    """Create an account and print its API token once; the hub keeps only a hash of it. With
    --password-file the account can also sign in to the pages (else: `hub user passwd`).
    A backoffice account serves one town (--town) or one department (--department)."""
    from hub import audit
    from hub.accounts.roles import Role, command_line_actor
    from hub.accounts.scope import set_scope
    from hub.accounts.store import add_account, get_account, set_password
    from hub.db import open_session
    from hub.errors import HubError

    if role not in ROLES:
        raise typer.BadParameter(f"use one of {', '.join(ROLES)}", param_hint="--role")
    area = _area(town, village, villages)
    scope = _scope(role, area, department)
    password = _read_password(password_file, name) if password_file is not None else None
    with open_session(database) as session:
        try:
            token = add_account(session, name=name, role=Role(role), area=area)
            session.flush()
            if scope is not None:
                set_scope(session, name, scope)
            if password is not None:
                account = get_account(session, name)
                set_password(session, account, password)
        except HubError as exc:
            typer.echo(f"error ({exc.code}): {exc}", err=True)
            raise typer.Exit(1) from None
        detail: dict[str, str] = {"role": role}
        if area.town is not None:
            detail["town"] = area.town
        if area.village is not None:
            detail["village"] = area.village
        if scope is not None:
            detail.update(scope.as_dict())
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


def _area(town: str | None, village: str | None, villages: Path | None) -> Area:
    """An account's area from the options, checked against the village registry."""
    from hub.accounts.area import Area
    from hub.catalog.villages import load_villages

    if town is not None and village is not None:
        raise typer.BadParameter("give one of --town or --village", param_hint="--village")
    registry = load_villages(villages)
    try:
        if town is not None:
            registry.division(town)
        if village is not None:
            registry.village(village)
    except LookupError:
        hint = "--town" if town is not None else "--village"
        raise typer.BadParameter(
            f"no town or village {town or village!r} in the village registry", param_hint=hint
        ) from None
    return Area(town=town, village=village)


def _scope(role: str, area: Area, department: str | None) -> Scope | None:
    """A back office's scope: its town (the area) or a department."""
    from hub.accounts.scope import Scope
    from hub.errors import HubError

    if role != "backoffice":
        if department is not None:
            raise typer.BadParameter(
                "only a backoffice account serves a department", param_hint="--department"
            )
        return None
    if area.village is not None or (area.town is None) == (department is None):
        raise typer.BadParameter(
            "a backoffice account serves one town (--town CODE) or one department "
            "(--department NAME)",
            param_hint="--town/--department",
        )
    try:
        return Scope(town=area.town, department=department)
    except HubError as exc:
        raise typer.BadParameter(str(exc), param_hint="--department") from None


def _read_password(path: Path | None, name: str) -> str:
    """The new password from a file's first line or a prompt (typed twice), checked by the
    rule (hub.accounts.passwords)."""
    from hub.accounts import passwords

    if path is not None:
        lines = path.read_text(encoding="utf-8").splitlines()
        password = lines[0] if lines else ""
    else:
        password = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
    problem = passwords.problem(password, name=name)
    if problem is not None:
        typer.echo(f"error (weak_password): {problem}", err=True)
        raise typer.Exit(1)
    return password


@app.command()
def passwd(
    name: Annotated[str, typer.Argument()],
    password_file: PasswordFileOpt = None,
    database: DatabaseOpt = DEFAULT_DATABASE,
) -> None:
    """Set an account's password (asked for twice, or --password-file); its sessions end."""
    from hub import audit
    from hub.accounts import sessions
    from hub.accounts.roles import command_line_actor
    from hub.accounts.store import Account, set_password
    from hub.db import open_session

    password = _read_password(password_file, name)
    with open_session(database) as session:
        account = session.get(Account, name)
        if account is None:
            typer.echo(f"error (not_found): no account {name!r}", err=True)
            raise typer.Exit(1)
        set_password(session, account, password)
        ended = sessions.end_all(session, name)
        audit.record(
            session,
            actor=command_line_actor(),
            action="account.password_reset",
            target=f"account/{name}",
            detail={"sessions_ended": ended},
        )
        session.commit()
    typer.echo(json.dumps({"name": name, "password_set": True, "sessions_ended": ended}))


@app.command("list")
def list_(database: DatabaseOpt = DEFAULT_DATABASE) -> None:
    """Print every account as one JSON line (never a token or a password hash)."""
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
    """Disable an account: its token and its sessions stop working at once."""
    from hub import audit
    from hub.accounts import sessions
    from hub.accounts.roles import command_line_actor
    from hub.accounts.store import disable_account
    from hub.db import open_session

    with open_session(database) as session:
        if not disable_account(session, name=name):
            typer.echo(f"error (not_found): no account {name!r}", err=True)
            raise typer.Exit(1)
        sessions.end_all(session, name)
        audit.record(
            session,
            actor=command_line_actor(),
            action="account.disable",
            target=f"account/{name}",
        )
        session.commit()
    typer.echo(json.dumps({"name": name, "disabled": True}))

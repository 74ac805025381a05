"""`bianmin hub clerks add | list | disable | reset-pin`: the clerk roster, changed on the hub's
machine against its database, each change in the audit log under the login of whoever ran
the command. A PIN the hub makes up is printed once; `--pin-stdin` reads one instead (never
a PIN on the command line, where the shell history and `ps` would keep it)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from hub.options import DEFAULT_DATABASE, DatabaseOpt

clerks_app = typer.Typer(
    help="Clerks and agents (代办员) of village windows.", no_args_is_help=True
)
IdArg = Annotated[str, typer.Argument(help="the clerk's id (ck-xxxxxxxx)")]
PinStdin = Annotated[
    bool, typer.Option("--pin-stdin", help="read the 6-digit PIN from standard input")
]


def _fail(exc: Exception) -> None:
    typer.echo(f"error ({getattr(exc, 'code', 'error')}): {exc}", err=True)
    raise typer.Exit(1) from None


def _stdin_pin(use: bool) -> str | None:
    return sys.stdin.readline().strip() if use else None


@clerks_app.command("add")
def add(
    unit: Annotated[str, typer.Argument(help="the village's unit id")],
    name: Annotated[str, typer.Option(help="the name shown on the kiosk and on slips")],
    role: Annotated[str, typer.Option(help="clerk (窗口工作人员) or agent (代办员)")] = "clerk",
    pin_stdin: PinStdin = False,
    villages: Annotated[
        Path | None, typer.Option(help="the village registry (default: the seed)")
    ] = None,
    database: DatabaseOpt = DEFAULT_DATABASE,
) -> None:
    """Add a clerk or agent to a village; its unit gets them with the next rollout."""
    from hub import audit
    from hub.accounts.roles import command_line_actor
    from hub.catalog.villages import load_villages
    from hub.db import open_session
    from hub.errors import HubError, InvalidRequest
    from hub.window.clerks import ClerkCreate, add_clerk
    from protocol.clerks import ClerkRole

    if role not in {r.value for r in ClerkRole}:
        _fail(InvalidRequest(f"role: clerk or agent, not {role!r}"))
    pin = _stdin_pin(pin_stdin)
    actor = command_line_actor()
    request = ClerkCreate(unit=unit, name=name, role=ClerkRole(role), pin=pin)
    with open_session(database) as session:
        try:
            added = add_clerk(
                session, request=request, actor=actor, registry=load_villages(villages)
            )
        except HubError as exc:
            _fail(exc)
        audit.record(
            session, actor=actor, action="clerk.add", target=f"clerk/{added.id}",
            detail={"unit": unit, "role": role,
                    "pin": "chosen" if added.pin is None else "made up by the hub"},
        )  # fmt: skip
        session.commit()
    typer.echo(added.model_dump_json(exclude_none=True))


@clerks_app.command("list")
def list_(
    unit: Annotated[str | None, typer.Option(help="only this village's unit")] = None,
    database: DatabaseOpt = DEFAULT_DATABASE,
) -> None:
    from hub.db import open_session
    from hub.window.clerks import list_clerks

    with open_session(database) as session:
        for clerk in list_clerks(session, unit=unit):
            typer.echo(clerk.model_dump_json())


@clerks_app.command("disable")
def disable(clerk_id: IdArg, database: DatabaseOpt = DEFAULT_DATABASE) -> None:
    """Take a clerk off the roster; units stop accepting their PIN with the next rollout."""
    from hub import audit
    from hub.accounts.roles import command_line_actor
    from hub.db import open_session
    from hub.errors import HubError
    from hub.window.clerks import disable_clerk

    actor = command_line_actor()
    with open_session(database) as session:
        try:
            done = disable_clerk(session, clerk_id=clerk_id, actor=actor)
        except HubError as exc:
            _fail(exc)
        audit.record(
            session, actor=actor, action="clerk.disable", target=f"clerk/{clerk_id}",
            detail={"unit": done.unit},
        )  # fmt: skip
        session.commit()
    typer.echo(json.dumps({"id": clerk_id, "active": False}))


@clerks_app.command("reset-pin")
def reset(
    clerk_id: IdArg, pin_stdin: PinStdin = False, database: DatabaseOpt = DEFAULT_DATABASE
) -> None:
    """Give a clerk a new PIN (made up and printed once, or read from standard input)."""
    from hub import audit
    from hub.accounts.roles import command_line_actor
    from hub.db import open_session
    from hub.errors import HubError
    from hub.window.clerks import reset_pin

    pin = _stdin_pin(pin_stdin)
    with open_session(database) as session:
        try:
            made_up = reset_pin(session, clerk_id=clerk_id, pin=pin)
        except HubError as exc:
            _fail(exc)
        audit.record(
            session, actor=command_line_actor(), action="clerk.reset_pin",
            target=f"clerk/{clerk_id}",
        )  # fmt: skip
        session.commit()
    typer.echo(json.dumps({"id": clerk_id, **({"pin": made_up} if made_up else {})}))

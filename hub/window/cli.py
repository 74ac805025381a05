"""`bianmin hub unit-token | blacklist ... | registry add`: window data, run on the hub's machine
against its database. Every change is written to the audit log with the change."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from hub.options import DEFAULT_DATABASE, DatabaseOpt

blacklist_app = typer.Typer(help="The integrity blacklist (失信名单).", no_args_is_help=True)
registry_app = typer.Typer(help="The county data registry (信息一库).", no_args_is_help=True)
RefArg = Annotated[str, typer.Argument(help="the applicant's HMAC reference (32 hex digits)")]


def _fail(exc: Exception) -> None:
    typer.echo(f"error ({getattr(exc, 'code', 'error')}): {exc}", err=True)
    raise typer.Exit(1) from None


def unit_token(
    unit: Annotated[str, typer.Argument(help="the unit id")],
    database: DatabaseOpt = DEFAULT_DATABASE,
) -> None:
    """Issue (or rotate) a unit's API token and print it once; give it to the unit as
    BIANMIN_HUB_TOKEN. The hub keeps only its hash. A revoked unit is refused."""
    from hub import audit
    from hub.accounts.roles import command_line_actor
    from hub.db import open_session
    from hub.errors import HubError
    from hub.window.tokens import issue_unit_token

    with open_session(database) as session:
        try:
            token = issue_unit_token(session, unit=unit)
        except (HubError, ValueError) as exc:
            _fail(exc)
        audit.record(
            session, actor=command_line_actor(), action="unit.token", target=f"unit/{unit}"
        )
        session.commit()
    typer.echo(json.dumps({"unit": unit, "token": token}))


def unit_token_import(
    file: Annotated[Path, typer.Argument(help="hub-unit-tokens.json from `provision apply`")],
    database: DatabaseOpt = DEFAULT_DATABASE,
) -> None:
    """Take the units' API token hashes from provisioning (STATE_DIR/hub-unit-tokens.json)
    and drop the tokens of revoked units; the file holds hashes only."""
    from hub import audit
    from hub.accounts.roles import command_line_actor
    from hub.db import open_session
    from hub.errors import HubError
    from hub.window.tokens import import_unit_token_hashes

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        hashes, revoked = dict(data["units"]), list(data["revoked"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        _fail(ValueError(f"{file}: not a hub-unit-tokens.json from provisioning ({exc})"))
    with open_session(database) as session:
        try:
            stored, deleted = import_unit_token_hashes(session, hashes=hashes, revoked=revoked)
        except (HubError, ValueError) as exc:
            _fail(exc)
        audit.record(
            session, actor=command_line_actor(), action="unit.token.import",
            target="units", detail={"units": stored, "revoked": deleted},
        )  # fmt: skip
        session.commit()
    typer.echo(json.dumps({"units": stored, "revoked": deleted}))


@blacklist_app.command("add")
def blacklist_add(
    ref: RefArg,
    reason: Annotated[str, typer.Option(help="why, e.g. 提供虚假材料（案号）")],
    database: DatabaseOpt = DEFAULT_DATABASE,
) -> None:
    """List an applicant; the running hub delivers the list to units by itself."""
    from hub import audit
    from hub.accounts.roles import command_line_actor
    from hub.db import open_session
    from hub.errors import HubError
    from hub.window.blacklist import BlacklistEntryCreate, add_to_blacklist

    actor = command_line_actor()
    with open_session(database) as session:
        try:
            add_to_blacklist(
                session, entry=BlacklistEntryCreate(applicant_ref=ref, reason=reason), actor=actor
            )
        except HubError as exc:
            _fail(exc)
        audit.record(
            session, actor=actor, action="blacklist.add",
            target=f"applicant/{ref}", detail={"reason": reason},
        )  # fmt: skip
        session.commit()
    typer.echo(json.dumps({"applicant_ref": ref, "listed": True}))


@blacklist_app.command("remove")
def blacklist_remove(ref: RefArg, database: DatabaseOpt = DEFAULT_DATABASE) -> None:
    from hub import audit
    from hub.accounts.roles import command_line_actor
    from hub.db import open_session
    from hub.errors import HubError
    from hub.window.blacklist import remove_from_blacklist

    with open_session(database) as session:
        try:
            remove_from_blacklist(session, applicant_ref=ref)
        except HubError as exc:
            _fail(exc)
        audit.record(
            session, actor=command_line_actor(), action="blacklist.remove",
            target=f"applicant/{ref}",
        )  # fmt: skip
        session.commit()
    typer.echo(json.dumps({"applicant_ref": ref, "listed": False}))


@blacklist_app.command("list")
def blacklist_list(database: DatabaseOpt = DEFAULT_DATABASE) -> None:
    from hub.db import open_session
    from hub.window.blacklist import list_blacklist

    with open_session(database) as session:
        for entry in list_blacklist(session):
            typer.echo(entry.model_dump_json())


@registry_app.command("add")
def registry_add(
    ref: RefArg,
    material: Annotated[list[str], typer.Option(help="a material name as the catalog spells it")],
    source: Annotated[str, typer.Option(help="the department holding the data")] = "县公安局",
    database: DatabaseOpt = DEFAULT_DATABASE,
) -> None:
    """Record facts the county database holds (illustrative stand-in for the data exchange)."""
    from hub.db import open_session
    from hub.errors import HubError
    from hub.window.registry import add_registry_records

    with open_session(database) as session:
        try:
            n = add_registry_records(
                session, applicant_ref=ref, materials=material, source=source, as_of=date.today()
            )
        except HubError as exc:
            _fail(exc)
        session.commit()
    typer.echo(json.dumps({"applicant_ref": ref, "materials": n}))

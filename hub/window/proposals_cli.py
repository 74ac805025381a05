"""`bianmin hub blacklist proposals | confirm | reject | delivery`: blacklist proposals from
lapsed 容缺 cases, decided by someone on the hub's machine (audited as cli:<login>)."""

from __future__ import annotations

import json
import uuid
from typing import Annotated

import typer

from hub.options import DEFAULT_DATABASE, DatabaseOpt

IdArg = Annotated[str, typer.Argument(help="the proposal's id")]
NoteOpt = Annotated[str | None, typer.Option(help="why (kept with the decision)")]


def _fail(exc: Exception) -> None:
    typer.echo(f"error ({getattr(exc, 'code', 'error')}): {exc}", err=True)
    raise typer.Exit(1) from None


def proposals(
    state: Annotated[
        str | None, typer.Option(help="proposed, confirmed or rejected (default: all)")
    ] = None,
    database: DatabaseOpt = DEFAULT_DATABASE,
) -> None:
    """List proposals, newest first, one JSON object per line."""
    from hub.db import open_session
    from hub.window.proposals import ProposalState, list_proposals

    try:
        wanted = ProposalState(state) if state is not None else None
    except ValueError:
        raise typer.BadParameter(
            "use proposed, confirmed or rejected", param_hint="--state"
        ) from None
    with open_session(database) as session:
        _, found = list_proposals(session, state=wanted, limit=1000)
    for p in found:
        typer.echo(p.model_dump_json())


def _decide(proposal: str, confirm: bool, note: str | None, database: str) -> None:
    from hub.accounts.roles import command_line_actor
    from hub.db import open_session
    from hub.errors import HubError
    from hub.window.proposals import decide

    try:
        proposal_id = uuid.UUID(proposal)
    except ValueError:
        raise typer.BadParameter("not a proposal id", param_hint="ID") from None
    with open_session(database) as session:
        try:
            done = decide(
                session, proposal_id=proposal_id, confirm=confirm, actor=command_line_actor(),
                note=note,
            )  # fmt: skip
        except HubError as exc:
            _fail(exc)
    typer.echo(json.dumps({"proposal": proposal, "state": done.state}))


def confirm(
    proposal: IdArg, note: NoteOpt = None, database: DatabaseOpt = DEFAULT_DATABASE
) -> None:
    """List the proposed applicant on the blacklist; the running hub delivers it to units."""
    _decide(proposal, True, note, database)


def reject(proposal: IdArg, note: NoteOpt = None, database: DatabaseOpt = DEFAULT_DATABASE) -> None:
    """Reject the proposal (the applicant is not listed)."""
    _decide(proposal, False, note, database)


def delivery(database: DatabaseOpt = DEFAULT_DATABASE) -> None:
    """Blacklist changes not yet delivered to units, and the last blacklist rollout."""
    from hub.db import open_session
    from hub.window.blacklist_sync import delivery_state

    with open_session(database) as session:
        typer.echo(delivery_state(session).model_dump_json())

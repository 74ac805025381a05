"""`bianmin hub resident erase REF --reason TEXT`: erase one resident through the hub's API (a
county-wide admin's token) and print the erasure receipt. Exit status 1 when the hub refuses."""

from __future__ import annotations

from typing import Annotated

import typer

from hub.rollouts.cli import DEFAULT_HUB, HubOpt, TokenOpt, _answer, _emit

resident_app = typer.Typer(help="one resident's data (erasure)", no_args_is_help=True)


@resident_app.command("erase")
def erase(
    ref: Annotated[str, typer.Argument(help="the resident's ID reference (32 hex digits)")],
    reason: Annotated[str, typer.Option(help="why (the resident's request and its date, ...)")],
    hub: HubOpt = DEFAULT_HUB,
    token: TokenOpt = None,
) -> None:
    """Erase the resident on the hub and on the units that served them (docs/security.md):
    case records keep their counts without the reference, registry records and follow-up
    notes go, and each unit is sent a signed erase_resident command. Prints the receipt."""
    body = {"confirm": ref, "reason": reason}
    _emit(_answer(hub, token, "POST", f"/api/residents/{ref}/erase", body).json())

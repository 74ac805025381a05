"""`bianmin hub command UNIT KIND [--arg NAME=VALUE ...] [--wait SECONDS]`: issue an operator
command through the hub's API (an operator token), print it, and optionally wait for the unit's
answer. Exit status 1 when the hub refuses it, or the unit answers that it failed."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from hub.rollouts.cli import DEFAULT_HUB, HubOpt, TokenOpt, _answer, _emit
from protocol.command import KINDS

FINAL = ("ok", "failed", "expired")
# what this command may send: the others have their own routes (hub.commands.api.OWN_ROUTES)
OPERATOR_KINDS = [name for name, spec in KINDS.items() if spec.operator_may_issue]


def _value(text: str) -> Any:
    return int(text) if text.lstrip("-").isdigit() else text


def command(
    unit: Annotated[str, typer.Argument(help="the unit id")],
    kind: Annotated[str, typer.Argument(help=f"one of: {', '.join(OPERATOR_KINDS)}")],
    arg: Annotated[
        list[str] | None, typer.Option(help="NAME=VALUE (repeat), e.g. log_lines=20")
    ] = None,
    wait: Annotated[
        float, typer.Option(help="seconds to wait for the unit's answer (0: do not wait)")
    ] = 0.0,
    ttl: Annotated[int, typer.Option(help="seconds the hub keeps sending it")] = 86400,
    hub: HubOpt = DEFAULT_HUB,
    token: TokenOpt = None,
) -> None:
    """Send UNIT a signed command (reconnect, reconcile, diagnostics, reboot, test_slip) on
    its `cmd` topic; the hub resends it until the unit answers or it expires. Credentials are
    rotated with `bianmin provision rotate UNIT --live`, which holds the new password."""
    if kind == "rotate_credentials":
        typer.echo(
            "error (usage): the new password comes from provisioning: "
            "bianmin provision rotate UNIT --live",
            err=True,
        )
        raise typer.Exit(2)
    args: dict[str, Any] = {}
    for item in arg or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--arg")
        args[name] = _value(value)
    body = {"name": kind, "args": args, "ttl_s": ttl}
    found = _answer(hub, token, "POST", f"/api/units/{unit}/commands", body).json()
    deadline = time.monotonic() + wait
    while wait and found["state"] not in FINAL and time.monotonic() < deadline:
        time.sleep(0.5)
        found = _answer(hub, token, "GET", f"/api/commands/{found['id']}").json()
    _emit(found)
    if found["state"] in ("failed", "expired"):
        raise typer.Exit(1)

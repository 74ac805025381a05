"""One module per command kind, each with NAME and ``handle``; a new kind is a module here,
its line below, and its entry in protocol.command.KINDS."""

from __future__ import annotations

from edge.commands.base import Handler
from edge.commands.kinds import (
    diagnostics,
    erase_resident,
    reboot,
    reconcile,
    reconnect,
    rekey_references,
    rotate_credentials,
    test_slip,
)

HANDLERS: dict[str, Handler] = {
    m.NAME: m.handle
    for m in (
        reconnect,
        reconcile,
        rotate_credentials,
        diagnostics,
        reboot,
        test_slip,
        erase_resident,
        rekey_references,
    )
}

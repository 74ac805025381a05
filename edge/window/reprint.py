"""Slips that did not reach the paper, and slips printed again (a mixin of ``Window``).

A print that failed (printer switched off, unplugged, out of paper mid-slip) is never silently
lost: it is a ``print_failed`` event about the case in the event log, to the hub like any
transition (the hub keeps it on the case's timeline), and the kiosk offers 重试打印. The
printer is opened afresh for every job (edge.devices.printer.driver) and asked every 2 s
whether it is back; once it answers ready, printing goes on by itself (the kiosk says
打印机已恢复). The clerk can reprint (补打) any slip of the open case
once printed, or of the case just closed."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from edge.devices.errors import DeviceError
from edge.devices.printer.driver import ReceiptPrinter
from edge.window.base import WindowBase
from edge.window.parts import WindowParts
from edge.workflow import documents
from edge.workflow import errors as e
from edge.workflow.machine import case_matter
from edge.workflow.model import Case
from protocol.case import PRINT_FAILED_STATE, CaseState
from protocol.messages import CaseTransition

log = logging.getLogger("bianmin.edge.window")
S = CaseState
AFTER_PRINTING = frozenset({S.PRINTED, S.RATED})


async def record_failure(parts: WindowParts, case: Case, kind: str, error: str) -> None:
    """The failed slip on the case's record: kind, why, who was at the window."""
    body = CaseTransition(
        case_id=case.case_id, state=PRINT_FAILED_STATE, matter_code=case.matter_code,
        data={"slip": kind, "error": error[:200], "clerk": case.clerk},
    )  # fmt: skip
    try:
        await parts.store.event_log.append(body, parts.clock())
    except Exception:  # the outbox full: the kiosk still says so, the log keeps it
        log.exception("could not record the failed %s of case %s", kind, case.case_ref)


async def printer_back(
    printer: ReceiptPrinter, stop: threading.Event, every_s: float = 2.0, limit_s: float = 600.0
) -> bool:
    """Wait until the printer answers as ready again (switched back on, plugged in, paper
    loaded), asking it afresh every ``every_s``; False if stopped or past ``limit_s`` (the
    kiosk's 重试打印 stays offered)."""
    waited = 0.0
    while waited < limit_s and not stop.is_set():
        await asyncio.sleep(every_s)
        waited += every_s
        now = await asyncio.to_thread(printer.status)
        if now.present and now.ok and now.paper != "out":
            return True
    return False


class ReprintActions(WindowBase):
    def reprintable(self) -> tuple[Case, tuple[str, ...]] | None:
        """The case whose slips may be printed again, and which (never the ID photo)."""
        case = self.case if self.case is not None else self.last_closed
        if case is None or (self.case is not None and case.state not in AFTER_PRINTING):
            return None
        kinds = tuple(k for k in case.slips if k != documents.PHOTO)
        return (case, kinds) if kinds else None

    async def _do_reprint(self, args: dict[str, Any]) -> None:
        found = self.reprintable()
        kind = str(args.get("kind", ""))
        if found is None or kind not in found[1]:
            raise e.WrongState("没有可补打的单据")
        case = found[0]
        matter = case_matter(case, self.matters())
        calendar = self.p.config()
        assert calendar is not None
        doc = documents.document(
            kind, case, self.p.info, self.p.clock(), calendar.work_calendar, matter
        )
        name = documents.SLIP_NAMES[kind]
        try:
            await asyncio.to_thread(self.p.devices.printer.print, doc)
        except DeviceError as exc:
            await record_failure(self.p, case, kind, str(exc))
            raise e.DeviceProblem(f"{name}补打失败：{exc}") from None
        self.message = {"kind": "info", "text": f"已补打{name}"}

"""The window's side of notices: the list the kiosk shows (Chinese), and handing a notice over
to the applicant: printed on the window's printer, then recorded as a case event
(`notice_delivered`, with the notice's id and step, and the clerk when known) in the event
log, which the hub's case timeline shows.

The handover mark is written in the same SQLite transaction as that event (the event log's
unit state), so a notice is handed over once whatever happens between the printer and the
commit; printing it again later prints a copy and records nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from edge.devices.errors import DeviceError
from edge.devices.printer.driver import ReceiptPrinter
from edge.eventlog import EventLog
from edge.notices.inbox import NoticeInbox, StoredNotice
from edge.notices.slips import notice_document
from edge.workflow.documents import WindowInfo
from edge.workflow.errors import WorkflowError
from protocol.calendar import CHINA
from protocol.case import NOTICE_DELIVERED_STATE
from protocol.labels import DEVICE_LABELS
from protocol.messages import CaseTransition
from protocol.notice import NoticeStep

log = logging.getLogger("bianmin.edge.notices")
DELIVERED_KEY = "notice.delivered."  # + notice id: the unit-state row of a handover
SHOWN = 50  # notices the kiosk lists


class NoticeError(WorkflowError):
    code = "notice_error"


class NoticeDesk:
    def __init__(
        self,
        inbox: NoticeInbox,
        event_log: EventLog,
        *,
        printer: Callable[[], ReceiptPrinter | None],
        info: WindowInfo,
        busy: Callable[[], bool] = lambda: False,
        clerk: Callable[[], str | None] = lambda: None,
        clerk_name: Callable[[], str | None] = lambda: None,
        guard: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.inbox = inbox
        self.event_log = event_log
        self.printer = printer
        self.info = info
        self.busy = busy  # a case is open at the window: its slips own the printer
        self.clerk = clerk  # the roster id of the clerk signed in at the kiosk, if any
        self.clerk_name = clerk_name  # their name: 经办人 on the printed notice
        self.guard = guard  # raises when the kiosk may not act (nobody signed in)
        self.clock = clock
        self._lock = asyncio.Lock()
        self.printing: str | None = None

    def delivered(self, notice_id: str) -> dict[str, Any] | None:
        raw = self.event_log.get_state(DELIVERED_KEY + notice_id)
        return json.loads(raw) if raw else None

    def view(self) -> dict[str, Any]:
        """The kiosk's notice list, newest first, with what is still to hand over."""
        items = [self._item(s) for s in self.inbox.recent(SHOWN)]
        return {
            "notices": items,
            "waiting": sum(1 for i in items if not i["delivered"]),
            "printing": self.printing,
        }

    def _item(self, stored: StoredNotice) -> dict[str, Any]:
        n = stored.notice
        done = self.delivered(str(n.id))
        return {
            "id": str(n.id), "label": n.label, "step": n.step.value, "case_ref": n.case_ref,
            "matter": n.matter_name or n.matter_code, "office": n.office, "text": n.text,
            "asked": list(n.asked), "applicant": n.id_masked,
            "issued_at": _local(n.issued_at), "received_at": _local(stored.received_at),
            "delivered": done is not None, "delivered_at": done.get("at") if done else None,
            "printable": n.step in (NoticeStep.COMPLETED, NoticeStep.CORRECTION,
                                    NoticeStep.REJECTED),
        }  # fmt: skip

    async def deliver(self, notice_id: str) -> bool:
        """Print the notice for the applicant and record its handover; True when this was the
        handover, False when it was handed over before (a copy was printed)."""
        self.guard()
        async with self._lock:
            stored = self.inbox.get(notice_id)
            if stored is None:
                raise NoticeError("没有这份通知")
            if self.busy():
                raise NoticeError("请先结束当前办件，再打印通知")
            printer = self.printer()
            if printer is None:
                raise NoticeError(f"{DEVICE_LABELS['printer']}未就绪")
            clerk = self.clerk()
            doc = notice_document(stored.notice, self.info, clerk=self.clerk_name())
            self.printing = notice_id
            try:
                await asyncio.to_thread(printer.print, doc)
            except DeviceError as exc:
                raise NoticeError(f"{stored.notice.label}打印失败：{exc}") from None
            finally:
                self.printing = None
            if self.delivered(notice_id) is not None:
                return False
            await self._record(stored, clerk)
            return True

    async def _record(self, stored: StoredNotice, clerk: str | None) -> None:
        n, now = stored.notice, self.clock()
        data: dict[str, str] = {"notice": str(n.id), "step": n.step.value}
        if clerk:
            data["clerk"] = clerk
        mark = json.dumps({"at": now.isoformat(), **data}, ensure_ascii=False)
        await self.event_log.append(
            CaseTransition(case_id=n.case_id, state=NOTICE_DELIVERED_STATE, data=data),
            now,
            state={DELIVERED_KEY + str(n.id): mark},
        )
        log.info("%s for case %s handed over", n.label, n.case_ref)


def _local(at: datetime) -> str:
    return at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")

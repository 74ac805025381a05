"""Handing a notice to the applicant at the window: the notice prints (rendered to ESC/POS and
decoded again as the virtual printer would), its handover is a `notice_delivered` case event
committed once with the handover mark, a second print is a copy, and a busy window or a
broken printer records nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field

import pytest

from edge.devices.errors import PrinterOffline
from edge.devices.printer.document import Document
from edge.devices.printer.driver import EscposPrinter
from edge.devices.printer.slips import Window as SlipWindow
from edge.eventlog import SqliteEventLog
from edge.notices.desk import NoticeDesk, NoticeError
from edge.notices.inbox import NoticeInbox
from edge.workflow.documents import WindowInfo
from firmware_config import builtin_profiles
from firmware_config.schema import PrinterSpec
from protocol.messages import DeviceStatus
from protocol.notice import CaseNotice
from simulators.printer import decode_job
from tests.edge.notices.signed import CASE_REF, UNIT, signed

SPEC = builtin_profiles()["pi4-cm3-80mm"].printer


@dataclass
class EncodingPrinter:
    """Renders each job to ESC/POS bytes as the real driver does, and keeps them."""

    jobs: list[bytes] = field(default_factory=list)
    fail: bool = False
    spec: PrinterSpec = SPEC

    def status(self) -> DeviceStatus:
        return DeviceStatus(present=True, ok=True, paper="ok")

    def print(self, doc: Document, *, check_paper: bool = True) -> int:
        if self.fail:
            raise PrinterOffline("打印机离线")
        data = EscposPrinter(SPEC).encode(doc)
        self.jobs.append(data)
        return len(data)


@dataclass
class Setup:
    desk: NoticeDesk
    log: SqliteEventLog
    inbox: NoticeInbox
    printer: EncodingPrinter
    busy: list[bool]


@pytest.fixture
def setup(tmp_path):
    log = SqliteEventLog(tmp_path / "outbox.sqlite3", UNIT, durable=False)
    inbox = NoticeInbox(tmp_path / "notices.sqlite3", durable=False)
    printer, busy = EncodingPrinter(), [False]
    desk = NoticeDesk(
        inbox, log, printer=lambda: printer, info=WindowInfo(SlipWindow("清水镇东街村便民服务站")),
        busy=lambda: busy[0], clerk=lambda: "ck-0000abcd",
    )  # fmt: skip
    yield Setup(desk, log, inbox, printer, busy)
    inbox.close()
    asyncio.run(log.close())


def store(inbox: NoticeInbox, **overrides) -> CaseNotice:
    payload = signed(**overrides)
    notice = CaseNotice.model_validate_json(payload)
    inbox.add(notice, payload)
    return notice


def events(log: SqliteEventLog) -> list[dict]:
    return [json.loads(e.payload) for e in log.after(0, 100)]


def test_the_kiosk_lists_notices_in_chinese_with_what_waits_for_handover(setup):
    store(setup.inbox, step="correction", asked=["户口簿原件"], text=None)
    store(setup.inbox)
    view = setup.desk.view()
    assert view["waiting"] == 2
    assert {n["label"] for n in view["notices"]} == {"办结通知", "补正通知"}
    correction = next(n for n in view["notices"] if n["step"] == "correction")
    assert correction["asked"] == ["户口簿原件"]
    assert correction["case_ref"] == CASE_REF
    assert correction["applicant"] == "3411**********1234"


def test_handing_over_a_completion_notice_prints_it_and_records_the_event_once(setup):
    notice = store(setup.inbox)
    assert asyncio.run(setup.desk.deliver(str(notice.id))) is True
    (slip,) = decode_job(setup.printer.jobs[0], dots=SPEC.dots_per_line)
    assert slip.errors == []
    assert "办结通知" in slip.text
    assert CASE_REF in slip.text
    assert "准予确认，奖励扶助金按年发放" in slip.text
    assert "341122199" not in slip.text  # masked only
    assert any(CASE_REF in q for q in slip.qr_native)
    (event,) = events(setup.log)
    assert event["body"]["state"] == "notice_delivered"
    assert event["body"]["case_id"] == str(notice.case_id)
    assert event["body"]["data"] == {
        "notice": str(notice.id), "step": "completed", "clerk": "ck-0000abcd",
    }  # fmt: skip
    assert asyncio.run(setup.desk.deliver(str(notice.id))) is False  # a copy
    assert len(setup.printer.jobs) == 2
    assert len(events(setup.log)) == 1
    assert setup.desk.view()["waiting"] == 0


def test_a_correction_notice_prints_what_is_asked(setup):
    notice = store(
        setup.inbox, step="correction", asked=["户口簿原件", "独生子女证"], text="请一周内补交"
    )
    asyncio.run(setup.desk.deliver(str(notice.id)))
    (slip,) = decode_job(setup.printer.jobs[0], dots=SPEC.dots_per_line)
    assert "补正通知" in slip.text
    assert "1. 户口簿原件" in slip.text
    assert "2. 独生子女证" in slip.text
    assert slip.errors == []


def test_a_busy_window_or_a_broken_printer_hands_nothing_over(setup):
    notice = store(setup.inbox)
    setup.busy[0] = True
    with pytest.raises(NoticeError, match="结束当前办件"):
        asyncio.run(setup.desk.deliver(str(notice.id)))
    setup.busy[0] = False
    setup.printer.fail = True
    with pytest.raises(NoticeError, match="打印失败"):
        asyncio.run(setup.desk.deliver(str(notice.id)))
    with pytest.raises(NoticeError, match="没有这份通知"):
        asyncio.run(setup.desk.deliver(str(uuid.uuid4())))
    assert events(setup.log) == []
    assert setup.desk.view()["waiting"] == 1

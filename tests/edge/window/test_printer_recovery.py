"""A printer that drops the connection mid-slip (switched off, unplugged): the slip is not
taken for printed, the failure is on the case's record (a ``print_failed`` event), printing
reaches the printer by itself once it answers again (a new connection), and the clerk can
reprint (补打) the slip of the case just closed. A printer out of paper is waited for until
paper is loaded. The virtual ESC/POS printer over TCP, decoded."""

from __future__ import annotations

import asyncio
import json

import pytest

from edge.devices.printer.driver import EscposPrinter
from edge.workflow.errors import WrongState
from firmware_config import builtin_profiles
from firmware_config.schema import NetworkTransport
from simulators.printer import VirtualPrinter
from tests.edge.window.desk import build_desk
from tests.edge.window.test_window import TO_CLOSE, TO_SIGN, _closed, _sign, _to_signature
from tests.support.config import PROFILE


def _printer(vp: VirtualPrinter) -> EscposPrinter:
    spec = builtin_profiles()[PROFILE].printer
    net = NetworkTransport(kind="network", host=vp.host, port=vp.port)
    return EscposPrinter(spec.model_copy(update={"transport": net}))


def test_a_slip_cut_off_mid_print_is_recorded_retried_and_reprinted(tmp_path):
    with VirtualPrinter(out_dir=tmp_path / "slips") as vp:
        desk = build_desk(tmp_path, ratings=(5,), printer=_printer(vp))
        w = desk.window
        vp.drop_after = 300  # the printer goes away 300 bytes into the receipt

        async def scenario():
            await w.start()
            try:
                await _to_signature(desk)
                await _sign(desk)
                await w.act("route", {})
                await desk.until(lambda: w.draft.print_error, "the failed print", timeout=20)
                assert w.case is not None
                assert w.case.state.value == "approved"  # not taken for printed
                assert "受理回执打印失败" in (w.draft.print_error or "")
                # the printer answers again: printing goes on by itself, on a new connection
                await desk.until(lambda: _closed(w), "printing and the rating", timeout=20)
                await w.act("reprint", {"kind": "receipt"})
                with pytest.raises(WrongState):
                    await w.act("reprint", {"kind": "completion"})  # never printed
            finally:
                await w.close()

        asyncio.run(scenario())
        slips = vp.wait_for_slips(2)
    assert vp.dropped == 1
    assert [s.value for s in desk.store.states] == TO_SIGN + TO_CLOSE
    assert w.last_closed is not None
    ref = w.last_closed.case_ref
    printed = [s for s in slips if ref in "\n".join(s.lines)]
    assert len(printed) == 2  # the retry and the reprint; the cut-off job left no slip
    assert all("受理回执" in "".join(s.lines) for s in printed)
    events = [json.loads(e.payload) for e in desk.store.event_log.after(0, 100)]
    failed = [e["body"] for e in events if e["body"].get("state") == "print_failed"]
    assert len(failed) == 1
    assert failed[0]["data"]["slip"] == "receipt"
    assert failed[0]["data"]["clerk"] is not None


def test_a_printer_out_of_paper_is_waited_for_and_printing_goes_on_once_loaded(tmp_path):
    with VirtualPrinter() as vp:
        desk = build_desk(tmp_path, ratings=(5,), printer=_printer(vp))
        w = desk.window
        vp.paper = "out"

        async def scenario():
            await w.start()
            try:
                await _to_signature(desk)
                await _sign(desk)
                await w.act("route", {})
                await desk.until(lambda: w.draft.print_error, "the paper-out", timeout=20)
                assert "缺纸" in (w.draft.print_error or "") or "paper" in (
                    w.draft.print_error or ""
                )
                await asyncio.sleep(2.5)  # still out: it waits, nothing printed
                assert w.case is not None
                assert w.case.state.value == "approved"
                vp.paper = "ok"
                await desk.until(lambda: _closed(w), "printing once paper is loaded", timeout=20)
            finally:
                await w.close()

        asyncio.run(scenario())
    assert len(vp.slips) == 1
    assert [s.value for s in desk.store.states] == TO_SIGN + TO_CLOSE

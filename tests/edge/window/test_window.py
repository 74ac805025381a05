"""A window in this process, driven as the kiosk drives it: the clerk's actions move the case,
the device steps (pad, printer, rating keys) move it on by themselves, every transition is
committed once, and a window built again on the same store resumes the open case."""

from __future__ import annotations

import asyncio
import hashlib

from edge.window.window import Window
from protocol import identity
from tests.edge.window.desk import Desk, build_desk

NUMBER = "33012219610101004" + identity.check_digit("33012219610101004")
RECEIVED = ["申请表", "银行账户信息", "户口簿复印件"]  # the registry is not configured: no waiver
TO_SIGN = ["opened", "consented", "identified", "matter_selected", "materials_checked", "accepted"]
TO_CLOSE = ["signed", "approved", "printed", "rated", "closed"]


async def _to_signature(desk: Desk) -> None:
    w = desk.window
    await desk.sign_in()
    await w.act("open", {})
    await w.act("consent", {"face": False})
    await w.act("id_number", {"number": NUMBER})
    await w.act("card_checked", {"method": "id_card"})
    await w.act("select_matter", {"code": "TST-001"})
    await desk.until(lambda: w.draft.registry_state == "unreachable", "the registry answer")
    await w.act(
        "materials", {"received": RECEIVED, "shown": ["身份证复印件"], "decision": "accept"}
    )


async def _sign(desk: Desk) -> None:
    w = desk.window
    await desk.until(lambda: w.steps.signing is not None and w.steps.signing.strokes, "ink")
    await w.act("sign_confirm", {})


def _states(desk: Desk) -> list[str]:
    return [s.value for s in desk.store.states]


def _closed(w: Window) -> bool:
    return w.case is None and w.last_closed is not None


def test_a_case_goes_from_open_to_closed_through_the_actions_and_the_device_steps(tmp_path):
    desk = build_desk(tmp_path, ratings=(5,))
    w = desk.window

    async def scenario():
        await w.start()
        try:
            await _to_signature(desk)
            await _sign(desk)
            await w.act("route", {})
            await desk.until(lambda: _closed(w), "printing and the rating")
        finally:
            await w.close()

    asyncio.run(scenario())
    assert _states(desk) == TO_SIGN + TO_CLOSE
    assert w.last_closed is not None
    assert (w.last_closed.rating_label, w.last_closed.slips) == ("非常满意", ("receipt",))
    assert len(desk.printer.printed) == 1
    archived = w.p.signatures.get(str(w.last_closed.case_id), "signature")
    assert archived is not None
    assert hashlib.sha256(archived).hexdigest() == w.last_closed.signature_sha256


def test_a_bad_rating_waits_for_its_reason_and_the_reason_closes_the_case(tmp_path):
    desk = build_desk(tmp_path, ratings=(2,))
    w = desk.window

    async def scenario():
        await w.start()
        try:
            await _to_signature(desk)
            await _sign(desk)
            await w.act("route", {})
            await desk.until(lambda: w.draft.rating is not None, "the rating")
            assert w.case is not None
            assert w.case.state.value == "printed"
            await w.act("rate_reason", {"reason": "等候时间太长"})
        finally:
            await w.close()

    asyncio.run(scenario())
    assert _states(desk) == TO_SIGN + TO_CLOSE
    assert w.last_closed is not None
    assert w.last_closed.rating_label == "不满意"


def test_a_window_built_again_on_the_same_store_resumes_at_the_signature(tmp_path):
    """GIVEN a case accepted and waiting for its signature, WHEN the window is built again on
    the same outbox, THEN the pad is grabbed again and the same case finishes."""
    first = build_desk(tmp_path)

    async def before():
        await first.window.start()
        try:
            await _to_signature(first)
        finally:
            await first.window.close()
            await first.store.event_log.close()

    asyncio.run(before())
    again = build_desk(tmp_path)
    w = again.window

    async def after():
        await w.start()
        try:
            await again.sign_in()
            assert w.case is not None
            assert w.case.state.value == "accepted"
            case_id = w.case.case_id
            await _sign(again)
            await w.act("route", {})
            await again.until(lambda: _closed(w), "printing and the rating")
            assert w.last_closed is not None
            assert w.last_closed.case_id == case_id
        finally:
            await w.close()

    asyncio.run(after())
    assert _states(first) == TO_SIGN
    assert _states(again) == TO_CLOSE


def test_the_window_is_busy_while_a_case_is_open_and_idle_once_it_is_cancelled(tmp_path):
    """What a software update waits for (edge.update): no case open at the window."""
    desk = build_desk(tmp_path)
    w = desk.window
    seen = []

    async def scenario():
        await w.start()
        try:
            await desk.sign_in()
            seen.append(w.busy())
            await w.act("open", {})
            seen.append(w.busy())
            await w.act("cancel", {"reason": "申请人临时有事"})
            seen.append(w.busy())
        finally:
            await w.close()

    asyncio.run(scenario())
    idle, busy, after = seen
    assert idle is None
    assert busy is not None
    assert busy.startswith("case_open: case ")
    assert busy.endswith("is open at the window (opened)")
    assert after is None

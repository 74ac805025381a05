"""A configuration applied while the window runs takes effect without building the window
again: the open case finishes on the matter it selected, deadlines count on the new calendar
from the next step, and new devices take over between two device steps, never in the middle of
a signature."""

from __future__ import annotations

import asyncio

import pytest

from edge.devices.bundle import Devices
from edge.window.switch import Hardware
from edge.workflow import errors as e
from edge.workflow.model import Case
from firmware_config import builtin_profiles
from simulators.devices.pad import SimulatedSignaturePad
from simulators.devices.rating import SimulatedRatingDevice
from tests.edge.window.desk import Desk, KeptPrinter, build_desk, plain_matter, running
from tests.edge.window.test_window import NUMBER, RECEIVED, _closed, _sign, _to_signature
from tests.edge.workflow.test_configuration_changes import county_calendar

PROFILE = builtin_profiles()["pi5-usbcam-58mm"]


def new_devices(rating: int) -> Devices:
    return Devices(
        pad=SimulatedSignaturePad(PROFILE.pad, transport="memory", speed=0, start_delay_s=0),
        rating=SimulatedRatingDevice(
            PROFILE.rating, choices=(rating,), delay_s=0.05, transport="memory"
        ),
        printer=KeptPrinter(PROFILE.printer),
    )


async def _finish(desk: Desk) -> None:
    await _sign(desk)
    await desk.window.act("route", {})
    await desk.until(lambda: _closed(desk.window), "printing and the rating")


def test_an_open_case_finishes_on_its_matter_after_a_new_catalog_drops_it(tmp_path):
    desk = build_desk(tmp_path)
    w = desk.window
    other = plain_matter().model_copy(update={"code": "TST-002", "name": "另一事项"})
    seen: dict[str, Case | None] = {}

    async def scenario():
        await w.start()
        try:
            await desk.sign_in()
            await w.act("open", {})
            await w.act("consent", {"face": False})
            await w.act("id_number", {"number": NUMBER})
            await w.act("card_checked", {"method": "id_card"})
            await w.act("select_matter", {"code": "TST-001"})
            await desk.until(lambda: w.draft.registry_state == "unreachable", "the registry")
            # the county's new configuration: TST-001 gone, a calendar of its own
            desk.apply(running(other, version=2, calendar=county_calendar()))
            await w.act(
                "materials", {"received": RECEIVED, "shown": ["身份证复印件"], "decision": "accept"}
            )
            await _finish(desk)
            seen["done"] = w.last_closed
            await w.act("open", {})
            await w.act("consent", {"face": False})
            await w.act("id_number", {"number": NUMBER})
            await w.act("card_checked", {"method": "id_card"})
            with pytest.raises(e.UnknownMatter):
                await w.act("select_matter", {"code": "TST-001"})
            assert [m["code"] for m in _offered(w)] == ["TST-002"]
        finally:
            await w.close()

    asyncio.run(scenario())
    done = seen["done"]
    assert done is not None
    assert (done.matter_code, done.matter_name) == ("TST-001", plain_matter().name)
    assert done.deadlines is not None
    assert done.deadlines.calendar_version == 7  # counted on the new calendar
    assert done.slips == ("receipt",)


def _offered(w) -> list[dict]:
    from edge.kiosk.view import build

    return [m for area in build(w, {})["matters"] for m in area["matters"]]


def test_new_devices_wait_for_the_signature_in_progress_then_print_and_rate(tmp_path):
    desk = build_desk(tmp_path, ratings=(5,))
    w = desk.window
    new = new_devices(rating=4)
    seen: dict[str, object] = {}

    async def scenario():
        await w.start()
        try:
            await _to_signature(desk)
            await desk.until(lambda: w.steps.signing is not None, "the pad to be grabbed")
            await w.replace_hardware(Hardware(new, None, None))
            seen["pending"] = w._switch.pending
            seen["during"] = w.p.devices.printer
            await _finish(desk)
            await desk.until(lambda: desk.rating.device is None, "the old keypad to close")
        finally:
            await w.close()

    asyncio.run(scenario())
    assert seen == {"pending": True, "during": desk.printer}  # the signature kept its pad
    assert w.p.devices is new
    assert desk.printer.printed == []  # the slips went to the new printer
    (slip,) = new.printer.printed  # type: ignore[attr-defined]
    assert "受理回执" in slip.title
    assert w.last_closed is not None
    assert w.last_closed.rating == 4  # rated on the new keypad


def test_new_devices_are_used_at_once_when_no_step_runs(tmp_path):
    desk = build_desk(tmp_path)
    w = desk.window
    new = new_devices(rating=3)

    async def scenario():
        await w.start()
        try:
            await w.replace_hardware(Hardware(new, None, None))
            assert w.p.devices is new
            assert not w._switch.pending
            await desk.until(lambda: desk.rating.device is None, "the old keypad to close")
            await _to_signature(desk)
            await _finish(desk)
        finally:
            await w.close()

    asyncio.run(scenario())
    assert w.last_closed is not None
    assert w.last_closed.rating == 3
    assert len(new.printer.printed) == 1  # type: ignore[attr-defined]
    assert desk.printer.printed == []

"""The rating device: key decoding (pure), and the contract run against the evdev reader fed by
a recording (memory and pipe) and against the simulator."""

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal

import pytest

from edge.devices.errors import DeviceConfigError
from edge.devices.events import EV_KEY, EV_SYN, SYN_REPORT, Event, key_code
from edge.devices.rating import (
    EvdevRatingDevice,
    KeyDecoder,
    RatingDevice,
    RatingResult,
)
from firmware_config.schema import RatingSpec
from protocol.labels import RATING_LABELS
from simulators.devices.rating import SimulatedRatingDevice, key_press
from simulators.devices.sources import MemoryEventDevice, PipeEventDevice
from tests.edge.devices.conftest import recording

SPEC = RatingSpec(
    device="/dev/input/by-id/usb-test-event-kbd",
    keymap={"KEY_1": 5, "KEY_2": 4, "KEY_3": 3, "KEY_4": 2, "KEY_5": 1},
    debounce_ms=300,
    timeout_s=60,
)
KEYPAD = recording("rating-keypad.evtest")  # KEY_4 held with autorepeat, then KEY_2 bouncing


def decoder() -> KeyDecoder:
    return KeyDecoder({key_code(k): v for k, v in SPEC.keymap.items()}, SPEC.debounce_ms)


def test_only_key_down_counts_not_autorepeat_release_or_bounce():
    d = decoder()
    presses = [p for ev in KEYPAD.events if (p := d.feed(ev))]
    assert [p.level for p in presses] == [2, 4]  # KEY_4 once despite repeats; KEY_2 once


def test_a_second_press_within_the_debounce_window_is_ignored():
    d = decoder()
    k1 = key_code("KEY_1")
    assert d.feed(Event.at(10.0, EV_KEY, k1, 1)) is not None
    assert d.feed(Event.at(10.2, EV_KEY, key_code("KEY_3"), 1)) is None  # 200 ms < 300 ms
    press = d.feed(Event.at(10.5, EV_KEY, key_code("KEY_3"), 1))
    assert press is not None
    assert press.level == 3


def test_keys_outside_the_keymap_and_non_key_events_are_ignored():
    d = decoder()
    assert d.feed(Event.at(1.0, EV_KEY, key_code("KEY_A"), 1)) is None
    assert d.feed(Event.at(1.0, EV_SYN, SYN_REPORT, 0)) is None


def test_results_carry_the_chinese_label_and_the_reason_prompt_for_the_two_lowest():
    assert [RatingResult.of(lv).label for lv in (5, 4, 3, 2, 1)] == [
        "非常满意",
        "满意",
        "基本满意",
        "不满意",
        "非常不满意",
    ]
    assert [lv for lv in RATING_LABELS if RatingResult.of(lv).needs_reason] == [2, 1]
    nr = RatingResult.not_rated()
    assert (nr.level, nr.label, nr.rated, nr.needs_reason) == (None, "未评价", False, False)


def test_a_keymap_naming_an_unknown_key_fails_at_start():
    bad = SPEC.model_copy(update={"keymap": {**SPEC.keymap, "KEY_NOPE": 1}})
    bad = bad.model_copy(update={"keymap": {k: v for k, v in bad.keymap.items() if k != "KEY_5"}})
    dev = EvdevRatingDevice(bad, opener=lambda: MemoryEventDevice("k"))
    with pytest.raises(DeviceConfigError, match="KEY_NOPE"):
        asyncio.run(dev.start())


# -- contract -------------------------------------------------------------------------------


@dataclass
class Case:
    device: RatingDevice
    press: Callable[[int], Coroutine[Any, Any, None]]
    raw: Callable[[], PipeEventDevice | MemoryEventDevice]


def _reader(transport: str) -> Case:
    opened: list[PipeEventDevice | MemoryEventDevice] = []

    def opener():
        dev = PipeEventDevice("keypad") if transport == "pipe" else MemoryEventDevice("keypad")
        opened.append(dev)
        return dev

    async def press(level: int) -> None:
        key = next(k for k, v in SPEC.keymap.items() if v == level)
        await asyncio.sleep(0.05)
        await opened[-1].feed(key_press(key, 0.0, hold_s=0.6), speed=0)

    return Case(EvdevRatingDevice(SPEC, opener=opener), press, lambda: opened[-1])


def _simulator(transport: Literal["pipe", "memory"]) -> Case:
    sim = SimulatedRatingDevice(SPEC, choices=[None], transport=transport, bounce=True)

    async def press(level: int) -> None:
        await asyncio.sleep(0.05)
        await sim.press(level)

    return Case(sim, press, lambda: sim.device)  # type: ignore[arg-type,return-value]


CASES = {
    "evdev-reader(memory)": lambda: _reader("memory"),
    "evdev-reader(pipe)": lambda: _reader("pipe"),
    "simulator(pipe)": lambda: _simulator("pipe"),
    "simulator(memory)": lambda: _simulator("memory"),
}


@pytest.fixture(params=list(CASES))
def case(request: pytest.FixtureRequest) -> Case:
    return CASES[request.param]()


async def _collect_with_press(case: Case, level: int) -> RatingResult:
    presser = asyncio.create_task(case.press(level))
    result = await case.device.collect(timeout_s=5)
    await presser
    return result


@pytest.mark.parametrize("level", [5, 3, 1])
def test_a_press_gives_its_level(case: Case, level: int):
    async def scenario():
        try:
            return await _collect_with_press(case, level)
        finally:
            await case.device.close()

    result = asyncio.run(scenario())
    assert result.level == level
    assert result.label == RATING_LABELS[level]
    assert result.needs_reason == (level <= 2)


def test_no_press_before_the_timeout_records_not_rated(case: Case):
    async def scenario():
        try:
            return await case.device.collect(timeout_s=0.3)
        finally:
            await case.device.close()

    assert asyncio.run(scenario()) == RatingResult.not_rated()


def test_the_keypad_is_grabbed_while_running_and_released_on_close(case: Case):
    async def scenario():
        await case.device.start()
        dev = case.raw()
        assert dev.grabbed
        assert case.device.status().ok
        await case.device.close()
        assert not dev.grabbed
        assert dev.closed

    asyncio.run(scenario())


def test_presses_made_before_the_prompt_do_not_count(case: Case):
    """GIVEN a key pressed while no rating was asked WHEN the prompt then times out
    THEN the case is not rated: an earlier press never rates a later case."""

    async def scenario():
        try:
            await case.device.start()
            await case.press(5)
            await asyncio.sleep(0.3)  # the reader has long consumed it
            return await case.device.collect(timeout_s=0.3)
        finally:
            await case.device.close()

    assert asyncio.run(scenario()).rated is False


def test_one_rating_per_collect_for_consecutive_cases(case: Case):
    async def scenario():
        try:
            first = await _collect_with_press(case, 4)
            await asyncio.sleep(0.35)  # the next applicant, after the debounce window
            second = await _collect_with_press(case, 2)
            return first.level, second.level
        finally:
            await case.device.close()

    assert asyncio.run(scenario()) == (4, 2)


def test_the_simulator_follows_its_plan_including_not_rating():
    async def scenario():
        sim = SimulatedRatingDevice(SPEC, choices=[5, None, 1], delay_s=0.05)
        try:
            return [(await sim.collect(timeout_s=0.6)).level for _ in range(3)]
        finally:
            await sim.close()

    assert asyncio.run(scenario()) == [5, None, 1]


def test_an_unplugged_keypad_shows_as_absent_and_comes_back():
    async def scenario():
        opened: list[MemoryEventDevice] = []

        def opener():
            opened.append(MemoryEventDevice("keypad"))
            return opened[-1]

        import edge.devices.rating as rating_mod

        rating_mod.RECONNECT_S, saved = 0.05, rating_mod.RECONNECT_S
        dev = EvdevRatingDevice(SPEC, opener=opener)
        try:
            await dev.start()
            opened[0].end()
            await asyncio.sleep(0.01)
            assert dev.status().present is False
            await asyncio.sleep(0.2)
            assert len(opened) == 2
            assert dev.status().ok
            assert opened[1].grabbed
        finally:
            rating_mod.RECONNECT_S = saved
            await dev.close()

    asyncio.run(scenario())


def test_the_real_driver_reports_a_missing_keypad_as_not_present():
    status = EvdevRatingDevice(SPEC).status()
    assert not status.present
    assert "评价器" in (status.detail or "")

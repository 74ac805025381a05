"""The signature pad contract, run against the evdev reader fed by a recording (in memory and
through evdev's own C reader on a pipe) and against the simulator on several pad models."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from edge.devices.errors import (
    DeviceBusy,
    DeviceConfigError,
    DeviceDisconnected,
    DeviceNotFound,
    DeviceTimeout,
)
from edge.devices.events import EvdevDevice
from edge.devices.pad import EvdevSignaturePad, SignaturePad
from firmware_config.schema import PadSpec
from simulators.devices.handwriting import PRESSURE_ONLY, VEIKK_A50
from simulators.devices.pad import SimulatedSignaturePad
from simulators.devices.sources import MemoryEventDevice, PipeEventDevice
from tests.edge.devices.conftest import recording

SPEC = PadSpec(device="/dev/input/by-id/usb-test-event-mouse", pressure_threshold=8)
WEN = recording("pad-xp-pen-wen.evtest")


class Replay:
    """Opens a device that replays the recording, as a real pad would deliver it."""

    def __init__(self, transport: str) -> None:
        self.transport = transport
        self.device: PipeEventDevice | MemoryEventDevice | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def __call__(self) -> PipeEventDevice | MemoryEventDevice:
        if self.transport == "pipe":
            dev: PipeEventDevice | MemoryEventDevice = PipeEventDevice(WEN.name, WEN.axes)
        else:
            dev = MemoryEventDevice(WEN.name, WEN.axes)
        self.device = dev
        self.play()
        return dev

    def play(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # a status() probe outside a session: nothing to replay
        assert self.device is not None
        task = loop.create_task(self.device.feed(WEN.events, rebase=False))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


@dataclass
class Case:
    pad: SignaturePad
    device: Callable[[], PipeEventDevice | MemoryEventDevice | None]
    again: Callable[[], Awaitable[None]]
    strokes: int


def _recorded(transport: str) -> Case:
    replay = Replay(transport)
    pad = EvdevSignaturePad(SPEC, opener=replay)

    async def again() -> None:
        replay.play()

    return Case(pad, lambda: replay.device, again, 4)


def _simulated(transport, model=None) -> Case:
    kw = {"model": model} if model else {}
    pad = SimulatedSignaturePad(SPEC, transport=transport, speed=0, start_delay_s=0, **kw)
    return Case(pad, lambda: pad.device, pad.write, 12)  # type: ignore[arg-type,return-value]


CASES = {
    "evdev-reader+recording(memory)": lambda: _recorded("memory"),
    "evdev-reader+recording(pipe)": lambda: _recorded("pipe"),
    "simulator(pipe)": lambda: _simulated("pipe"),
    "simulator(memory)": lambda: _simulated("memory"),
    "simulator(pipe, no BTN_TOOL_PEN)": lambda: _simulated("pipe", VEIKK_A50),
    "simulator(memory, no BTN_TOUCH)": lambda: _simulated("memory", PRESSURE_ONLY),
}


@pytest.fixture(params=list(CASES))
def case(request: pytest.FixtureRequest) -> Case:
    return CASES[request.param]()


def test_signing_grabs_the_pad_and_releases_it_afterwards(case: Case):
    async def scenario():
        async with case.pad.signing() as session:
            dev = case.device()
            assert dev is not None
            assert dev.grabbed
            await session.wait_for_signature(quiet_s=0.2, timeout_s=10)
        assert not dev.grabbed
        assert dev.closed

    asyncio.run(scenario())


def test_a_whole_signature_arrives_with_all_its_strokes(case: Case):
    async def scenario():
        async with case.pad.signing() as session:
            return await session.wait_for_signature(quiet_s=0.2, timeout_s=10)

    sig = asyncio.run(scenario())
    assert len(sig.strokes) == case.strokes
    assert sig.point_count > 20 * case.strokes
    assert len(sig.sha256) == 64


def test_clear_lets_the_applicant_sign_again(case: Case):
    async def scenario():
        async with case.pad.signing() as session:
            first = await session.wait_for_signature(quiet_s=0.2, timeout_s=10)
            session.clear()
            assert session.signature().is_empty
            await case.again()
            second = await session.wait_for_signature(quiet_s=0.2, timeout_s=10)
        return first, second

    first, second = asyncio.run(scenario())
    assert len(second.strokes) == len(first.strokes) == case.strokes


def test_live_ink_of_the_stroke_in_progress_is_visible(case: Case):
    seen = []

    async def scenario():
        async with case.pad.signing() as session:
            while len(session.strokes) < case.strokes:
                seen.append(len(session.current_stroke))
                await asyncio.sleep(0)

    asyncio.run(scenario())
    assert max(seen) > 1


def test_the_kiosk_is_told_when_a_stroke_is_finished(case: Case):
    changes = []

    async def scenario():
        async with case.pad.signing(on_change=lambda: changes.append(1)) as session:
            await session.wait_for_signature(quiet_s=0.2, timeout_s=10)

    asyncio.run(scenario())
    assert len(changes) == case.strokes


def test_an_idle_pad_reports_present_and_ok(case: Case):
    status = case.pad.status()
    assert status.present
    assert status.ok
    assert status.paper is None


def test_the_c_reader_on_a_pipe_delivers_exactly_the_recorded_events():
    """GIVEN one recording WHEN it is read through evdev's C reader on a pipe and from memory
    THEN both give the same signature, bit for bit (the hash covers timing too)."""

    async def sign(transport: str) -> str:
        pad = EvdevSignaturePad(SPEC, opener=Replay(transport))
        async with pad.signing() as session:
            return (await session.wait_for_signature(quiet_s=0.2, timeout_s=10)).sha256

    assert asyncio.run(sign("pipe")) == asyncio.run(sign("memory"))


@pytest.mark.parametrize("transport", ["pipe", "memory"])
def test_an_unplugged_pad_ends_the_session_with_device_disconnected(transport):
    async def scenario():
        devices: list[PipeEventDevice | MemoryEventDevice] = []

        def opener():
            dev: PipeEventDevice | MemoryEventDevice
            if transport == "pipe":
                dev = PipeEventDevice(WEN.name, WEN.axes)
            else:
                dev = MemoryEventDevice(WEN.name, WEN.axes)
            devices.append(dev)
            return dev

        pad = EvdevSignaturePad(SPEC, opener=opener)
        async with pad.signing() as session:
            await devices[0].feed(WEN.events[:200])
            devices[0].end()
            with pytest.raises(DeviceDisconnected):
                await session.wait_for_signature(quiet_s=0.1, timeout_s=5)
            assert pad.status().present is False
        assert devices[0].closed

    asyncio.run(scenario())


def test_a_device_without_pen_axes_is_refused_and_closed():
    dev = MemoryEventDevice("Wacom STU-430")

    async def scenario():
        async with EvdevSignaturePad(SPEC, opener=lambda: dev).signing():
            pass

    with pytest.raises(DeviceConfigError, match="STU"):
        asyncio.run(scenario())
    assert dev.closed
    assert not dev.grabbed


def test_a_pad_grabbed_by_another_process_is_reported_busy():
    dev = MemoryEventDevice(WEN.name, WEN.axes)
    dev.grab()  # someone else holds it

    async def scenario():
        async with EvdevSignaturePad(SPEC, opener=lambda: dev).signing():
            pass

    with pytest.raises(DeviceBusy):
        asyncio.run(scenario())


def test_waiting_without_ink_times_out():
    async def scenario():
        pad = EvdevSignaturePad(SPEC, opener=lambda: MemoryEventDevice(WEN.name, WEN.axes))
        async with pad.signing() as session:
            await session.wait_for_signature(timeout_s=0.2)

    with pytest.raises(DeviceTimeout):
        asyncio.run(scenario())


def test_the_real_driver_reports_a_missing_pad_node_as_not_present():
    pad = EvdevSignaturePad(PadSpec(device="/dev/input/by-id/no-such-pad-event-mouse"))
    status = pad.status()
    assert not status.present
    assert not status.ok
    with pytest.raises(DeviceNotFound):
        EvdevDevice("/dev/input/by-id/no-such-pad-event-mouse")


def test_the_real_driver_refuses_a_node_that_is_not_an_input_device():
    with pytest.raises(DeviceConfigError, match="not an evdev input device"):
        EvdevDevice("/dev/null")

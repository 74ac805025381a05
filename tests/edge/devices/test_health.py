"""Device health in the heartbeat: every device reports, none can take the heartbeat down."""

import asyncio
import time

from edge.devices.health import device_health
from protocol.messages import DeviceStatus, Health, OutboxHealth, utc_now
from simulators.devices import simulated_devices
from simulators.printer import VirtualPrinter


def test_simulated_unit_reports_all_three_devices_healthy(profiles):
    profile = profiles["pi4-cm3-80mm"]
    with VirtualPrinter(dots=576) as vp:
        devices = simulated_devices(profile, vp)

        async def scenario():
            await devices.start()
            try:
                return await devices.health()
            finally:
                await devices.close()

        health = asyncio.run(scenario())
    assert set(health) == {"pad", "rating", "printer"}
    assert all(s.present and s.ok for s in health.values())
    assert health["printer"].paper == "ok"
    # and it fits the heartbeat message as is
    Health(
        ts=utc_now(),
        uptime_s=1.0,
        outbox=OutboxHealth(depth=0, bytes=0, limit_bytes=1),
        devices=health,
    )


def test_paper_out_shows_in_the_printer_status(profiles):
    with VirtualPrinter(dots=384) as vp:
        devices = simulated_devices(profiles["pi5-usbcam-58mm"], vp)
        vp.paper = "out"
        health = asyncio.run(device_health({"printer": devices.printer}))
    assert health["printer"] == DeviceStatus(
        present=True, ok=False, detail="打印机离线：缺纸停止", paper="out"
    )


class Broken:
    def status(self) -> DeviceStatus:
        raise RuntimeError("driver bug")


class Hanging:
    def status(self) -> DeviceStatus:
        time.sleep(0.5)
        return DeviceStatus(present=True, ok=True)


def test_a_failing_or_hanging_status_is_reported_not_raised():
    health = asyncio.run(device_health({"pad": Broken(), "rating": Hanging()}, timeout_s=0.1))
    assert health["pad"].present is False
    assert "driver bug" in (health["pad"].detail or "")
    assert health["rating"].ok is False
    assert "超时" in (health["rating"].detail or "")


class _Quoting:
    """A device whose status quotes what the hardware and the OS say, control characters and
    all (a USB device may name itself anything)."""

    def __init__(self, raise_it: bool) -> None:
        self.raise_it = raise_it

    def status(self) -> DeviceStatus:
        if self.raise_it:
            raise OSError("line one\nline two\x00 of an OS error")
        return DeviceStatus.report(present=True, ok=True, detail="Evil\x1b[2J Pad\u202e\x00")


def test_device_text_with_control_characters_still_makes_a_valid_heartbeat():
    health = asyncio.run(device_health({"pad": _Quoting(False), "rating": _Quoting(True)}))
    assert health["pad"].detail == "Evil\\u001b[2J Pad\\u202e\\u0000"
    assert health["rating"].ok is False
    assert "\n" not in (health["rating"].detail or "")
    Health(
        ts=utc_now(),
        uptime_s=1.0,
        outbox=OutboxHealth(depth=0, bytes=0, limit_bytes=1),
        devices=health,
    )

"""Simulated pad and rating device, behind the same interfaces as the real ones."""

from __future__ import annotations

from collections.abc import Iterable

from edge.devices.bundle import Devices
from edge.devices.printer.driver import EscposPrinter
from firmware_config.schema import HardwareProfile, NetworkTransport
from simulators.devices.pad import SimulatedSignaturePad
from simulators.devices.rating import SimulatedRatingDevice
from simulators.printer import VirtualPrinter


def simulated_devices(
    profile: HardwareProfile,
    printer: VirtualPrinter,
    *,
    signer: str = "王小明",
    ratings: Iterable[int | None] = (5,),
    speed: float = 1.0,
    rating_delay_s: float = 1.5,
) -> Devices:
    """Devices for a unit with no hardware: the profile's pad and rating settings on
    simulators, and its printer settings (paper, QR mode) on a started VirtualPrinter."""
    spec = profile.printer.model_copy(
        update={"transport": NetworkTransport(kind="network", host=printer.host, port=printer.port)}
    )
    return Devices(
        pad=SimulatedSignaturePad(profile.pad, signer=signer, speed=speed),
        rating=SimulatedRatingDevice(profile.rating, choices=ratings, delay_s=rating_delay_s),
        printer=EscposPrinter(spec),
    )

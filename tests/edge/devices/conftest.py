"""Fixtures for device tests: recordings, the virtual printer, profiles, and QR reading."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.devices.printer.escpos_import import ensure_escpos
from firmware_config.loader import builtin_profiles
from firmware_config.schema import HardwareProfile, NetworkTransport, PrinterSpec
from simulators.devices.recording import Recording, parse_evtest
from simulators.printer import VirtualPrinter

DATA = Path(__file__).parent / "data"
ensure_escpos()  # before any test module imports escpos itself


def recording(name: str) -> Recording:
    return parse_evtest((DATA / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def profiles() -> dict[str, HardwareProfile]:
    return builtin_profiles()


@pytest.fixture(params=["pi4-cm3-80mm", "pi5-usbcam-58mm"])
def profile(
    request: pytest.FixtureRequest, profiles: dict[str, HardwareProfile]
) -> HardwareProfile:
    """Each printer test runs on 80 mm (native QR, cutter) and 58 mm (raster QR, no cutter)."""
    return profiles[request.param]


@pytest.fixture
def virtual_printer(profile: HardwareProfile, tmp_path: Path) -> Iterator[VirtualPrinter]:
    with VirtualPrinter(dots=profile.printer.dots_per_line, out_dir=tmp_path / "slips") as vp:
        yield vp


def on_virtual_printer(spec: PrinterSpec, vp: VirtualPrinter) -> PrinterSpec:
    transport = NetworkTransport(kind="network", host=vp.host, port=vp.port)
    return spec.model_copy(update={"transport": transport})


def read_qr(image) -> list[str]:
    import zxingcpp

    return [r.text for r in zxingcpp.read_barcodes(image.convert("L"))]

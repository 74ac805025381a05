"""`bianmin edge print-test`: print a sample slip, for operators checking a printer."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from firmware_config.loader import ProfileError, builtin_profiles, load_profile
from firmware_config.schema import FileTransport, HardwareProfile, NetworkTransport, Transport

DEFAULT_PROFILE = "pi4-cm3-80mm"


class SlipChoice(StrEnum):
    receipt = "receipt"
    deficiency = "deficiency"
    completion = "completion"
    notice = "notice"
    photo = "photo"


def _profile(name: str) -> HardwareProfile:
    if name.endswith(".toml") or Path(name).is_file():
        return load_profile(name)
    profiles = builtin_profiles()
    if name not in profiles:
        raise typer.BadParameter(
            f"unknown profile {name!r}; built in: {', '.join(sorted(profiles))} "
            "(or give a path to a profile .toml)",
            param_hint="--profile",
        )
    return profiles[name]


def _target(to: str) -> Transport | None:
    if to == "profile":
        return None
    if to.startswith("file:") and len(to) > 5:
        return FileTransport(kind="file", path=to[5:])
    if to.startswith("tcp:"):
        host, _, port = to[4:].rpartition(":")
        if host and port.isdigit() and 0 < int(port) < 65536:
            return NetworkTransport(kind="network", host=host.strip("[]"), port=int(port))
    raise typer.BadParameter(
        f"{to!r}: expected file:PATH, tcp:HOST:PORT or profile", param_hint="--to"
    )


def print_test(
    slip: Annotated[
        SlipChoice, typer.Option(help="which sample slip to print")
    ] = SlipChoice.receipt,
    to: Annotated[
        str,
        typer.Option(help="file:PATH, tcp:HOST:PORT, or profile (the profile's own printer)"),
    ] = "profile",
    profile: Annotated[
        str, typer.Option(help="hardware profile name or .toml path: paper, QR mode, transport")
    ] = DEFAULT_PROFILE,
) -> None:
    """Write the ESC/POS bytes of a sample slip (Chinese text and a QR code) to a printer."""
    from edge.devices.errors import DeviceError
    from edge.devices.printer.driver import EscposPrinter
    from edge.devices.printer.samples import sample_document

    try:
        hw = _profile(profile)
    except ProfileError as exc:
        raise typer.BadParameter(str(exc), param_hint="--profile") from None
    transport = _target(to)
    spec = (
        hw.printer if transport is None else hw.printer.model_copy(update={"transport": transport})
    )
    printer = EscposPrinter(spec)
    doc = sample_document(slip.value)
    try:
        sent = printer.print(doc)
    except DeviceError as exc:
        typer.echo(f"print-test failed [{exc.code}]: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"{doc.title}: {sent} bytes of ESC/POS to {printer.where} "
        f"({hw.name}, {spec.paper_width_mm} mm, QR {'native' if spec.native_qr else 'raster'})"
    )

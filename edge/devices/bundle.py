"""The unit's devices as one object: what `edge run` builds from the hardware profile."""

from __future__ import annotations

from dataclasses import dataclass

from edge.devices.health import HasStatus, device_health
from edge.devices.idcard.reader import IdCardReader, SerialIdCardReader
from edge.devices.pad import EvdevSignaturePad, SignaturePad
from edge.devices.printer.driver import EscposPrinter, ReceiptPrinter
from edge.devices.rating import EvdevRatingDevice, RatingDevice
from firmware_config.schema import HardwareProfile
from protocol.messages import DeviceStatus


@dataclass
class Devices:
    pad: SignaturePad
    rating: RatingDevice
    printer: ReceiptPrinter
    idcard: IdCardReader | None = None  # the profile names no reader: the clerk checks by eye

    def by_name(self) -> dict[str, HasStatus]:
        """Keyed as in the heartbeat's `Health.devices`."""
        named: dict[str, HasStatus] = {
            "pad": self.pad, "rating": self.rating, "printer": self.printer,
        }  # fmt: skip
        if self.idcard is not None:
            named["idcard"] = self.idcard
        return named

    async def health(self) -> dict[str, DeviceStatus]:
        return await device_health(self.by_name())

    async def start(self) -> None:
        """Grab the rating keypad for good (the pad is grabbed only while signing)."""
        await self.rating.start()

    async def close(self) -> None:
        await self.rating.close()


def real_devices(profile: HardwareProfile) -> Devices:
    return Devices(
        pad=EvdevSignaturePad(profile.pad),
        rating=EvdevRatingDevice(profile.rating),
        printer=EscposPrinter(profile.printer),
        idcard=SerialIdCardReader(profile.idcard) if profile.idcard else None,
    )

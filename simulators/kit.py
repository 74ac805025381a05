"""A unit's kit made of simulated parts (edge.kit.UnitKit): a simulated pad and rating keys, an
ID-card reader on a pty holding the demo card (where the profile has a reader), a
virtual printer per paper width its configurations ask for (or one at tcp:HOST:PORT), the file
camera, keys of its own when provisioning gave none (references from its hub, blinded, like a
real unit's), and for a unit without a window, simulated cases and healthy device statuses."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from edge.camera.file import FileCamera
from edge.devices.bundle import Devices
from edge.devices.idcard.reader import SerialIdCardReader
from edge.devices.printer.driver import EscposPrinter
from edge.eventlog import EventLog
from edge.health import DeviceProbe
from edge.kit import EventSource, WindowKeys
from edge.settings import EdgeSettings
from edge.window.camera import CameraDevice
from firmware_config import builtin_profiles
from firmware_config.schema import HardwareProfile, NetworkTransport
from protocol.messages import DeviceStatus
from simulators.cases import CaseSimulator, generate_events
from simulators.devices.idcard import SimulatedIdCardReader, SimulatedWltDecoder, demo_card
from simulators.devices.pad import SimulatedSignaturePad
from simulators.devices.rating import SimulatedRatingDevice
from simulators.printer import VirtualPrinter

log = logging.getLogger("bianmin.simulators.kit")
DEFAULT_PROFILE = "pi4-cm3-80mm"
TEMPLATE_KEY_FILE = "simulated-template.key"
ID_KEY_FILE = "simulated-id.key"


def _own_key(path: Path) -> bytes:
    """A random 32-byte key of this unit's own, made once and kept 0600 at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = bytes.fromhex(path.read_text().strip())
        if len(key) != 32:
            raise ValueError(f"{path}: not a 32-byte key") from None
        return key
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex())
    return key


def own_template_key(data_dir: Path) -> bytes:
    """A template key of this unit's own when provisioning gave none: random, made once and
    kept 0600 in the data directory. Never derived from anything public (a unit id is):
    face templates and signatures are encrypted under it."""
    return _own_key(data_dir / TEMPLATE_KEY_FILE)


def own_id_key(data_dir: Path) -> bytes:
    """An ID-reference key of this unit's own, for a simulated unit with neither a provisioned
    key nor a hub to ask: random, kept 0600 in the data directory. Never a public constant
    (with one, anyone could turn a reference back into the ID number by trying numbers)."""
    return _own_key(data_dir / ID_KEY_FILE)


# mostly satisfied, now and then not (which the kiosk then asks the reason for)
HUMAN_RATINGS = (5, 4, 5, 5, 3, 5, 4, 2)


def healthy_devices() -> dict[str, DeviceStatus]:
    # A fleet unit has no window and so no device bundle: it reports what a healthy window
    # reports, marked as such. A unit with a window reports its (simulated) bundle.
    status = DeviceStatus.report(present=True, ok=True, detail="simulated (no window)")
    return {
        "camera": status,
        "pad": status,
        "rating": status,
        "printer": DeviceStatus.report(present=True, ok=True, detail="simulated", paper="ok"),
    }


class SimulatedKit:
    def __init__(self, settings: EdgeSettings, *, matters: Sequence[str] = ()) -> None:
        self.settings = settings
        self.matters = matters
        # the printer slips go to now; a new configuration's paper width gets its own
        self.virtual_printer: VirtualPrinter | None = None
        self._printers: dict[tuple[int, str], VirtualPrinter] = {}
        # one ID-card reader on a pty for every configuration that has one, a card on it
        self.card_reader: SimulatedIdCardReader | None = None

    def initial_profile(self) -> HardwareProfile | None:
        return builtin_profiles()[DEFAULT_PROFILE]

    def devices(self, profile: HardwareProfile) -> Devices:
        target = self.settings.printer
        if target is None:
            spec = profile.printer
            vp = self._printers.get((spec.dots_per_line, spec.charset))
            if vp is None:
                # DATA_DIR/slips; a paper width configured later, DATA_DIR/slips-58mm
                name = f"slips-{spec.paper_width_mm}mm" if self._printers else "slips"
                vp = VirtualPrinter(
                    dots=spec.dots_per_line,
                    charset=spec.charset,
                    out_dir=self.settings.data_dir / name,
                ).start()
                self._printers[(spec.dots_per_line, spec.charset)] = vp
            self.virtual_printer = vp
            host, port = vp.host, vp.port
        else:
            host, _, raw = target.removeprefix("tcp:").rpartition(":")
            port = int(raw)
        spec = profile.printer.model_copy(
            update={"transport": NetworkTransport(kind="network", host=host, port=port)}
        )
        return Devices(
            pad=SimulatedSignaturePad(profile.pad, signer="王小明", speed=2.0),
            rating=self._rating(profile),
            printer=EscposPrinter(spec),
            idcard=self._idcard(profile),
        )

    def _idcard(self, profile: HardwareProfile) -> SerialIdCardReader | None:
        """The profile's reader simulated on a pty, the real driver talking to it; the
        simulator's decoder stands in for the vendor's (neither exists here)."""
        if profile.idcard is None:
            return None
        if self.card_reader is None:
            self.card_reader = SimulatedIdCardReader().start()
            self.card_reader.place(demo_card(self.settings.camera))
        spec = profile.idcard.model_copy(update={"device": self.card_reader.device})
        return SerialIdCardReader(spec, decoder=SimulatedWltDecoder())

    def _rating(self, profile: HardwareProfile) -> SimulatedRatingDevice:
        if self.settings.human_rating:  # the demo's window: a resident taking their time
            return SimulatedRatingDevice(profile.rating, choices=HUMAN_RATINGS, delay_s=(4, 9))
        return SimulatedRatingDevice(profile.rating, choices=(5,), delay_s=1.0)

    def camera(self, profile: HardwareProfile) -> CameraDevice | None:
        source = self.settings.camera or "synthetic"
        name = source.rsplit("/", 1)[-1]
        return CameraDevice(FileCamera(source, 640, 480), f"模拟摄像头（{name}）")

    def keys(self) -> WindowKeys:
        """Provisioned keys where given. Without an ID-reference key the window asks its hub
        for references, blinded, like a real unit's (edge.window.references); a unit with no
        hub to ask (no hub URL or no unit token) makes a key of its own, which no hub shares:
        its references match nothing anywhere, so the log says so loudly."""
        s = self.settings
        id_key = s.window_id_key()
        if id_key is None and not (s.hub_url and s.hub_token):
            path = s.data_dir / ID_KEY_FILE
            log.warning(
                "%s: SIMULATED UNIT WITHOUT AN ID-REFERENCE KEY OR A HUB TO ASK: its references "
                "are made with a random key of its own (%s), which match no hub's; give it "
                "--hub-url and BIANMIN_HUB_TOKEN, or a provisioned key",
                s.unit_id, path,
            )  # fmt: skip
            id_key = own_id_key(s.data_dir)
        template_key = s.window_template_key() or own_template_key(s.data_dir)
        return WindowKeys(id_key, template_key[:32])

    def device_probe(self) -> DeviceProbe | None:
        return healthy_devices

    def case_source(self, event_log: EventLog) -> EventSource | None:
        s = self.settings
        if s.event_rate <= 0:
            return None
        # the unit's own clerk id and case references, as a real window's cases have
        simulator = CaseSimulator(self.matters, unit=s.unit_id)

        async def source(stop: asyncio.Event) -> None:
            await generate_events(
                event_log,
                s.event_rate,
                simulator=simulator,
                stop=stop,
                until_seq=s.max_events,
            )

        return source

    async def close(self) -> None:
        if self.card_reader is not None:
            self.card_reader.stop()
            self.card_reader = None
        for vp in self._printers.values():
            vp.stop()
        self._printers.clear()
        self.virtual_printer = None

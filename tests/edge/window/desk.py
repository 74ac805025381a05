"""A window in this process, built from simulated parts: the in-memory pad and rating keys, a
printer that keeps what it is given, no camera, no face service, no hub to ask; a roster of a
clerk and an agent (PINs below) in its configuration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from edge.config.applier import RunningConfig
from edge.devices.bundle import Devices
from edge.devices.idcard.reader import IdCardReader
from edge.devices.printer.document import Document
from edge.devices.printer.driver import ReceiptPrinter
from edge.devices.printer.slips import Window as SlipWindow
from edge.eventlog import SqliteEventLog
from edge.face.service import FaceService
from edge.window.camera import CameraDevice
from edge.window.parts import WindowParts
from edge.window.registry import RegistryClient
from edge.window.residents import ResidentFaces
from edge.window.signatures import SignatureArchive
from edge.window.store import CaseStore
from edge.window.window import Window
from edge.workflow.documents import WindowInfo
from edge.workflow.machine import Step
from firmware_config import builtin_profiles
from firmware_config.schema import PrinterSpec
from protocol.case import CaseState
from protocol.catalog import CatalogSlice, Matter
from protocol.clerks import Clerk, ClerkRole, ClerkRoster, hash_pin
from protocol.config import ConfigBody
from protocol.messages import DeviceStatus
from simulators.devices.pad import SimulatedSignaturePad
from simulators.devices.rating import SimulatedRatingDevice
from tests.edge.workflow.factories import matter
from tests.support.config import PROFILE, body, slice_bytes, slice_ref
from tests.support.waiting import eventually

UNIT = "t001"
ID_KEY = b"0123456789abcdef"
SIGNATURE_KEY = bytes(range(32))
CLERK, CLERK_PIN = "ck-0000c1e4", "285714"
AGENT, AGENT_PIN = "ck-0000a9e7", "428571"
# the cheapest scrypt the bounds allow: the roster is hashed once per test process
ROSTER = ClerkRoster(
    clerks=(
        Clerk(id=CLERK, name="王芳", role=ClerkRole.CLERK, pin=hash_pin(CLERK_PIN, n=2**10, r=1)),
        Clerk(id=AGENT, name="李强", role=ClerkRole.AGENT, pin=hash_pin(AGENT_PIN, n=2**10, r=1)),
    ),
    max_pin_attempts=3,
)


def plain_matter() -> Matter:
    """The workflow tests' matter without the photo taken at the window (no camera here)."""
    m = matter()
    return m.model_copy(update={"materials": tuple(x for x in m.materials if "照片" not in x.name)})


@dataclass
class KeptPrinter:
    spec: PrinterSpec
    printed: list[Document] = field(default_factory=list)

    def print(self, doc: Document, *, check_paper: bool = True) -> int:
        self.printed.append(doc)
        return 0

    def status(self) -> DeviceStatus:
        return DeviceStatus(present=True, ok=True, detail="test", paper="ok")


class RecordingStore(CaseStore):
    """The real store; also remembers the states it committed, in order."""

    def __init__(self, event_log: SqliteEventLog) -> None:
        super().__init__(event_log)
        self.states: list[CaseState] = []

    async def commit(self, step: Step, at: datetime) -> None:
        await super().commit(step, at)
        self.states.append(step.case.state)


@dataclass
class Desk:
    window: Window
    store: RecordingStore
    pad: SimulatedSignaturePad
    rating: SimulatedRatingDevice
    printer: KeptPrinter
    configs: list[RunningConfig] = field(default_factory=list)

    def apply(self, config: RunningConfig) -> None:
        """As the unit's applier does: the next read of the running configuration gets it."""
        self.configs.append(config)

    async def until(self, predicate: Callable[[], object], what: str, timeout: float = 10) -> None:
        await eventually(predicate, timeout, what, poll=0.01)

    async def sign_in(self, clerk: str = CLERK) -> None:
        await self.window.act("sign_in", {"clerk": clerk, "pin": PINS[clerk]})


PINS = {CLERK: CLERK_PIN, AGENT: AGENT_PIN}


def running(
    m: Matter, version: int = 1, roster: ClerkRoster | None = ROSTER, **fields: object
) -> RunningConfig:
    doc = body(slice_ref(slice_bytes()), matters=1, clerks=roster)
    return RunningConfig(
        version=version, issued_at=datetime.now(UTC), sig="test",
        body=ConfigBody.model_validate(doc), catalog=CatalogSlice(catalog_version=1, matters=(m,)),
        blacklist=frozenset(), **fields,  # type: ignore[arg-type]
    )  # fmt: skip


def build_desk(
    root: Path,
    *,
    ratings: tuple[int | None, ...] = (5,),
    matter: Matter | None = None,
    roster: ClerkRoster | None = ROSTER,
    clock: Callable[[], datetime] | None = None,
    printer: ReceiptPrinter | None = None,
    idcard: IdCardReader | None = None,
    face: FaceService | None = None,
    camera: CameraDevice | None = None,
) -> Desk:
    """A fresh window on the event log under ``root`` (built again on the same root: a restart)."""
    profile = builtin_profiles()[PROFILE]
    store = RecordingStore(SqliteEventLog(root / "outbox.sqlite3", UNIT, durable=False))
    pad = SimulatedSignaturePad(profile.pad, transport="memory", speed=0, start_delay_s=0)
    rating = SimulatedRatingDevice(
        profile.rating, choices=ratings, delay_s=0.05, transport="memory"
    )
    kept = KeptPrinter(profile.printer)
    configs = [running(matter or plain_matter(), roster=roster)]
    parts = WindowParts(
        unit=UNIT, store=store, config=lambda: configs[-1],
        devices=Devices(pad=pad, rating=rating, printer=printer or kept, idcard=idcard),
        camera=camera, face=face,
        residents=ResidentFaces(root / "residents.sqlite3"), registry=RegistryClient(None, None),
        id_key=ID_KEY, info=WindowInfo(SlipWindow("测试村便民服务站")), data_dir=root,
        signatures=SignatureArchive(root / "signatures.sqlite3", SIGNATURE_KEY),
        clock=clock or (lambda: datetime.now(UTC)),
    )  # fmt: skip
    return Desk(Window(parts), store, pad, rating, kept, configs)

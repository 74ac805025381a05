"""The pieces a window is built from, and the kiosk-side draft of the case in progress."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from edge.config.applier import RunningConfig
from edge.devices.bundle import Devices
from edge.devices.rating import RatingResult
from edge.face.service import FaceService
from edge.window import face_steps
from edge.window.camera import CameraDevice
from edge.window.references import ReferenceClient
from edge.window.registry import RegistryClient
from edge.window.residents import ResidentFaces
from edge.window.signatures import SignatureArchive
from edge.window.store import CaseStore
from edge.workflow.documents import WindowInfo


@dataclass(frozen=True)
class Offer:
    """One candidate of a 1:N search, as the clerk sees it: a masked number, never a face."""

    rank: int  # 1 = the closest
    ref: str  # the applicant's HMAC reference
    id_masked: str
    distance: float
    threshold: float
    margin: float | None  # how much farther the next candidate is; None for the last one

    @property
    def match(self) -> bool:
        return self.distance < self.threshold


@dataclass
class CardDraft:
    """The ID card the reader read, as the kiosk may show it: never the number, name or photo."""

    name_masked: str  # 王**
    valid_until: str  # 2036-05-01, or 长期
    # the chip photo against the live face: "busy", "match", "no_match", "no_photo",
    # "not_compared", "error" (edge.window.card)
    compare: str
    note: str = ""  # why the photo was not compared, or what went wrong, in Chinese
    outcome: face_steps.FaceOutcome | None = None


@dataclass
class Draft:
    """What the kiosk shows between transitions; lost on restart, on purpose (re-entered)."""

    id_ref: str | None = None
    id_masked: str | None = None
    # the hub was away: the number is kept sealed for a later reference (edge.window.pending)
    id_pending: bool = False
    mode: str = "number"  # identify: number -> face | card; or search (1:N) -> pick
    face_prompt: str = ""
    face_busy: bool = False
    face: face_steps.FaceOutcome | None = None
    # the ID-card reader: waiting for a card, what it gave, or why it did not
    card_busy: bool = False
    card: CardDraft | None = None
    card_error: str | None = None
    # 1:N: the candidates offered (None before a search ends), the search's liveness decision
    offers: tuple[Offer, ...] | None = None
    search_liveness: str = ""
    search_error: str | None = None
    enroll: str = ""  # "", "busy", "done", or an error message
    registry: frozenset[str] | None = None
    registry_state: str = ""  # "", "pending", "answered", "unreachable"
    registry_reason: str | None = None  # the hub's reason for a refusal (429), in Chinese
    print_error: str | None = None
    printer_back: bool = False  # printing went on by itself after the printer came back
    printing: str | None = None
    rating: RatingResult | None = None
    rating_waiting: bool = False
    stop: threading.Event = field(default_factory=threading.Event)


@dataclass
class WindowParts:
    unit: str
    store: CaseStore
    config: Callable[[], RunningConfig | None]
    devices: Devices
    camera: CameraDevice | None
    face: FaceService | None
    residents: ResidentFaces
    registry: RegistryClient
    id_key: bytes | None  # None: references come from the hub, blinded (edge.window.references)
    info: WindowInfo
    data_dir: Path
    signatures: SignatureArchive
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    references: ReferenceClient | None = None
    # the hub's X25519 public key offline references are sealed to (the unit's identity);
    # None: without the hub a typed number cannot be used (the clerk is asked to retry)
    seal_key: bytes | None = None

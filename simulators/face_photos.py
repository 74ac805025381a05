"""Real face photos for the demo's simulated camera, the face tests and bench/face_eval.py: the
test images of face_recognition 1.3.0's sdist (5 of one person, 1 of another) and the sample
images of insightface 2.1's sdist (a group photo of six people, an aligned 112x112 face, four
face-mask pictures with no face), fetched with pip (``pip download``, the ordinary registry
client; neither package is installed) into .cache/face-test-photos, checked against pinned
sha256s, never committed."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
from pathlib import Path

PHOTO_SDIST = "face_recognition-1.3.0.tar.gz"
PHOTO_SDIST_SHA256 = "5e5efdd1686aa566af0d3cc1313b131e4b197657a8ffd03669e6d3fad92705ec"
SAME_PERSON = (
    "obama.jpg", "obama2.jpg", "obama3.jpg", "obama_partial_face.jpg", "obama_partial_face2.jpg",
)  # fmt: skip
OTHER_PERSON = "biden.jpg"
GROUP_SDIST = "insightface-2.1.tar.gz"
GROUP_SDIST_SHA256 = "776cbd36b70f5f2ae1a026101cfb80387f0b2280a0dbaf073f8d3ed69f554e01"
GROUP_PHOTO = "t1.jpg"  # six people round a table, faces 90-130 px wide in 1280x886
EXTRA_PHOTOS = (
    GROUP_PHOTO, "Tom_Hanks_54745.png",
    "mask_black.jpg", "mask_blue.jpg", "mask_green.jpg", "mask_white.jpg",
)  # fmt: skip
DEFAULT_CACHE = Path(__file__).resolve().parents[1] / ".cache" / "face-test-photos"


class PhotosUnavailable(RuntimeError):
    """pip could not fetch the sdist, or it does not match its pin."""


def _sdist(cache: Path, requirement: str, filename: str, sha256: str) -> Path:
    sdist = cache / filename
    if not sdist.is_file():
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary",
               ":all:", "-d", str(cache), requirement]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise PhotosUnavailable(f"pip download {requirement}: {done.stderr}")
    if hashlib.sha256(sdist.read_bytes()).hexdigest() != sha256:
        raise PhotosUnavailable(f"{sdist} does not match its pinned sha256")
    return sdist


def _extract(sdist: Path, inside: str, names: tuple[str, ...], images: Path) -> None:
    images.mkdir(parents=True, exist_ok=True)
    with tarfile.open(sdist) as tar:
        for member in tar.getmembers():
            name = Path(member.name).name
            if inside in member.name and member.isfile() and name in names:
                data = tar.extractfile(member)
                assert data is not None
                (images / name).write_bytes(data.read())


def fetch(cache: Path = DEFAULT_CACHE) -> Path:
    """The directory of face_recognition's photos, fetched and extracted on first use."""
    images = cache / "images"
    names = (*SAME_PERSON, OTHER_PERSON, "32bit.png")
    if all((images / n).is_file() for n in names):
        return images
    sdist = _sdist(cache, "face_recognition==1.3.0", PHOTO_SDIST, PHOTO_SDIST_SHA256)
    _extract(sdist, "/tests/test_images/", names, images)
    return images


def fetch_extra(cache: Path = DEFAULT_CACHE) -> Path:
    """The directory of insightface's sample images, fetched and extracted on first use."""
    images = cache / "insightface"
    if all((images / n).is_file() for n in EXTRA_PHOTOS):
        return images
    sdist = _sdist(cache, "insightface==2.1", GROUP_SDIST, GROUP_SDIST_SHA256)
    _extract(sdist, "/insightface/data/images/", EXTRA_PHOTOS, images)
    return images

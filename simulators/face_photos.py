"""Real face photos for the demo's simulated camera and the face tests: the test images of
face_recognition 1.3.0's sdist (5 of one person, 1 of another), fetched with pip (``pip
download``, the ordinary registry client) into .cache/face-test-photos, checked against a
pinned sha256, never committed."""

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
DEFAULT_CACHE = Path(__file__).resolve().parents[1] / ".cache" / "face-test-photos"


class PhotosUnavailable(RuntimeError):
    """pip could not fetch the sdist, or it does not match its pin."""


def fetch(cache: Path = DEFAULT_CACHE) -> Path:
    """The directory of the photos, fetched and extracted on first use."""
    images = cache / "images"
    if all((images / n).is_file() for n in [*SAME_PERSON, OTHER_PERSON]):
        return images
    sdist = cache / PHOTO_SDIST
    if not sdist.is_file():
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary",
               ":all:", "-d", str(cache), "face_recognition==1.3.0"]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise PhotosUnavailable(f"pip download face_recognition==1.3.0: {done.stderr}")
    if hashlib.sha256(sdist.read_bytes()).hexdigest() != PHOTO_SDIST_SHA256:
        raise PhotosUnavailable(f"{sdist} does not match its pinned sha256")
    images.mkdir(parents=True, exist_ok=True)
    with tarfile.open(sdist) as tar:
        for member in tar.getmembers():
            if "/tests/test_images/" in member.name and member.isfile():
                data = tar.extractfile(member)
                assert data is not None
                (images / Path(member.name).name).write_bytes(data.read())
    return images

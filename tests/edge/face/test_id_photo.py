"""ID photos: print size in pixels, head placement, plain background."""

from __future__ import annotations

import math

import numpy as np
import pytest

from edge.face.id_photo import (
    CHIN_BELOW_EYES,
    COLOURS,
    CROWN_ABOVE_EYES,
    CROWN_MARGIN,
    HEAD_RATIO,
    make_id_photo,
    photo_transform,
    size_px,
)
from edge.face.pipeline import FacePipeline
from edge.face.types import Frame


def test_print_sizes_at_300_dpi() -> None:
    assert size_px("1inch") == (295, 413)  # 25 x 35 mm
    assert size_px("2inch") == (413, 579)  # 35 x 49 mm
    assert size_px("1inch", 600) == (591, 827)


@pytest.mark.parametrize(
    ("name", "size"), [("obama.jpg", "1inch"), ("biden.jpg", "2inch"), ("obama2.jpg", "2inch")]
)
def test_head_is_centred_level_and_sized_by_id_photo_proportions(
    pipeline_int8: FacePipeline, photos: dict[str, Frame], name: str, size: str
) -> None:
    frame = photos[name]
    src = pipeline_int8.single_face(frame)
    photo = make_id_photo(frame, src, size, "blue", pipeline_int8.segmenter())  # type: ignore[arg-type]
    w, h = size_px(size)  # type: ignore[arg-type]
    assert photo.image.shape == (h, w, 3)
    assert photo.image.dtype == np.uint8
    # exact geometry: where the source keypoints land in the photo
    m = photo_transform(src, size)  # type: ignore[arg-type]
    kp = src.keypoints @ m[:, :2].T + m[:, 2]
    eyes = kp[:2].mean(0)
    assert abs(kp[0, 1] - kp[1, 1]) < 1e-6
    assert abs(eyes[0] - w / 2) < 1e-6
    head = (CROWN_ABOVE_EYES + CHIN_BELOW_EYES) * float(np.linalg.norm(kp[3] - eyes))
    assert head / h == pytest.approx(HEAD_RATIO)
    crown = eyes[1] - CROWN_ABOVE_EYES * float(np.linalg.norm(kp[3] - eyes))
    assert crown / h == pytest.approx(CROWN_MARGIN)
    # and the detector, run on the finished photo, sees the face there too
    det = pipeline_int8.single_face(photo.image)
    seen = det.keypoints[:2].mean(0)
    dx, dy = det.keypoints[1] - det.keypoints[0]
    assert abs(math.degrees(math.atan2(dy, dx))) < 3.0
    assert np.linalg.norm(seen - eyes) < 0.05 * w


def test_background_is_replaced_with_the_plain_colour(
    pipeline_int8: FacePipeline, photos: dict[str, Frame]
) -> None:
    frame = photos["obama.jpg"]
    photo = make_id_photo(
        frame, pipeline_int8.single_face(frame), "2inch", "blue", pipeline_int8.segmenter()
    )
    assert photo.background_replaced
    corners = photo.image[[5, 5, 200], [5, -6, 5]].astype(int)
    assert np.abs(corners - np.array(COLOURS["blue"])).max() <= 3


def test_without_segmentation_the_photo_says_background_kept(
    pipeline_int8: FacePipeline, photos: dict[str, Frame]
) -> None:
    frame = photos["obama.jpg"]
    photo = make_id_photo(frame, pipeline_int8.single_face(frame), "1inch", "white", None)
    assert not photo.background_replaced
    assert photo.image.shape == (413, 295, 3)

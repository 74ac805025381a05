"""BlazeFace decoding (pure) and detection on real photos."""

from __future__ import annotations

import numpy as np

from edge.face.detector import anchors, decode, letterbox, weighted_nms
from edge.face.pipeline import FacePipeline
from edge.face.types import Frame
from tests.edge.face.conftest import OTHER_PERSON, SAME_PERSON, group_photo


def test_anchors_are_mediapipe_short_range_layout() -> None:
    a = anchors()
    assert a.shape == (896, 2)
    np.testing.assert_allclose(a[0], [0.5 / 16, 0.5 / 16])
    np.testing.assert_allclose(a[1], a[0])  # two anchors per cell on the 16x16 grid
    np.testing.assert_allclose(a[512], [0.5 / 8, 0.5 / 8])  # then six per cell on 8x8


def test_decode_places_boxes_and_keypoints_relative_to_their_anchor() -> None:
    reg = np.zeros((1, 896, 16), np.float32)
    logits = np.full((1, 896, 1), -10.0, np.float32)
    reg[0, 100, :4] = [12.8, 0.0, 32.0, 64.0]  # +0.1 in x, w 0.25, h 0.5
    reg[0, 100, 4:6] = [0.0, -12.8]  # first keypoint 0.1 above the anchor
    logits[0, 100, 0] = 5.0
    dets, scores = decode(reg, logits, 0.5)
    assert dets.shape == (1, 16)
    ax, ay = anchors()[100]
    np.testing.assert_allclose(
        dets[0, :4], [ax + 0.1 - 0.125, ay - 0.25, ax + 0.1 + 0.125, ay + 0.25]
    )
    np.testing.assert_allclose(dets[0, 4:6], [ax, ay - 0.1])
    assert scores[0] > 0.99


def test_weighted_nms_merges_overlaps_and_keeps_separate_faces() -> None:
    a = np.array([0.1, 0.1, 0.3, 0.3] + [0.0] * 12)
    b = a + np.array([0.02, 0.0, 0.02, 0.0] + [0.0] * 12)
    far = np.array([0.6, 0.6, 0.8, 0.8] + [0.0] * 12)
    kept = weighted_nms(np.stack([a, b, far]), np.array([0.9, 0.9, 0.8]))
    assert len(kept) == 2
    np.testing.assert_allclose(kept[0][0][:4], [0.11, 0.1, 0.31, 0.3])


def test_letterbox_centres_a_portrait_frame_on_a_square() -> None:
    frame = np.full((200, 100, 3), 255, np.uint8)
    x, side, pad_x, pad_y = letterbox(frame)
    assert x.shape == (1, 128, 128, 3)
    assert side == 200
    assert (pad_x, pad_y) == (50, 0)
    assert x[0, 64, 5, 0] == -1.0
    assert x[0, 64, 64, 0] == 1.0


def test_detector_finds_the_one_face_in_every_photo(
    pipeline: FacePipeline, photos: dict[str, Frame]
) -> None:
    for name in [*SAME_PERSON, OTHER_PERSON]:
        found = pipeline.detect(photos[name])
        assert len(found) == 1, name
        det = found[0]
        assert det.score > 0.7
        # eyes above the nose above the mouth, image-left eye left of the image-right eye
        kp = det.keypoints
        assert kp[0, 0] < kp[1, 0]
        assert max(kp[0, 1], kp[1, 1]) < kp[2, 1] < kp[3, 1]
        assert det.eye_distance > 80


def test_detector_counts_several_faces_in_one_frame(
    pipeline: FacePipeline, photos: dict[str, Frame]
) -> None:
    frame = group_photo(pipeline, photos["obama.jpg"], photos["biden.jpg"], photos["obama3.jpg"])
    found = pipeline.detect(frame)
    assert len(found) == 3
    # one face per tile
    assert sorted(int((d.x0 + d.x1) / 2 // 320) for d in found) == [0, 1, 2]


def test_detector_finds_nothing_in_a_blank_frame(pipeline: FacePipeline) -> None:
    assert pipeline.detect(np.full((480, 640, 3), 128, np.uint8)) == []

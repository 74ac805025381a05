"""Quality gates: one face, size, blur, pose; Chinese prompts for the resident."""

from __future__ import annotations

import cv2
import numpy as np

from edge.face.align import align
from edge.face.pipeline import FacePipeline
from edge.face.quality import assess, roll_deg, yaw_deg
from edge.face.types import Detection, Frame
from firmware_config.schema import FaceSettings
from tests.edge.face.conftest import group_photo

SETTINGS = FaceSettings()


def _det(nose_x: float = 150.0, right_eye_y: float = 100.0, size: float = 200.0) -> Detection:
    kp = np.array(
        [[100, 100], [200, right_eye_y], [nose_x, 150], [150, 190], [60, 120], [240, 120]],
        np.float64,
    )
    return Detection(50, 50, 50 + size, 50 + size, 0.9, kp)


def test_pose_is_estimated_from_the_nose_offset_and_the_eye_line() -> None:
    assert abs(yaw_deg(_det())) < 1e-6
    assert yaw_deg(_det(nose_x=180)) > 25  # nose 0.3 eye-distances right: about 27 degrees
    assert yaw_deg(_det(nose_x=120)) < -25
    assert roll_deg(_det(right_eye_y=130)) > 15


def test_frontal_sharp_face_passes(pipeline_int8: FacePipeline, photos: dict[str, Frame]) -> None:
    frame = photos["obama.jpg"]
    det = pipeline_int8.single_face(frame)
    q = assess([det], align(frame, det), SETTINGS)
    assert q.ok
    assert q.prompt_zh == ""
    assert q.sharpness > 10 * SETTINGS.min_sharpness


def test_blurred_face_is_rejected_as_blurry(
    pipeline_int8: FacePipeline, photos: dict[str, Frame]
) -> None:
    frame = np.asarray(cv2.GaussianBlur(photos["obama.jpg"], (0, 0), 8), np.uint8)
    det = pipeline_int8.single_face(frame)
    q = assess([det], align(frame, det), SETTINGS)
    assert q.problems == ("blurry",)
    assert q.prompt_zh == "画面模糊，请保持不动"


def test_distant_face_is_rejected_as_too_small(
    pipeline_int8: FacePipeline, photos: dict[str, Frame]
) -> None:
    frame = np.asarray(
        cv2.resize(photos["obama.jpg"], None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA),
        np.uint8,
    )
    det = pipeline_int8.single_face(frame)
    assert "too_small" in assess([det], align(frame, det), SETTINGS).problems


def test_turned_face_is_rejected_for_pose() -> None:
    assert assess([_det(nose_x=185)], None, SETTINGS).problems == ("pose",)


def test_no_face_and_several_faces_are_rejected(
    pipeline_int8: FacePipeline, photos: dict[str, Frame]
) -> None:
    assert assess([], None, SETTINGS).problems == ("no_face",)
    group = group_photo(pipeline_int8, photos["obama.jpg"], photos["biden.jpg"])
    q = assess(pipeline_int8.detect(group), None, SETTINGS)
    assert q.problems == ("several_faces",)
    assert "多人" in q.prompt_zh

"""Faces as a village window sees them: a group photo, gray and backlit frames, small faces,
the applicant chosen deliberately, refusals that say why, thresholds from the profile, and
"no match" as a result of its own. Real photos (fetched by pinned pip downloads), real models."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.face.align import align
from edge.face.errors import QualityRejected, SeveralFaces
from edge.face.finder import by_applicant, others_near, tiles
from edge.face.frames import as_rgb, is_gray
from edge.face.matcher import Candidate, SearchResult, Thresholds, verify
from edge.face.pipeline import FacePipeline, load_image
from edge.face.quality import PROMPTS_ZH, assess
from edge.face.types import Detection, Frame
from firmware_config import builtin_profiles
from firmware_config.schema import FaceSettings
from simulators import face_photos

# t1.jpg: the six people, left to right (centre x, centre y), set by hand from the photo
GROUP = [(108, 327), (321, 208), (514, 344), (782, 417), (939, 130), (1177, 346)]


@pytest.fixture(scope="module")
def group() -> Frame:
    try:
        return load_image(face_photos.fetch_extra() / face_photos.GROUP_PHOTO)
    except face_photos.PhotosUnavailable as exc:
        pytest.fail(f"group photo unavailable: {exc}")


def _box(cx: float, cy: float, size: float) -> Detection:
    return Detection(
        cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2, 0.9, np.zeros((6, 2))
    )


def test_the_group_photo_finds_every_face(pipeline: FacePipeline, group: Frame) -> None:
    found = pipeline.detect(group, everything=True)
    centres = [((d.x0 + d.x1) / 2, (d.y0 + d.y1) / 2) for d in found]
    for x, y in GROUP:
        assert any(np.hypot(cx - x, cy - y) < 50 for cx, cy in centres), (x, y, centres)
    assert len(found) == 6


def test_the_group_photo_is_refused_as_several_people(pipeline: FacePipeline, group: Frame) -> None:
    with pytest.raises(SeveralFaces):
        pipeline.observe(group, gates=False)


def test_a_grayscale_copy_of_a_frontal_photo_is_found(
    pipeline: FacePipeline, photos: dict[str, Frame]
) -> None:
    # biden.jpg in gray is what the short-range detector alone misses
    for name in ("biden.jpg", "obama.jpg"):
        # one channel, as an IR camera gives it
        gray = np.asarray(cv2.cvtColor(photos[name], cv2.COLOR_RGB2GRAY), np.uint8)
        assert is_gray(gray)
        found = pipeline.detect(gray)
        assert len(found) == 1, name
        colour = pipeline.detect(photos[name])[0]
        assert abs((found[0].x0 + found[0].x1) - (colour.x0 + colour.x1)) / 2 < colour.width / 4


def test_a_gray_frame_verifies_against_its_colour_original(
    pipeline_int8: FacePipeline, photos: dict[str, Frame]
) -> None:
    colour = pipeline_int8.observe(photos["obama.jpg"], gates=False).embedding
    gray = np.asarray(cv2.cvtColor(photos["obama2.jpg"], cv2.COLOR_RGB2GRAY), np.uint8)
    probe = pipeline_int8.observe(gray, gates=False).embedding
    assert verify(probe, colour, Thresholds(0.5, 0.55)).result == "match"


def test_frames_of_every_channel_layout_become_rgb() -> None:
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4)
    for frame in (gray, gray[:, :, None], np.dstack([gray] * 3), np.dstack([gray] * 3 + [gray])):
        rgb = as_rgb(frame)
        assert rgb.shape == (3, 4, 3)
        np.testing.assert_array_equal(rgb[:, :, 1], gray)
    with pytest.raises(ValueError, match="HxW"):
        as_rgb(np.zeros((3, 4, 2), np.uint8))


def test_the_applicant_is_the_largest_centred_face_and_far_faces_are_not_a_second_person() -> None:
    near, behind, poster = _box(320, 240, 200), _box(100, 100, 90), _box(600, 60, 40)
    ranked = by_applicant([poster, behind, near], 640, 480)
    assert ranked[0] is near
    assert others_near(ranked, 0.3) == [behind]  # 90 px is a person close behind
    assert others_near(by_applicant([near, poster], 640, 480), 0.3) == []


def test_tiles_overlap_and_cover_the_frame() -> None:
    grid = tiles(1280, 886, 2)
    assert len(grid) == 4
    assert min(t[0] for t in grid) == 0
    assert max(t[2] for t in grid) == 1280
    assert max(t[3] for t in grid) == 886
    assert grid[1][0] < grid[0][2]  # neighbours overlap


def test_a_small_face_beside_the_applicant_is_found_on_decision_frames(
    pipeline: FacePipeline, photos: dict[str, Frame]
) -> None:
    src = photos["biden.jpg"]
    d = pipeline.detect(src)[0]
    frame = np.full((480, 640, 3), 110, np.uint8)
    for size, (x, y) in ((200, (220, 240)), (40, (560, 120))):
        s = size / d.width
        m = np.array([[s, 0, x - (d.x0 + d.x1) / 2 * s], [0, s, y - (d.y0 + d.y1) / 2 * s]])
        patch = cv2.warpAffine(src, m, (640, 480), borderValue=(0, 0, 0))
        mask = cv2.warpAffine(np.ones(src.shape[:2], np.uint8), m, (640, 480)) > 0
        frame[mask] = patch[mask]
    found = pipeline.detect(frame, everything=True)
    assert len(found) == 2
    assert found[0].width > 150
    assert found[1].width < 60


def _refusal(pipe: FacePipeline, frame: Frame) -> tuple[str, ...]:
    rgb = as_rgb(frame)
    found = pipe.detect(rgb, everything=True)
    return assess(found, align(rgb, found[0]), FaceSettings(), rgb).problems


def test_refusals_say_why_with_a_chinese_prompt(
    pipeline_int8: FacePipeline, photos: dict[str, Frame]
) -> None:
    frame = photos["obama.jpg"]
    assert _refusal(pipeline_int8, frame) == ()
    dark = np.asarray(frame * 0.22, np.uint8)
    assert _refusal(pipeline_int8, dark)[0] == "too_dark"
    h, w = frame.shape[:2]
    d = pipeline_int8.detect(frame)[0]
    backlit = np.asarray(np.clip(frame * 0.55, 0, 255), np.uint8)
    around = np.ones((h, w), bool)
    around[int(d.y0) : int(d.y1), int(d.x0) : int(d.x1)] = False
    backlit[around] = 250  # a bright doorway all round the face
    assert _refusal(pipeline_int8, backlit)[0] == "backlit"
    blurred = np.asarray(cv2.GaussianBlur(frame, (0, 0), 8), np.uint8)
    assert "blurry" in _refusal(pipeline_int8, blurred)
    small = np.asarray(
        cv2.resize(frame, None, fx=0.2, fy=0.2, interpolation=cv2.INTER_AREA), np.uint8
    )
    assert "too_small" in _refusal(pipeline_int8, small)
    turned = photos["obama_partial_face.jpg"]
    assert set(_refusal(pipeline_int8, turned)) <= {"pose", "too_small", "blurry", "backlit"}
    for code in ("too_dark", "backlit", "blurry", "too_small", "pose", "several_faces"):
        assert PROMPTS_ZH[code]
    with pytest.raises(QualityRejected) as info:
        pipeline_int8.observe(dark)
    assert info.value.problems[0] == "too_dark"
    assert info.value.prompt_zh == "光线太暗，请打开灯光或面向亮处"


def test_thresholds_come_from_the_hardware_profile_in_the_signed_configuration() -> None:
    profiles = builtin_profiles()
    cm3, usb = profiles["pi4-cm3-80mm"].face, profiles["pi5-usbcam-58mm"].face
    # values chosen from bench/results/face_eval.json, per camera
    assert (cm3.verify_threshold, cm3.id_photo_threshold) == (0.51, 0.54)
    assert (usb.verify_threshold, usb.id_photo_threshold) == (0.51, 0.55)


def test_the_service_uses_the_profiles_id_card_threshold(
    model_dir: object, tmp_path: object
) -> None:
    from pathlib import Path

    from edge.face.service import LocalFaceService
    from edge.face.templates import TemplateStore

    one_thread = {"threads": 1}
    profile = builtin_profiles()["pi5-usbcam-58mm"].face.model_copy(update=one_thread)
    pipe = FacePipeline(profile, "int8", Path(str(model_dir)), threads=1)
    service = LocalFaceService(pipe, TemplateStore(Path(str(tmp_path)) / "t.db", b"k" * 32))
    assert service.thresholds == Thresholds(0.51, 0.55)
    # a new signed configuration: the other camera's profile, and the county's override
    cm3 = builtin_profiles()["pi4-cm3-80mm"].face.model_copy(update=one_thread)
    assert service.retune(cm3, 0.48)
    assert service.thresholds == Thresholds(0.48, 0.54)


def test_no_match_is_its_own_result_never_the_nearest_person() -> None:
    far = SearchResult((Candidate("a", 0.62), Candidate("b", 0.7)), 0.5, 0.08, clear_lead=False)
    assert far.no_match
    near = SearchResult((Candidate("a", 0.42), Candidate("b", 0.7)), 0.5, 0.08, clear_lead=True)
    assert not near.no_match
    probe, ref = np.zeros(128, np.float32), np.full(128, 0.06, np.float32)
    v = verify(probe, ref, Thresholds(0.5, 0.55))
    assert (v.match, v.result) == (False, "no_match")

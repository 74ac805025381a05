"""The FaceService the window workflow uses: consent first, enroll, verify, search, delete."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from edge.face.errors import ConsentRequired, QualityRejected, TemplateNotFound
from edge.face.pipeline import FacePipeline
from edge.face.service import Consent, FaceService, LocalFaceService
from edge.face.templates import TemplateStore
from edge.face.types import Frame

KEY = b"k" * 32


def _consent(purpose: str) -> Consent:
    return Consent(purpose, "tx-1", datetime.now(UTC))  # type: ignore[arg-type]


@pytest.fixture
def service(tmp_path: Path, pipeline_int8: FacePipeline) -> LocalFaceService:
    return LocalFaceService(pipeline_int8, TemplateStore(tmp_path / "templates.db", KEY))


def test_local_service_implements_the_protocol(service: LocalFaceService) -> None:
    svc: FaceService = service
    assert svc is service


def test_face_processing_without_matching_consent_is_refused(
    service: LocalFaceService, photos: dict[str, Frame]
) -> None:
    with pytest.raises(ConsentRequired):
        service.enroll(photos["obama.jpg"], _consent("verify"))
    with pytest.raises(ConsentRequired):
        service.search(photos["obama.jpg"], _consent("enroll"))
    assert len(service.store) == 0


def test_enrolled_resident_is_verified_and_a_stranger_is_not(
    service: LocalFaceService, photos: dict[str, Frame]
) -> None:
    template_id = service.enroll(photos["obama.jpg"], _consent("enroll"))
    same = service.verify_template(
        photos["obama_partial_face2.jpg"], template_id, _consent("verify")
    )
    other = service.verify_template(photos["biden.jpg"], template_id, _consent("verify"))
    assert same.match
    assert not other.match
    assert same.reference == "template"
    assert same.threshold == 0.5


def test_live_face_is_verified_against_an_id_card_photo(
    service: LocalFaceService, photos: dict[str, Frame]
) -> None:
    import cv2

    # a card chip photo is about 102 x 126 px: shrink a photo of the same person to that
    card = np.asarray(
        cv2.resize(photos["obama2.jpg"], (102, 196), interpolation=cv2.INTER_AREA), np.uint8
    )
    result = service.verify_id_card(photos["obama.jpg"], card, _consent("verify"))
    assert result.match
    assert result.reference == "id_card_photo"
    assert result.threshold == 0.55


def test_search_offers_candidates_for_the_clerk_never_a_decision(
    service: LocalFaceService, photos: dict[str, Frame]
) -> None:
    obama = service.enroll(photos["obama.jpg"], _consent("enroll"))
    biden = service.enroll(photos["biden.jpg"], _consent("enroll"))
    result = service.search(photos["obama_partial_face.jpg"], _consent("search"))
    assert [c.template_id for c in result.candidates] == [obama, biden]
    assert result.clear_lead
    assert result.needs_clerk_confirmation


def test_gallery_is_reloaded_from_the_encrypted_store(
    tmp_path: Path, pipeline_int8: FacePipeline, photos: dict[str, Frame]
) -> None:
    first = LocalFaceService(pipeline_int8, TemplateStore(tmp_path / "t.db", KEY))
    template_id = first.enroll(photos["obama.jpg"], _consent("enroll"))
    second = LocalFaceService(pipeline_int8, TemplateStore(tmp_path / "t.db", KEY))
    found = second.search(photos["obama3.jpg"], _consent("search"))
    assert found.candidates[0].template_id == template_id


def test_deleting_on_request_removes_template_and_candidate(
    service: LocalFaceService, photos: dict[str, Frame]
) -> None:
    template_id = service.enroll(photos["obama.jpg"], _consent("enroll"))
    service.delete(template_id)
    assert service.search(photos["obama.jpg"], _consent("search")).candidates == ()
    with pytest.raises(TemplateNotFound):
        service.verify_template(photos["obama.jpg"], template_id, _consent("verify"))


def test_enrollment_applies_the_quality_gates(
    service: LocalFaceService, photos: dict[str, Frame]
) -> None:
    import cv2

    blurred = np.asarray(cv2.GaussianBlur(photos["obama.jpg"], (0, 0), 8), np.uint8)
    with pytest.raises(QualityRejected) as err:
        service.enroll(blurred, _consent("enroll"))
    assert err.value.problems == ("blurry",)


def test_id_photo_from_the_service(service: LocalFaceService, photos: dict[str, Frame]) -> None:
    photo = service.id_photo(photos["biden.jpg"], "1inch", "red")
    assert photo.image.shape == (413, 295, 3)
    assert photo.background_replaced


def test_a_new_configuration_retunes_thresholds_and_gates_without_loading_models_again(
    tmp_path: Path, model_dir: Path, photos: dict[str, Frame]
) -> None:
    from firmware_config.schema import FaceSettings

    pipeline = FacePipeline(FaceSettings(), variant="int8", model_dir=model_dir)
    service = LocalFaceService(pipeline, TemplateStore(tmp_path / "t.db", KEY))
    template_id = service.enroll(photos["obama.jpg"], _consent("enroll"))
    probe = photos["obama_partial_face2.jpg"]
    before = service.verify_template(probe, template_id, _consent("verify"))
    assert before.match
    embedder = pipeline.embedder
    # the county's threshold, tighter than this distance; a stricter detector score
    tight = round(before.distance - 0.01, 4)
    assert service.retune(FaceSettings(detect_min_score=0.65), verify_threshold=tight)
    after = service.verify_template(probe, template_id, _consent("verify"))
    assert (after.distance, after.threshold, after.match) == (before.distance, tight, False)
    assert pipeline.detector.min_score == 0.65
    assert pipeline.embedder is embedder  # the models were not loaded again
    assert service.search(probe, _consent("search")).threshold == tight  # search uses it too
    # without an override, the profile's own threshold
    assert service.retune(FaceSettings(verify_threshold=0.6))
    assert service.verify_template(probe, template_id, _consent("verify")).threshold == 0.6
    # more threads need the models loaded again: refused, nothing changed
    assert not service.retune(FaceSettings(threads=3, verify_threshold=0.3))
    assert service.thresholds.template == 0.6

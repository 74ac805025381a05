"""One exception tree for on-device face recognition, with stable codes for reports and the UI."""

from __future__ import annotations


class FaceError(Exception):
    """Base of every error raised by edge.face."""

    code = "face_error"


class RuntimeUnavailable(FaceError):
    """Neither ai-edge-litert nor tflite_runtime can be imported."""

    code = "runtime_unavailable"


class ModelMissing(FaceError):
    """A model file is absent or its sha256 differs from the pinned one."""

    code = "model_missing"


class ImageUnreadable(FaceError):
    code = "image_unreadable"


class NoFace(FaceError):
    code = "no_face"


class SeveralFaces(FaceError):
    code = "several_faces"


class QualityRejected(FaceError):
    """The frame failed a quality gate; `problems` holds the gate codes, `prompt_zh` what the
    applicant should do about the first one."""

    code = "quality_rejected"

    def __init__(self, problems: tuple[str, ...], prompt_zh: str = "") -> None:
        super().__init__("face quality gates failed: " + ", ".join(problems))
        self.problems = problems
        self.prompt_zh = prompt_zh


class ConsentRequired(FaceError):
    """Face processing was asked for without the resident's recorded consent for that purpose."""

    code = "consent_required"


class TemplateNotFound(FaceError):
    code = "template_not_found"


class TemplateTampered(FaceError):
    """A stored template failed authentication: wrong key, or the bytes were changed."""

    code = "template_tampered"


class LivenessError(FaceError):
    code = "liveness_error"

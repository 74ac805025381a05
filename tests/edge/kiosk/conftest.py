"""The face fixtures (pinned models, real photos from a registry package) for window tests."""

from tests.edge.face.conftest import model_dir, photo_dir

__all__ = ["model_dir", "photo_dir"]

"""The unit's configuration: verify a signed desired configuration, fetch its artifacts, apply
it atomically, persist it and report the outcome."""

from edge.config.applier import ConfigApplier, RunningConfig
from edge.config.artifacts import ArtifactFetcher

__all__ = ["ArtifactFetcher", "ConfigApplier", "RunningConfig"]

"""The agent's own software updates: a signed wheel installed beside the running version, a
`current` link switched atomically while the window is idle, and a supervisor that rolls back
a version that does not report healthy in time (docs/provisioning.md#software-updates)."""

from edge.update.layout import SoftwareDir, UpdateState
from edge.update.updater import Updater

__all__ = ["SoftwareDir", "UpdateState", "Updater"]

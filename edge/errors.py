"""The unit agent's exception tree; every error carries a stable code for health and logs."""

from __future__ import annotations


class EdgeError(RuntimeError):
    code = "edge_error"


class OutboxFull(EdgeError):
    """The outbox reached its disk limit; the step is refused rather than silently dropped."""

    code = "outbox_full"


class SettingsError(EdgeError):
    code = "invalid_settings"

"""The unit agent's exception tree; every error carries a stable code for health and logs."""

from __future__ import annotations


class EdgeError(RuntimeError):
    code = "edge_error"


class OutboxFull(EdgeError):
    """The outbox reached its disk limit; the step is refused rather than silently dropped."""

    code = "outbox_full"


class SettingsError(EdgeError):
    code = "invalid_settings"


class ConfigRejected(EdgeError):
    """A desired configuration the unit will not run; the old one keeps running. The code goes
    into the `config/reported` reason, so the hub can count rejections by cause."""

    code = "config_rejected"


class NoPinnedKey(ConfigRejected):
    code = "no_pinned_key"


class StaleConfig(ConfigRejected):
    """Older than the running version: a replay or a rollback attack, never applied."""

    code = "stale_version"


class VersionConflict(ConfigRejected):
    """The running version again, but with different content: the hub never does that."""

    code = "version_conflict"


class ArtifactUnavailable(ConfigRejected):
    """An artifact could not be downloaded (network, hub down); worth retrying later."""

    code = "artifact_unavailable"


class ArtifactHashMismatch(ConfigRejected):
    code = "artifact_hash_mismatch"


class ArtifactInvalid(ConfigRejected):
    """The artifact's bytes are right, but its content contradicts the configuration."""

    code = "artifact_invalid"


class EventLogClosed(EdgeError):
    """A write asked of an event log after close(): a shutdown ordering bug, never data loss."""

    code = "event_log_closed"


class ReleaseRefused(ConfigRejected):
    """A software release the unit will not install: a bad signature, a wheel that is not the
    bianmin distribution of the signed version, or a version that failed here before."""

    code = "release_refused"


class ReleaseSignature(ReleaseRefused):
    code = "bad_release_signature"


class ReleaseInvalid(ReleaseRefused):
    code = "release_invalid"


class UpdateRolledBack(ReleaseRefused):
    """The version was installed, did not report healthy in time, and was rolled back; refused
    until the hub offers another version."""

    code = "update_rolled_back"

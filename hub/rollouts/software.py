"""Software releases in rollouts: a wheel of bianmin uploaded as an `agent_wheel` artifact, its
version read from the wheel's own metadata, signed by the hub's key into a ``SoftwareRelease``
that every unit of the rollout finds in its configuration body (protocol.software)."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection
from sqlmodel import Session

from hub.artifacts.store import artifact_content_in, artifact_ref
from hub.artifacts.wheels import wheel_version
from hub.errors import InvalidRequest
from hub.rollouts.models import SoftwareRequest
from protocol.artifacts import ArtifactKind
from protocol.signing import sign_document
from protocol.software import SoftwareRelease, SoftwareTarget, release_document


def software_target(
    db: Session | Connection, request: SoftwareRequest, key: Ed25519PrivateKey
) -> SoftwareTarget:
    ref = artifact_ref(db, request.release)
    if ref.kind is not ArtifactKind.AGENT_WHEEL:
        raise InvalidRequest(
            f"software.release: artifact {ref.sha256} is a {ref.kind}, not an agent_wheel"
        )
    version = wheel_version(artifact_content_in(db, ref.sha256))
    signed = sign_document(release_document(version=version, sha256=ref.sha256, size=ref.size), key)
    try:
        release = SoftwareRelease(
            version=version, artifact=ref, key_id=signed["key_id"], sig=signed["sig"]
        )
    except ValueError as exc:
        raise InvalidRequest(f"software.release: {exc}") from None
    return SoftwareTarget(release=release, policy=request.policy)

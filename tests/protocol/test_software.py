"""A software release's own signature and the office hours a unit keeps (injected clock)."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from protocol.artifacts import ArtifactKind, ArtifactRef, artifact_path
from protocol.errors import SignatureError
from protocol.signing import generate_key, sign_document
from protocol.software import SoftwareRelease, UpdatePolicy, release_document

SHA = "ab" * 32


def release(key, *, version="9.0.0", sha=SHA, size=1234, signed_version=None):
    doc = sign_document(
        release_document(version=signed_version or version, sha256=sha, size=size), key
    )
    ref = ArtifactRef(kind=ArtifactKind.AGENT_WHEEL, sha256=sha, size=size, path=artifact_path(sha))
    return SoftwareRelease(version=version, artifact=ref, key_id=doc["key_id"], sig=doc["sig"])


def test_a_release_signed_by_the_hub_verifies_with_its_key():
    key = generate_key()
    release(key).verify(key.public_key())


@pytest.mark.parametrize(
    "changed",
    [
        {"signed_version": "8.0.0"},  # the signature was for another version
        {"other_key": True},
    ],
)
def test_a_release_with_another_version_or_key_is_refused(changed):
    key = generate_key()
    if changed.get("other_key"):
        signed = release(generate_key())
    else:
        signed = release(key, signed_version=changed["signed_version"])
    with pytest.raises(SignatureError):
        signed.verify(key.public_key())


def test_a_release_points_to_a_wheel_only():
    ref = ArtifactRef(kind=ArtifactKind.MODEL_BUNDLE, sha256=SHA, size=1, path=artifact_path(SHA))
    with pytest.raises(ValidationError, match="agent_wheel"):
        SoftwareRelease(version="1.0", artifact=ref, key_id="k", sig="s")


@pytest.mark.parametrize(
    ("utc", "inside"),
    [
        ("2026-11-30T00:29:00", False),  # 08:29 in Beijing
        ("2026-11-30T00:30:00", True),  # 08:30
        ("2026-11-30T04:00:00", False),  # 12:00, lunch
        ("2026-11-30T06:00:00", True),  # 14:00
        ("2026-11-30T09:29:00", True),  # 17:29
        ("2026-11-30T09:30:00", False),  # 17:30
        ("2026-11-30T14:00:00", False),  # 22:00
    ],
)
def test_default_office_hours_are_china_s_in_local_time(utc, inside):
    now = datetime.fromisoformat(utc).replace(tzinfo=UTC)
    assert UpdatePolicy().in_office_hours(now) is inside


def test_a_policy_refuses_reversed_hours_and_unknown_zones():
    with pytest.raises(ValidationError, match="after the start"):
        UpdatePolicy(office_hours=(("12:00", "08:30"),))
    with pytest.raises(ValidationError, match="time zone"):
        UpdatePolicy(timezone="Mars/Olympus")
    with pytest.raises(ValidationError, match="time zone"):
        UpdatePolicy(timezone="../../etc/passwd")

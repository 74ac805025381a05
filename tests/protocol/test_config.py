"""Opening a signed configuration: the signature is checked on the raw dict before any model
sees it, then the envelope, the unit and the body schema, each refusal with its code."""

import json

import pytest

from protocol.config import (
    ArtifactKind,
    CatalogRef,
    ConfigBody,
    open_signed_config,
    parse_raw,
    raw_version,
)
from protocol.errors import (
    InvalidMessage,
    MalformedJSON,
    PayloadTooLarge,
    SignatureError,
    UnitMismatch,
)
from protocol.messages import MAX_CONFIG_BYTES
from protocol.signing import generate_key
from tests.support.config import body, signed, slice_bytes, slice_ref

KEY = generate_key()
REF = slice_ref(slice_bytes())


def _open(document, key=KEY, unit="t001"):
    return open_signed_config(
        parse_raw(json.dumps(document).encode()), key=key.public_key(), unit=unit
    )


def test_a_signed_config_opens_into_its_envelope_and_body():
    envelope, opened = _open(signed(KEY, "t001", 3, body(REF)))
    assert envelope.version == 3
    assert opened.catalog.artifact.sha256 == REF.sha256
    assert opened.profile.name == "pi4-cm3-80mm"


def test_a_tampered_body_is_refused_by_the_signature():
    document = signed(KEY, "t001", 3, body(REF))
    document["body"]["thresholds"]["deferred_material_days"] = 30
    with pytest.raises(SignatureError, match="does not match"):
        _open(document)


def test_a_config_signed_by_another_key_is_refused():
    with pytest.raises(SignatureError, match="pinned key"):
        _open(signed(generate_key(), "t001", 3, body(REF)))


def test_an_unsigned_config_is_refused():
    document = signed(KEY, "t001", 3, body(REF))
    for field in ("sig", "alg", "key_id"):
        document.pop(field)
    with pytest.raises(SignatureError, match="not signed"):
        _open(document)


def test_a_config_for_another_unit_is_refused_even_when_well_signed():
    with pytest.raises(UnitMismatch, match="t002"):
        _open(signed(KEY, "t002", 3, body(REF)))


def test_a_signed_body_that_breaks_the_schema_is_refused_naming_the_field():
    bad = body(REF)
    bad["thresholds"]["deferred_material_days"] = 0
    with pytest.raises(InvalidMessage, match=r"thresholds\.deferred_material_days"):
        _open(signed(KEY, "t001", 3, bad))


@pytest.mark.parametrize(
    "payload",
    [b"{not json", b"[1, 2]", b'{"version": NaN}', b"\xff\xfe"],
    ids=["broken", "not-an-object", "nan", "not-utf8"],
)
def test_malformed_payloads_are_refused_before_any_check(payload):
    with pytest.raises(MalformedJSON):
        parse_raw(payload)


def test_an_oversized_payload_is_refused_before_parsing():
    with pytest.raises(PayloadTooLarge):
        parse_raw(b" " * (MAX_CONFIG_BYTES + 1))


def test_the_catalog_pointer_must_point_at_a_catalog_slice():
    model_ref = REF.model_copy(update={"kind": ArtifactKind.MODEL_BUNDLE})
    with pytest.raises(ValueError, match="catalog_slice"):
        CatalogRef(version=1, matters=2, artifact=model_ref)


def test_an_artifact_listed_twice_is_refused():
    data = body(REF)
    data["artifacts"] = [data["catalog"]["artifact"]]
    with pytest.raises(ValueError, match="listed twice"):
        ConfigBody.model_validate(data)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [({"version": 7}, 7), ({"version": "7"}, 0), ({"version": True}, 0), ([], 0), ({}, 0)],
)
def test_a_rejection_reports_the_version_the_document_claims_or_zero(raw, expected):
    assert raw_version(raw) == expected

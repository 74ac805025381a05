"""Signed documents: a signature holds only for the exact content and the pinned key."""

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol.canonical import canonical_json
from protocol.errors import SignatureError
from protocol.signing import (
    generate_key,
    private_key_from_pem,
    private_key_to_pem,
    public_key_from_text,
    public_key_to_text,
    sign_document,
    verify_document,
)

KEY = generate_key()
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(
    st.dictionaries(
        st.text(max_size=10).filter(lambda k: k not in ("alg", "key_id", "sig")),
        json_values,
        max_size=6,
    )
)
def test_a_signed_document_verifies_with_its_key(doc):
    verify_document(sign_document(doc, KEY), KEY.public_key())


def test_changing_any_field_breaks_the_signature():
    signed = sign_document({"version": 3, "body": {"matters": ["A", "B"]}}, KEY)
    tampered = copy.deepcopy(signed)
    tampered["body"]["matters"].append("C")
    with pytest.raises(SignatureError, match="does not match"):
        verify_document(tampered, KEY.public_key())


def test_another_key_is_refused_by_key_id():
    signed = sign_document({"version": 1}, generate_key())
    with pytest.raises(SignatureError, match="pinned key"):
        verify_document(signed, KEY.public_key())


def test_unsigned_documents_are_refused():
    with pytest.raises(SignatureError, match="not signed"):
        verify_document({"version": 1}, KEY.public_key())


def test_keys_survive_their_text_forms():
    again = private_key_from_pem(private_key_to_pem(KEY))
    pub = public_key_from_text(public_key_to_text(again.public_key()))
    verify_document(sign_document({"a": 1}, KEY), pub)


def test_bad_public_key_text_is_a_clear_error():
    with pytest.raises(SignatureError, match="base64"):
        public_key_from_text("not-a-key!")


def test_canonical_json_is_independent_of_key_order_and_keeps_chinese():
    assert canonical_json({"b": 1, "a": "便民"}) == canonical_json({"a": "便民", "b": 1})
    assert canonical_json({"a": "便民"}) == '{"a":"便民"}'.encode()


def test_canonical_json_refuses_nan():
    with pytest.raises(ValueError, match="canonical"):
        canonical_json({"x": float("nan")})

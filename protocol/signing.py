"""Ed25519 signatures over canonical JSON documents.

A signed document is a JSON object with ``alg``, ``key_id`` and ``sig`` fields; the signature
covers the canonical JSON of every other field, so adding or changing any field breaks it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from protocol.canonical import canonical_json
from protocol.errors import SignatureError

ALG = "ed25519"
SIGNATURE_FIELDS = ("alg", "key_id", "sig")


def generate_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_to_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def private_key_from_pem(data: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SignatureError("the key file does not hold an Ed25519 private key")
    return key


def public_key_to_text(key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key in base64: short enough to pin in a unit's settings."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def public_key_from_text(text: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError(f"not a base64 Ed25519 public key: {exc}") from exc


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _signed_part(document: dict[str, Any]) -> bytes:
    return canonical_json({k: v for k, v in document.items() if k not in SIGNATURE_FIELDS})


def sign_document(document: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """Return a copy of ``document`` carrying ``alg``, ``key_id`` and ``sig``."""
    signature = key.sign(_signed_part(document))
    signed = {k: v for k, v in document.items() if k not in SIGNATURE_FIELDS}
    signed["alg"] = ALG
    signed["key_id"] = key_id(key.public_key())
    signed["sig"] = base64.b64encode(signature).decode("ascii")
    return signed


class RetiredKey(SignatureError):
    """Signed by a key the hub announced as retired: never trusted again."""

    code = "retired_key"


class UnknownKey(SignatureError):
    """Signed by a key this unit was never told to trust."""

    code = "unknown_key"


@runtime_checkable
class DocumentVerifier(Protocol):
    """Something that checks a signed document against the keys it trusts (a unit's trust
    list); returns the key id that signed it."""

    def verify_signed(self, document: dict[str, Any]) -> str: ...


# What a signed document is checked against: one pinned key, or a trust list
Verifier = Ed25519PublicKey | DocumentVerifier


class TrustedKeys:
    """An immutable set of trusted public keys by key id, and the ids retired for good.

    A document is accepted when its ``key_id`` names a trusted key and that key's signature
    matches; a retired id is refused with its own reason, so an operator reading a unit's
    report tells "the old key after retirement" from "a key nobody announced"."""

    def __init__(
        self, keys: Mapping[str, Ed25519PublicKey] | Iterable[Ed25519PublicKey],
        retired: Iterable[str] = (),
    ) -> None:  # fmt: skip
        found = dict(keys) if isinstance(keys, Mapping) else {key_id(k): k for k in keys}
        for kid, key in found.items():
            if key_id(key) != kid:
                raise SignatureError(f"key id {kid!r} does not name its key")
        self.retired = frozenset(retired)
        self.keys = {k: v for k, v in found.items() if k not in self.retired}

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(sorted(self.keys))

    def verify_signed(self, document: dict[str, Any]) -> str:
        _check_form(document)
        claimed = document.get("key_id")
        if isinstance(claimed, str) and claimed in self.retired:
            raise RetiredKey(f"signed by key {claimed!r}, which the hub retired")
        key = self.keys.get(claimed) if isinstance(claimed, str) else None
        if key is None:
            raise UnknownKey(
                f"signed by key {str(claimed)[:64]!r}, which is not trusted here "
                f"(trusted: {', '.join(self.ids) or 'none'})"
            )
        _verify_with(document, key)
        return key_id(key)


def verify_document(document: dict[str, Any], key: Verifier) -> str:
    """Raise SignatureError unless ``document`` was signed by ``key`` (or by a key of the trust
    list ``key``); return the id of the key that signed it."""
    if not isinstance(key, Ed25519PublicKey):
        return key.verify_signed(document)
    _check_form(document)
    if document.get("key_id") != key_id(key):
        raise SignatureError(
            f"signed by key {document.get('key_id')!r}, but the pinned key is {key_id(key)!r}"
        )
    _verify_with(document, key)
    return key_id(key)


def _check_form(document: dict[str, Any]) -> None:
    if "sig" not in document:
        raise SignatureError("document is not signed")
    if document.get("alg") != ALG:
        raise SignatureError(f"unsupported signature algorithm {document.get('alg')!r}")


def _verify_with(document: dict[str, Any], key: Ed25519PublicKey) -> None:
    _check_form(document)
    try:
        signature = base64.b64decode(str(document["sig"]), validate=True)
        key.verify(signature, _signed_part(document))
    except (binascii.Error, InvalidSignature) as exc:
        raise SignatureError("signature does not match the document") from exc

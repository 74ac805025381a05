"""An ID-number reference made later: the unit identifies a resident while the hub is away and
gets the reference once the link is back, holding nothing meanwhile that lets it (or a thief)
test a candidate number.

Offline, for the case's number ``n`` (protocol.idref's group and reference):

    unit: r, s fresh random; B = H(n)^r                (multiplicative blinding)
          sealed = seal(hub public, r | s)             (X25519 + HKDF-SHA256 + AES-GCM)
          boxed  = AES-GCM(s, n)                       (stays on the unit, never sent)
          keeps B, sealed, boxed; forgets n, r, s
    link back, the unit sends (B, sealed):
    hub:  r, s = open(hub private, sealed); Y = B^(k / r mod q) = H(n)^k
          answers Y and s
    unit: n = open(s, boxed); ref = finish(n, Y)       (the same outer hash as online)

The outer hash of protocol.idref binds the number itself, so the hub cannot finish the
reference (it never sees ``boxed``, hence never ``n``); the unit cannot either until the hub
hands back ``s``. ``B`` alone tests nothing: for any candidate there is an ``r`` that makes it.
Both sealed values are bound to the unit and the case (AES-GCM associated data), so a sealed
pair cannot be replayed under another case. Pure: no I/O; ``secrets`` supplies r and s.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from protocol import idref

_INFO = b"bianmin/id-seal/v1"
_NONCE = 12
_KEY = 32
_SCALAR_BYTES = idref.SCALAR_BITS // 8
PUBLIC_BYTES = 32
# what a sealed (r, s) takes: the sender's X25519 public key, a nonce, r and s, the GCM tag
SEALED_BYTES = PUBLIC_BYTES + _NONCE + _SCALAR_BYTES + _KEY + 16
SEALED_HEX = 2 * SEALED_BYTES


class SealError(ValueError):
    """A sealed value or box that does not open: wrong key, another case, or tampered."""

    code = "seal_invalid"


def new_private_key() -> bytes:
    """A fresh X25519 private key, raw 32 bytes (the hub's, kept beside its reference key)."""
    return X25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def public_key(private: bytes) -> bytes:
    return (
        X25519PrivateKey.from_private_bytes(private)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


def _binding(unit: str, case: str) -> bytes:
    return _INFO + b"|" + unit.encode("ascii") + b"|" + case.encode("ascii")


def _wrap_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=_KEY, salt=ephemeral + recipient, info=_INFO)
    return hkdf.derive(shared)


def seal(recipient: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """``plaintext`` readable only with ``recipient``'s private key (ECIES over X25519)."""
    mine = X25519PrivateKey.generate()
    ephemeral = mine.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    shared = mine.exchange(X25519PublicKey.from_public_bytes(recipient))
    nonce = secrets.token_bytes(_NONCE)
    box = AESGCM(_wrap_key(shared, ephemeral, recipient)).encrypt(nonce, plaintext, aad)
    return ephemeral + nonce + box


def unseal(private: bytes, sealed: bytes, aad: bytes) -> bytes:
    if len(sealed) < PUBLIC_BYTES + _NONCE + 16:
        raise SealError("sealed value too short")
    key = X25519PrivateKey.from_private_bytes(private)
    ephemeral, nonce, box = sealed[:PUBLIC_BYTES], sealed[PUBLIC_BYTES:][:_NONCE], sealed[44:]
    try:
        shared = key.exchange(X25519PublicKey.from_public_bytes(ephemeral))
        wrap = _wrap_key(shared, ephemeral, public_key(private))
        return AESGCM(wrap).decrypt(nonce, box, aad)
    except (InvalidTag, ValueError):
        raise SealError("the sealed value does not open for this unit and case") from None


@dataclass(frozen=True)
class Pending:
    """What the unit keeps for a case whose reference is still to come: nothing in clear that
    depends on the number alone (``element`` is H(n)^r for an r only the hub can open)."""

    element: int  # B = H(n)^r
    sealed: bytes  # r | s sealed to the hub
    boxed: bytes  # nonce | AES-GCM(s, n): never leaves the unit


def pend(number: str, hub_public: bytes, unit: str, case: str) -> Pending:
    """The offline step: blind ``number`` for the hub to evaluate later."""
    r = secrets.randbits(idref.SCALAR_BITS) or 1  # short exponent, as online; < q, invertible
    s = secrets.token_bytes(_KEY)
    element = pow(idref.hash_to_group(number), r, idref.P)
    aad = _binding(unit, case)
    sealed = seal(hub_public, r.to_bytes(_SCALAR_BYTES, "big") + s, aad)
    nonce = secrets.token_bytes(_NONCE)
    boxed = nonce + AESGCM(s).encrypt(nonce, number.encode("ascii"), aad)
    return Pending(element, sealed, boxed)


def evaluate(
    element: int, sealed: bytes, private: bytes, key: bytes, unit: str, case: str
) -> tuple[int, bytes]:
    """The hub's step: Y = B^(k/r) = H(n)^k, and s for the unit to open its box with."""
    opened = unseal(private, sealed, _binding(unit, case))
    if len(opened) != _SCALAR_BYTES + _KEY:
        raise SealError("sealed value of the wrong length")
    r = int.from_bytes(opened[:_SCALAR_BYTES], "big")
    if not 0 < r < idref.Q:
        raise SealError("sealed exponent out of range")
    exponent = idref.key_scalar(key) * pow(r, -1, idref.Q) % idref.Q
    return pow(idref.check_element(element), exponent, idref.P), opened[_SCALAR_BYTES:]


def finish(pending_boxed: bytes, s: bytes, evaluated: int, unit: str, case: str) -> str:
    """The unit's last step: open the number with ``s`` and hash it with H(n)^k."""
    nonce, box = pending_boxed[:_NONCE], pending_boxed[_NONCE:]
    try:
        number = AESGCM(s).decrypt(nonce, box, _binding(unit, case)).decode("ascii")
    except (InvalidTag, ValueError):
        raise SealError("the hub's answer does not open this case's number") from None
    return idref.finish(number, idref.check_element(evaluated))

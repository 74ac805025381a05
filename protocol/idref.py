"""ID-number references that no unit can compute by itself: a Diffie-Hellman oblivious PRF
(2HashDH, as in RFC 9497's design) over the 2048-bit MODP group of RFC 3526 (group 14).

The reference of an ID number ``n`` under the county's reference key ``k`` is

    ref(n) = SHA-256("bianmin/id-ref/v1" | n | H(n)^k mod p)[:32 hex]

with H hashing ``n`` into the prime-order subgroup (squares mod the safe prime p). Only the
hub holds ``k``. A unit gets ``ref(n)`` without showing the hub ``n``:

    unit: a = H(n) * g^r for a fresh random r  (blind: a hides n behind a random element)
    hub:  b = a^k, and its public K = g^k      (evaluate: the hub learns nothing about n)
    unit: H(n)^k = b / K^r                     (unblind), then the outer hash

Exponents are 256 bits (short-exponent Diffie-Hellman, 128-bit security in this group), which
keeps each step to a few milliseconds in pure Python on a Raspberry Pi class unit.

So a stolen unit holds nothing that maps a candidate number to a reference: recovering a number
from a reference and a mask needs ``k`` (a 2048-bit discrete logarithm, or the hub's key file),
or the hub's evaluation route, which is rate-limited per unit, audited, and closed to a
revoked token. Pure: no I/O; ``secrets`` supplies r.
"""

from __future__ import annotations

import hashlib
import secrets

# RFC 3526, 2048-bit MODP group (group 14): a safe prime p = 2q + 1; the squares mod p are the
# subgroup of prime order q the protocol works in.
P = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A0879"
    "8E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B"
    "0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA4836"
    "1C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804"
    "F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6"
    "955817183995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF",
    16,
)
Q = (P - 1) // 2
G = 4  # 2 squared: a generator of the order-q subgroup
SCALAR_BITS = 256
ELEMENT_BYTES = 256  # an element of the group as big-endian bytes
ELEMENT_HEX = 2 * ELEMENT_BYTES
KEY_BYTES = 32
_DOMAIN = b"bianmin/id-ref/v1"


class InvalidElement(ValueError):
    """A value that is not an element of the protocol's subgroup (or is a trivial one)."""

    code = "invalid_element"


def key_scalar(key: bytes) -> int:
    """The exponent a reference key stands for: a nonzero 256-bit scalar."""
    if len(key) < 16:
        raise ValueError("the ID reference key must be at least 16 bytes")
    wide = hashlib.shake_256(_DOMAIN + b"/key" + key).digest(SCALAR_BITS // 8)
    return int.from_bytes(wide, "big") % Q or 1


def public_element(key: bytes) -> int:
    """K = g^k: what a unit unblinds with (public: it says nothing of the key)."""
    return pow(G, key_scalar(key), P)


def hash_to_group(number: str) -> int:
    """H(n): the number hashed to a square mod p (an element of the order-q subgroup)."""
    wide = hashlib.shake_256(_DOMAIN + b"/h2g" + number.encode("ascii")).digest(ELEMENT_BYTES + 32)
    x = int.from_bytes(wide, "big") % P
    return pow(x, 2, P)


def _jacobi(a: int, n: int) -> int:
    """The Jacobi symbol (a/n) for odd n: for the prime p, 1 exactly for the squares."""
    a %= n
    result = 1
    while a:
        while a % 2 == 0:
            a //= 2
            if n % 8 in (3, 5):
                result = -result
        a, n = n, a
        if a % 4 == 3 and n % 4 == 3:
            result = -result
        a %= n
    return result if n == 1 else 0


def check_element(value: int) -> int:
    """``value`` if it is a nontrivial element of the order-q subgroup (a square mod p),
    InvalidElement otherwise: the hub evaluates nothing else (an element outside it would leak
    a bit of its key). A Jacobi symbol, not value^q: milliseconds, not tens of them."""
    if not 1 < value < P - 1 or _jacobi(value, P) != 1:
        raise InvalidElement("not an element of the reference group")
    return value


def to_hex(value: int) -> str:
    return value.to_bytes(ELEMENT_BYTES, "big").hex()


def from_hex(text: str) -> int:
    if len(text) != ELEMENT_HEX:
        raise InvalidElement(f"a group element is {ELEMENT_HEX} hex digits")
    try:
        return check_element(int(text, 16))
    except ValueError as exc:
        raise InvalidElement(str(exc)) from None


def finish(number: str, evaluated: int) -> str:
    """The reference from the number and H(n)^k: the outer hash binds both."""
    digest = hashlib.sha256(
        _DOMAIN + b"|" + number.encode("ascii") + b"|" + evaluated.to_bytes(ELEMENT_BYTES, "big")
    ).hexdigest()
    return digest[:32]


def evaluate(element: int, key: bytes) -> int:
    """The hub's step: ``element``^k, for a checked element."""
    return pow(check_element(element), key_scalar(key), P)


def reference(number: str, key: bytes) -> str:
    """ref(n) computed with the key itself: what the hub (or an in-process simulator standing
    in for it) computes; a unit gets the same value through blind/unblind."""
    return finish(number, pow(hash_to_group(number), key_scalar(key), P))


class Blinded:
    """One blinded request: ``element`` goes to the hub; ``unblind`` turns its answer (and the
    hub's public element) into the reference. Holds the number only while the request lives."""

    def __init__(self, number: str) -> None:
        self._number = number
        self._r = secrets.randbits(SCALAR_BITS) or 1
        self.element = hash_to_group(number) * pow(G, self._r, P) % P

    def unblind(self, evaluated: int, public: int) -> str:
        mask = pow(check_element(public), self._r, P)
        y = check_element(evaluated) * pow(mask, -1, P) % P
        return finish(self._number, y)

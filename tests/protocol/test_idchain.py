"""Generations of ID references (protocol.idchain): each one a keyed step from the previous,
carried forward only, and useless without the generation's chain key."""

import secrets

import pytest

from protocol import idchain, identity

NUMBER = "330122196805172318"
K = bytes(range(32))
C2, C3 = b"\x02" * 32, b"\x03" * 32


def test_a_generation_is_the_previous_reference_under_its_chain_key():
    first = identity.reference(NUMBER, K)
    second = idchain.step(first, C2)
    assert idchain.is_reference(second)
    assert second != first
    assert idchain.step(first, C2) == second  # deterministic: the same resident, the same ref
    assert idchain.step(first, C3) != second  # another key, another reference
    keys = {2: C2, 3: C3}
    assert idchain.forward(first, keys, start=1, to=3) == idchain.step(second, C3)
    assert idchain.forward(second, keys, start=2, to=3) == idchain.step(second, C3)
    assert idchain.forward(first, keys, start=1, to=1) == first


def test_references_are_never_carried_back_nor_without_their_key():
    first = identity.reference(NUMBER, K)
    with pytest.raises(ValueError, match="cannot carry"):
        idchain.forward(first, {2: C2}, start=2, to=1)
    with pytest.raises(idchain.MissingChainKey):
        idchain.forward(first, {2: C2}, start=1, to=3)
    with pytest.raises(ValueError, match="not a reference"):
        idchain.step(NUMBER, C2)  # an ID number is no reference
    with pytest.raises(ValueError, match="32 bytes"):
        idchain.step(first, b"short")


def test_a_leaked_reference_key_alone_tests_no_candidate_against_a_generation_2_reference():
    """GIVEN the hub's k, leaked, and a generation-2 reference stored after a rotation
    WHEN every candidate number (the true one among them) is turned into its reference with k
    THEN none matches; with c_2 as well the true one does."""
    c2 = secrets.token_bytes(32)
    stored = idchain.step(identity.reference(NUMBER, K), c2)
    first17 = [NUMBER[:14] + f"{n:03d}" for n in range(215, 245)]  # 231 is the resident's
    candidates = [f + identity.check_digit(f) for f in first17]
    assert NUMBER in candidates
    with_k = {c: identity.reference(c, K) for c in candidates}
    assert stored not in set(with_k.values())
    assert [c for c, ref in with_k.items() if idchain.step(ref, c2) == stored] == [NUMBER]


def test_pairs_travel_as_one_text_and_anything_else_in_it_is_ignored():
    pairs = [("a" * 32, "b" * 32), ("c" * 32, "d" * 32)]
    text = idchain.format_pairs(pairs)
    assert len(text) == 2 * 65 + 1
    assert idchain.parse_pairs(text) == pairs
    assert idchain.parse_pairs(text + ",330122196805172318:x, junk") == pairs
    assert idchain.parse_pairs(None) == []

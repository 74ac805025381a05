"""The offline reference (protocol.idseal): sealed to the hub, evaluated there later, the same
reference as the online blinded exchange; nothing the unit keeps opens without the hub."""

import pytest

from protocol import identity, idref, idseal

NUMBER = "330122196805172318"
KEY = bytes(range(32))
UNIT, CASE = "dongjie-cun", "0f" * 16


@pytest.fixture(scope="module")
def hub_private() -> bytes:
    return idseal.new_private_key()


def test_a_reference_made_later_equals_the_online_one(hub_private):
    pending = idseal.pend(NUMBER, idseal.public_key(hub_private), UNIT, CASE)
    evaluated, s = idseal.evaluate(pending.element, pending.sealed, hub_private, KEY, UNIT, CASE)
    later = idseal.finish(pending.boxed, s, evaluated, UNIT, CASE)
    online = idref.Blinded(NUMBER)
    k = idref.key_scalar(KEY)
    now = online.unblind(pow(online.element, k, idref.P), idref.public_element(KEY))
    assert later == now == identity.reference(NUMBER, KEY)


def test_a_sealed_value_opens_only_with_the_hubs_key_and_for_its_own_case(hub_private):
    public = idseal.public_key(hub_private)
    sealed = idseal.seal(public, b"secret", b"case-a")
    assert idseal.unseal(hub_private, sealed, b"case-a") == b"secret"
    with pytest.raises(idseal.SealError):
        idseal.unseal(hub_private, sealed, b"case-b")
    with pytest.raises(idseal.SealError):
        idseal.unseal(idseal.new_private_key(), sealed, b"case-a")
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(idseal.SealError):
        idseal.unseal(hub_private, tampered, b"case-a")
    pending = idseal.pend(NUMBER, public, UNIT, CASE)
    with pytest.raises(idseal.SealError):  # replayed under another case
        idseal.evaluate(pending.element, pending.sealed, hub_private, KEY, UNIT, "1f" * 16)


def test_what_the_unit_keeps_holds_neither_the_number_nor_its_hash(hub_private):
    pending = idseal.pend(NUMBER, idseal.public_key(hub_private), UNIT, CASE)
    kept = idref.to_hex(pending.element).encode() + pending.sealed + pending.boxed
    h = idref.to_hex(idref.hash_to_group(NUMBER))
    assert NUMBER.encode() not in kept
    assert h.encode() not in kept
    assert bytes.fromhex(h) not in kept
    assert pending.element != idref.hash_to_group(NUMBER)
    assert len(pending.sealed) == idseal.SEALED_BYTES
    # two cases of the same resident look unrelated
    again = idseal.pend(NUMBER, idseal.public_key(hub_private), UNIT, CASE)
    assert again.element != pending.element

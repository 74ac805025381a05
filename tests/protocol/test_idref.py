"""The blinded reference exchange (protocol.idref): the unit's unblinded answer is the key's own
reference, the hub sees a different random element each time, and nothing outside the group is
evaluated."""

import secrets

import pytest

from protocol import identity, idref

NUMBER = "330122196805172318"
KEY = secrets.token_bytes(32)


def exchange(number: str, key: bytes) -> tuple[int, str]:
    blinded = idref.Blinded(number)
    evaluated = idref.evaluate(blinded.element, key)
    return blinded.element, blinded.unblind(evaluated, idref.public_element(key))


def test_the_unblinded_answer_is_the_reference_the_key_gives():
    _, ref = exchange(NUMBER, KEY)
    assert ref == identity.reference(NUMBER, KEY) == identity.reference(f" {NUMBER} ", KEY)
    assert len(ref) == 32
    assert set(ref) <= set("0123456789abcdef")


def test_the_hub_sees_a_fresh_element_each_time_and_the_reference_depends_on_the_key():
    first, a = exchange(NUMBER, KEY)
    second, b = exchange(NUMBER, KEY)
    assert a == b
    assert first != second
    assert identity.reference(NUMBER, secrets.token_bytes(32)) != a
    assert identity.reference("11010519491231002X", KEY) != a


@pytest.mark.parametrize(
    "value", [0, 1, idref.P - 1, idref.P, idref.P - idref.hash_to_group(NUMBER)]
)
def test_values_outside_the_group_are_never_evaluated(value):
    with pytest.raises(idref.InvalidElement):
        idref.evaluate(value, KEY)


def test_the_wire_form_is_fixed_width_hex_of_a_group_element():
    element = idref.hash_to_group(NUMBER)
    assert idref.from_hex(idref.to_hex(element)) == element
    for text in ("00", "zz" * idref.ELEMENT_BYTES, idref.to_hex(idref.P - 1)):
        with pytest.raises(idref.InvalidElement):
            idref.from_hex(text)


def test_a_short_key_is_refused():
    with pytest.raises(ValueError, match="at least 16 bytes"):
        identity.reference(NUMBER, b"short")

"""The hub's key ring as a state machine: rotate, promote, retire, one rotation at a time,
and the key list units get at each step."""

import pytest

from hub.signing.ring import KeyState, Ring, RingKey, RingStateError
from protocol.keyring import KeyAnnouncement
from protocol.signing import generate_key, key_id, public_key_to_text


def public() -> str:
    return public_key_to_text(generate_key().public_key())


FIRST, SECOND, THIRD = public(), public(), public()


def some(value: RingKey | KeyAnnouncement | None):
    assert value is not None
    return value


def kid(text: str) -> str:
    from protocol.signing import public_key_from_text

    return key_id(public_key_from_text(text))


def test_a_hub_that_never_rotated_signs_with_its_first_key_and_announces_no_list():
    ring = Ring.initial(FIRST)
    assert ring.serial == 0
    assert ring.current.key_id == kid(FIRST)
    assert ring.announcement() is None  # old agents are never sent a field they cannot read


def test_a_full_rotation_moves_the_serial_and_the_announced_list_at_each_step():
    rotated = Ring.initial(FIRST).rotate(SECOND)
    assert rotated.serial == 1
    assert some(rotated.next).key_id == kid(SECOND)
    assert rotated.current.key_id == kid(FIRST)  # still signing with the pinned key
    listed = some(rotated.announcement())
    assert [k.key_id for k in listed.keys] == [kid(FIRST), kid(SECOND)]
    assert listed.serial == 1

    promoted = rotated.promote()
    assert promoted.serial == 2
    assert promoted.current.key_id == kid(SECOND)
    assert some(promoted.previous).key_id == kid(FIRST)
    assert {k.key_id for k in some(promoted.announcement()).keys} == {kid(FIRST), kid(SECOND)}

    retired = promoted.retire()
    assert retired.serial == 3
    assert retired.previous is None
    announced = some(retired.announcement())
    assert [k.key_id for k in announced.keys] == [kid(SECOND)]
    assert announced.retired == (kid(FIRST),)
    states = {k.key_id: k.state for k in retired.keys}
    assert states == {kid(FIRST): KeyState.RETIRED, kid(SECOND): KeyState.CURRENT}

    again = retired.rotate(THIRD).promote().retire()
    assert again.serial == 6
    assert some(again.announcement()).retired == (kid(SECOND), kid(FIRST))


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (lambda r: r.promote(), "rotate first"),
        (lambda r: r.retire(), "after a promote"),
        (lambda r: r.rotate(SECOND).rotate(THIRD), "announced already"),
        (lambda r: r.rotate(SECOND).retire(), "after a promote"),
        (lambda r: r.rotate(SECOND).promote().rotate(THIRD), "retire it first"),
        (lambda r: r.rotate(FIRST), "in the ring already"),
        (lambda r: r.rotate(SECOND).promote().retire().rotate(FIRST), "in the ring already"),
    ],
)
def test_a_step_that_does_not_follow_is_refused_with_what_would(steps, message):
    with pytest.raises(RingStateError, match=message):
        steps(Ring.initial(FIRST))

"""The clerk roster model and its place in the signed configuration body: PINs are checked
and hashed the same way on both sides, every field is bounded, and a body without a roster
looks exactly as it did before rosters existed."""

import pytest
from pydantic import ValidationError

from protocol.catalog import Material
from protocol.clerks import (
    MAX_CLERKS,
    Clerk,
    ClerkRole,
    ClerkRoster,
    PinHash,
    WeakPin,
    check_pin,
    hash_pin,
    pin_matches,
    random_pin,
)
from protocol.config import ConfigBody
from tests.support.config import body, slice_bytes, slice_ref

# the bounds' cheapest cost (n=2**10, r=1) keeps the tests fast


def _clerk(i: int, pin: str = "285714") -> Clerk:
    return Clerk(id=f"ck-{i:08x}", name=f"工作人员{i}", role=ClerkRole.CLERK,
                 pin=hash_pin(pin, n=2**10, r=1))  # fmt: skip


@pytest.mark.parametrize(
    "pin", ["123456", "654321", "000000", "999999", "12345", "1234567", "12a456", "１２３４５６"]
)
def test_short_long_non_digit_and_obvious_pins_are_refused(pin):
    with pytest.raises(WeakPin):
        check_pin(pin)


def test_random_pins_are_six_digits_that_pass_the_check():
    pins = {random_pin() for _ in range(200)}
    assert all(check_pin(p) == p for p in pins)
    assert len(pins) > 190


def test_a_pin_matches_its_own_hash_only():
    hashed = hash_pin("285714")
    assert (hashed.n, hashed.r, hashed.p) == (2**14, 8, 1)
    assert pin_matches("285714", hashed)
    for other in ("285715", "28571", "2857140", "", "abcdef"):
        assert not pin_matches(other, hashed)
    again = hash_pin("285714")
    assert again.salt != hashed.salt  # salted: the same PIN never hashes the same twice
    assert again.digest != hashed.digest


@pytest.mark.parametrize(
    "change",
    [{"n": 2**16}, {"n": 3000}, {"n": 2**9}, {"r": 9}, {"p": 3}, {"salt": "00"},
     {"digest": "G" * 64}, {"scheme": "md5"}, {"extra": 1}],
)  # fmt: skip
def test_a_pin_hash_outside_its_bounds_is_refused(change):
    good = hash_pin("285714", n=2**10, r=1).model_dump()
    with pytest.raises(ValidationError):
        PinHash.model_validate({**good, **change})


def test_a_roster_is_bounded_and_has_no_duplicate_ids():
    one = _clerk(1)
    assert ClerkRoster(clerks=(one,)).get(one.id) == one
    with pytest.raises(ValidationError, match="listed twice"):
        ClerkRoster(clerks=(one, one))
    with pytest.raises(ValidationError):
        ClerkRoster(clerks=tuple(_clerk(i) for i in range(MAX_CLERKS + 1)))
    with pytest.raises(ValidationError):
        ClerkRoster(clerks=(), lockout_s=10)
    for bad in ({"id": "ck-1"}, {"name": ""}, {"name": "王" * 21}, {"name": "王\u202e芳"},
                {"role": "mayor"}):  # fmt: skip
        with pytest.raises(ValidationError):
            Clerk.model_validate({**one.model_dump(), **bad})


def test_a_body_without_a_roster_leaves_the_field_out_and_one_with_it_round_trips():
    plain = body(slice_ref(slice_bytes()))
    assert "clerks" not in plain  # a unit from before rosters still accepts this body
    roster = ClerkRoster(clerks=(_clerk(1), _clerk(2, "428571")))
    with_roster = body(slice_ref(slice_bytes()), clerks=roster)
    parsed = ConfigBody.model_validate(with_roster)
    assert parsed.clerks == roster
    assert pin_matches("428571", parsed.clerks.clerks[1].pin)


def test_where_to_obtain_a_material_is_left_out_of_the_json_when_unset():
    assert "obtain_at" not in Material(name="户口簿复印件").model_dump(mode="json")
    m = Material(name="户口簿复印件", obtain_at="户籍所在地派出所")
    assert Material.model_validate(m.model_dump(mode="json")) == m

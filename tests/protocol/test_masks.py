"""ID-number masks (issue 17): the first and the last character only, wherever a mask is kept
or sent, and the hub reduces any longer mask a unit sends to the same."""

from protocol import identity

NUMBER = "330122196805172318"


def test_a_mask_shows_the_first_and_last_character_only():
    assert identity.mask(NUMBER) == "3" + "*" * 16 + "8"
    assert identity.mask(" 33012219680517231x ") == "3" + "*" * 16 + "X"


def test_a_longer_mask_from_an_older_unit_is_reduced():
    assert identity.remask("3301**********2318") == identity.mask(NUMBER)
    assert identity.remask(NUMBER) == identity.mask(NUMBER)
    assert identity.remask("ab") == "**"

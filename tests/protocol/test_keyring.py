"""A unit's trust state: it moves forward only, from lists signed by a key it trusts, and a
retired key never comes back."""

import pytest

from protocol.keyring import (
    AnnouncedKey,
    KeyAnnouncement,
    KeyListRefused,
    StaleKeyList,
    TrustState,
)
from protocol.signing import (
    RetiredKey,
    UnknownKey,
    generate_key,
    key_id,
    public_key_to_text,
    sign_document,
)

OLD, NEW, ROGUE = generate_key(), generate_key(), generate_key()


def ident(key) -> str:
    return key_id(key.public_key())


def listed(serial, *keys, retired=()):
    return KeyAnnouncement(
        serial=serial,
        keys=tuple(
            AnnouncedKey(key_id=ident(k), public_key=public_key_to_text(k.public_key()))
            for k in keys
        ),
        retired=tuple(ident(k) for k in retired),
    )


PINNED = TrustState.pinned(public_key_to_text(OLD.public_key()))


def test_rotation_adds_the_next_key_then_retirement_drops_the_old_one_for_good():
    both = PINNED.accept(listed(1, OLD, NEW), signed_by=ident(OLD))
    assert both.ids == tuple(sorted([ident(OLD), ident(NEW)]))
    promoted = both.accept(listed(2, NEW, OLD), signed_by=ident(NEW))
    done = promoted.accept(listed(3, NEW, retired=[OLD]), signed_by=ident(NEW))
    assert done.ids == (ident(NEW),)
    assert done.retired == (ident(OLD),)
    doc = sign_document({"v": 1}, OLD)
    with pytest.raises(RetiredKey, match="retired"):
        done.trusted.verify_signed(doc)
    assert done.trusted.verify_signed(sign_document({"v": 1}, NEW)) == ident(NEW)
    # a later list naming the old key again cannot bring it back
    back = done.accept(listed(4, NEW, OLD), signed_by=ident(NEW))
    assert back.ids == (ident(NEW),)


def test_an_older_or_conflicting_list_is_refused_and_the_same_one_again_changes_nothing():
    both = PINNED.accept(listed(2, OLD, NEW), signed_by=ident(OLD))
    with pytest.raises(StaleKeyList):
        both.accept(listed(1, OLD), signed_by=ident(OLD))
    assert both.accept(listed(2, OLD, NEW), signed_by=ident(OLD)) == both
    with pytest.raises(KeyListRefused, match="differs"):
        both.accept(listed(2, OLD), signed_by=ident(OLD))


def test_a_list_signed_by_an_untrusted_key_or_dropping_its_signer_is_refused():
    with pytest.raises(KeyListRefused, match="not trusted"):
        PINNED.accept(listed(1, ROGUE, OLD), signed_by=ident(ROGUE))
    with pytest.raises(KeyListRefused, match="drops the key that signed it"):
        PINNED.accept(listed(1, NEW), signed_by=ident(OLD))
    with pytest.raises(UnknownKey, match="not trusted here"):
        PINNED.trusted.verify_signed(sign_document({"v": 1}, ROGUE))


def test_a_list_must_name_each_key_by_its_own_id():
    with pytest.raises(ValueError, match="not the id of its public key"):
        AnnouncedKey(key_id=ident(OLD), public_key=public_key_to_text(NEW.public_key()))


def test_the_state_survives_its_file_form():
    state = PINNED.accept(listed(1, OLD, NEW), signed_by=ident(OLD))
    assert TrustState.from_json(state.to_json()) == state

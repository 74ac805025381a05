"""The unit's trust list at work in its config applier and its `cmd` receiver: a key list in
a verified config moves it forward and is kept across a restart; one announced under a key the
unit does not trust is refused and changes nothing; after retirement, configs and commands
signed by the old key are refused with the reason."""

import asyncio

from edge.config import ArtifactFetcher, ConfigApplier
from edge.notices.inbox import NoticeInbox
from edge.notices.receiver import NoticeReceiver
from edge.trust import TRUST_FILE, TrustStore
from protocol.config import ConfigBody
from protocol.keyring import AnnouncedKey, KeyAnnouncement, TrustState
from protocol.signing import generate_key, key_id, public_key_to_text
from tests.edge.notices.signed import signed as signed_notice
from tests.support.config import body, payload, put_in_cache, signed, slice_bytes, slice_ref

OLD, NEW, ROGUE = generate_key(), generate_key(), generate_key()
SLICE = slice_bytes()
REF = slice_ref(SLICE)


def ident(key):
    return key_id(key.public_key())


def keys(serial, *live, retired=()):
    return KeyAnnouncement(
        serial=serial,
        keys=tuple(AnnouncedKey(key_id=ident(k), public_key=public_key_to_text(k.public_key()))
                   for k in live),
        retired=tuple(ident(k) for k in retired),
    ).model_dump(mode="json")  # fmt: skip


def config(version, key, listed=None):
    extra = {"keys": listed, "schema_version": 2} if listed else {}
    return payload(signed(key, "t001", version, body(REF, **extra)))


def open_unit(root):
    trust = TrustStore.open(
        root / "config" / TRUST_FILE, public_key_to_text(OLD.public_key()), durable=False
    )
    put_in_cache(root / "artifacts", SLICE)
    applier = ConfigApplier(
        "t001", key=trust, fetcher=ArtifactFetcher(root / "artifacts", None),
        config_dir=root / "config", publish=lambda *a: True, durable=False,
    )  # fmt: skip
    applier.restore()
    return trust, applier


def offer(applier, data):
    return asyncio.run(applier.apply(data))


def test_a_rotation_reaches_the_unit_survives_a_restart_and_retires_the_old_key(tmp_path):
    trust, applier = open_unit(tmp_path)
    assert offer(applier, config(1, OLD)).status == "applied"
    assert trust.report().serial == 0
    assert trust.ids == (ident(OLD),)

    assert offer(applier, config(2, OLD, keys(1, OLD, NEW))).status == "applied"
    assert set(trust.ids) == {ident(OLD), ident(NEW)}

    # restarted mid-rotation: the file, not the pinned key, says what it trusts
    trust, applier = open_unit(tmp_path)
    assert set(trust.ids) == {ident(OLD), ident(NEW)}
    assert applier.version == 2
    assert offer(applier, config(3, NEW, keys(2, NEW, OLD))).status == "applied"
    assert offer(applier, config(4, NEW, keys(3, NEW, retired=[OLD]))).status == "applied"
    assert trust.ids == (ident(NEW),)

    refused = offer(applier, config(5, OLD))
    assert refused.status == "rejected"
    assert refused.reason.startswith("retired_key")
    trust, applier = open_unit(tmp_path)
    assert trust.ids == (ident(NEW),)
    assert applier.version == 4
    assert offer(applier, config(6, OLD)).reason.startswith("retired_key")

    # the cmd channel checks the same list
    receiver = NoticeReceiver(
        "t001", key=trust, inbox=NoticeInbox(tmp_path / "notices.sqlite3", durable=False),
        publish=lambda *a: True,
    )  # fmt: skip
    good = asyncio.run(receiver.handle(signed_notice(NEW, unit="t001")))
    old = asyncio.run(receiver.handle(signed_notice(OLD, unit="t001")))
    assert good is not None
    assert good.ok
    assert old is not None
    assert not old.ok
    assert (old.detail or "").startswith("retired_key")


def test_a_key_announced_under_an_unknown_key_is_refused_and_trust_is_unchanged(tmp_path):
    trust, applier = open_unit(tmp_path)
    assert offer(applier, config(1, OLD)).status == "applied"
    forged = offer(applier, config(2, ROGUE, keys(1, OLD, ROGUE)))
    assert forged.status == "rejected"
    assert forged.reason.startswith("unknown_key")
    # nor can a trusted key's list be rolled back once a newer one is held
    assert offer(applier, config(3, OLD, keys(5, OLD, NEW))).status == "applied"
    stale = offer(applier, config(4, OLD, keys(4, OLD, ROGUE)))
    assert stale.status == "rejected"
    assert stale.reason.startswith("stale_key_list")
    assert set(trust.ids) == {ident(OLD), ident(NEW)}
    assert trust.report().serial == 5
    assert not (tmp_path / "config" / TRUST_FILE).read_text().count(ident(ROGUE))


def test_a_schema_one_body_still_validates_as_before():
    assert ConfigBody.model_validate(body(REF)).keys is None


def test_a_unit_that_missed_a_rotation_is_brought_back_by_pinning_the_new_key(tmp_path):
    _trust, applier = open_unit(tmp_path)
    assert offer(applier, config(1, OLD, keys(1, OLD))).status == "applied"
    assert offer(applier, config(2, NEW)).reason.startswith("unknown_key")  # missed the list
    repinned = TrustStore.open(
        tmp_path / "config" / TRUST_FILE, public_key_to_text(NEW.public_key()), durable=False
    )
    assert repinned is not None
    assert set(repinned.ids) == {ident(OLD), ident(NEW)}
    retired = TrustState(3, {ident(NEW): public_key_to_text(NEW.public_key())}, (ident(OLD),))
    (tmp_path / "config" / TRUST_FILE).write_text(retired.to_json())
    again = TrustStore.open(
        tmp_path / "config" / TRUST_FILE, public_key_to_text(OLD.public_key()), durable=False
    )
    assert again is not None
    assert again.ids == (ident(NEW),)  # a retired key pinned again stays retired

"""An erased resident's events that reach the hub after the erasure (a unit offline all along)
are stored without the reference and the mask, counted on the erasure receipt per unit, and
neither the live projection nor `hub cases rebuild` brings the reference back; the same
resident's new case after the erasure keeps its reference. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from hub.accounts.roles import SYSTEM
from hub.cases.project import rebuild
from hub.commands.tables import COMMANDS
from hub.models import Event
from hub.residents.erase import erase
from hub.residents.tables import RECEIPTS
from protocol import identity
from protocol.case import REFERENCE_RESOLVED_STATE
from protocol.catalog import Approval
from simulators.cases import DEMO_ID_KEY
from tests.hub.cases.ingested import drain, ingest, records
from tests.hub.residents.test_erase import rows_naming
from tests.support.cases import START, ScriptedCase, envelopes, later_transition, matter_where

EVENTS = Event.__table__  # type: ignore[attr-defined]
ID_NUMBER = "341122199001011234"
REF = identity.reference(ID_NUMBER, DEMO_ID_KEY)
ERASED_AT = START + timedelta(days=3)
ONLINE, OFFLINE = "dongjie-cun", "xijie-cun"


def erase_now(engine, key: Ed25519PrivateKey) -> dict:
    with engine.begin() as conn:
        return erase(conn, key, ref=REF, reason="居民申请删除", actor=SYSTEM, now=ERASED_AT)


def receipt_rows(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(select(RECEIPTS).order_by(RECEIPTS.c.erased_at)).all()


def test_late_events_of_an_erased_resident_are_kept_without_their_reference(engine):
    """GIVEN a resident served at two windows, one of them offline through the erasure
    WHEN that unit's events (identified, then reference_resolved) arrive after it, twice
    THEN they are stored without reference and mask, the case counts them, the receipt says
    the unit sent 2 late events, a rebuild restores nothing, and erasing again tells that unit."""
    m = matter_where(approval=Approval.WINDOW)
    served = envelopes(ONLINE, ScriptedCase(ONLINE, m, id_number=ID_NUMBER).transitions())
    ingest(engine, served)
    drain(engine)
    assert [r["applicant_ref"] for r in records(engine).values()] == [REF]
    key = Ed25519PrivateKey.generate()
    first = erase_now(engine, key)
    assert set(first["units_told"]) == {ONLINE}

    offline = ScriptedCase(OFFLINE, m, start=START + timedelta(days=1), id_number=ID_NUMBER)
    steps = offline.transitions()
    case_id = steps[0][1].case_id
    resolved = later_transition(
        case_id, REFERENCE_RESOLVED_STATE, ERASED_AT + timedelta(days=1), applicant=REF,
        blacklisted=False, blacklist_checked=True,
    )  # fmt: skip
    late = envelopes(OFFLINE, [*steps, resolved])
    ingest(engine, late)
    ingest(engine, late)  # delivered again: stored and counted once
    drain(engine)

    # only the open erase command's signed document (dropped once the unit answers) names it
    assert set(rows_naming(engine, REF)) <= {"unit_command"}
    rec = records(engine)[case_id]
    assert (rec["applicant_ref"], rec["id_masked"], rec["events"]) == (None, None, len(late))
    assert rec["status"] == "completed"  # the statistics keep the case
    with engine.connect() as conn:
        identified = conn.execute(
            select(EVENTS.c.body).where(EVENTS.c.case_id == case_id, EVENTS.c.state == "identified")
        ).scalar_one()  # fmt: skip
    assert identified["data"]["method"] == "id_card"  # what does not name them stays
    assert "applicant" not in identified["data"]
    assert "id_masked" not in identified["data"]
    (row,) = receipt_rows(engine)
    assert row.late_events == {OFFLINE: 2}

    rebuild(engine)
    assert set(rows_naming(engine, REF)) <= {"unit_command"}
    assert records(engine)[case_id]["applicant_ref"] is None

    # erasing again tells the unit that came late, with the reference only
    second = erase_now(engine, key)
    assert set(second["units_told"]) == {OFFLINE}
    with engine.connect() as conn:
        (told,) = conn.execute(select(COMMANDS).where(COMMANDS.c.unit == OFFLINE)).all()
    assert told.name == "erase_resident"
    assert told.args == {}


def test_a_case_opened_after_the_erasure_keeps_the_residents_reference(engine):
    m = matter_where(approval=Approval.WINDOW)
    erase_now(engine, Ed25519PrivateKey.generate())
    back = ScriptedCase(ONLINE, m, start=ERASED_AT + timedelta(days=2), id_number=ID_NUMBER)
    ingest(engine, envelopes(ONLINE, back.transitions()))
    drain(engine)
    (rec,) = records(engine).values()
    assert rec["applicant_ref"] == REF
    assert rec["id_masked"] is not None
    (row,) = receipt_rows(engine)
    assert row.late_events is None


def test_another_residents_events_are_stored_as_they_came(engine):
    erase_now(engine, Ed25519PrivateKey.generate())
    m = matter_where(approval=Approval.WINDOW)
    other = ScriptedCase(OFFLINE, m, id_number="341122199202021236")
    ingest(engine, envelopes(OFFLINE, other.transitions()))
    drain(engine)
    (rec,) = records(engine).values()
    assert rec["applicant_ref"] == identity.reference("341122199202021236", DEMO_ID_KEY)
    assert rec["id_masked"] is not None


def test_a_late_event_of_a_resident_erased_before_a_rotation_is_still_scrubbed(engine, tmp_path):
    """GIVEN a resident erased at generation 1, then the reference key rotated
    WHEN a unit that was offline through both sends their events (generation 1, untagged)
    THEN the ingest matches them against the receipt in the receipt's generation and stores
    them without the reference of either generation."""
    from hub.ingest.batch import commit_ingest_batch
    from hub.ingest.intake import take
    from hub.keys import create_key_file, read_key_file
    from hub.signing.store import HubKeys
    from hub.window.idgen import load_generations
    from hub.window.idkey import create_id_key
    from hub.window.rekey import rotate
    from mqttio import Received
    from protocol import topics
    from protocol.topics import Channel
    from tests.hub.cases.ingested import RECEIVED
    from tests.support.cases import tx_payload

    m = matter_where(approval=Approval.WINDOW)
    ingest(engine, envelopes(ONLINE, ScriptedCase(ONLINE, m, id_number=ID_NUMBER).transitions()))
    drain(engine)
    erase_now(engine, Ed25519PrivateKey.generate())
    key_file, signing = tmp_path / "hub_id_key.hex", tmp_path / "hub_signing_key.pem"
    create_id_key(key_file)
    create_key_file(signing)
    keys = HubKeys(read_key_file(signing, strict=False), signing, strict=False)
    rotate(engine, key_file=key_file, keys=keys, actor=SYSTEM, strict=False)
    with engine.connect() as conn:
        gens = load_generations(conn, key_file, strict=True)
    offline = ScriptedCase(OFFLINE, m, start=START + timedelta(days=1), id_number=ID_NUMBER)
    late = envelopes(OFFLINE, offline.transitions())
    message = Received(topics.topic(OFFLINE, Channel.TX), tx_payload(late), 1, False)
    intake = take([message], RECEIVED, drift_s=10**9)
    intake.batch.generations = gens
    commit_ingest_batch(engine, intake.batch)
    drain(engine)

    # the open erase command, signed again at generation 2, is all that names them
    assert set(rows_naming(engine, REF)) <= {"unit_command"}
    assert set(rows_naming(engine, gens.to_current(REF))) <= {"unit_command"}
    (receipt,) = receipt_rows(engine)
    assert receipt.ref_generation == 1
    assert receipt.late_events == {OFFLINE: 1}

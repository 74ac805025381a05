"""Rotating the ID reference key (hub.window.rekey), on SQLite and PostgreSQL: every stored
reference carried to the new generation, table by table, so the same cases match the same
resident, the blacklist still hits, the registry still answers and `hub cases rebuild` gives the
same records; the units are sent their pairs; an interrupted rotation is finished by a second
run; a leaked reference key alone no longer opens what is stored."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner

from bianmin.cli import app as cli_app
from edge.config.contents import _blacklist, usable_blacklist
from edge.workflow.context import green_channel
from hub import audit
from hub.accounts.roles import SYSTEM, command_line_actor
from hub.artifacts.store import artifact_content
from hub.audit import AUDIT
from hub.cases.project import RECORDS, drain_pending, mark_pending, project, rebuild
from hub.commands.tables import COMMANDS
from hub.keys import create_key_file
from hub.models import Event, Unit
from hub.residents.receipts import ref_sha256
from hub.signing.store import HubKeys
from hub.window.blacklist import (
    BlacklistEntry,
    BlacklistEntryCreate,
    add_to_blacklist,
    blacklist_artifact,
)
from hub.window.blacklist_sync import DELIVERY
from hub.window.idgen import (
    RotationUnderWay,
    chain_key,
    chain_key_path,
    load_generations,
    state_row,
)
from hub.window.idkey import create_id_key
from hub.window.proposals import PROPOSALS, propose
from hub.window.registry import RegistryRecord, add_registry_records
from hub.window.rekey import rotate
from protocol import idchain, identity
from protocol.case import GreenChannel

EVENTS = Event.__table__  # type: ignore[attr-defined]
UNITS = Unit.__table__  # type: ignore[attr-defined]
BLACKLIST = BlacklistEntry.__table__  # type: ignore[attr-defined]
REGISTRY = RegistryRecord.__table__  # type: ignore[attr-defined]
NUMBER_A, NUMBER_B = "330122196805172318", "330122197001010010"
T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


@pytest.fixture
def keys(tmp_path):
    key_file = tmp_path / "hub_id_key.hex"
    k = create_id_key(key_file)
    signing = tmp_path / "hub_signing_key.pem"
    create_key_file(signing)
    from hub.keys import read_key_file

    return key_file, k, HubKeys(read_key_file(signing, strict=False), signing, strict=False)


def _event(conn, unit: str, case: uuid.UUID, seq: int, state: str, data: dict) -> None:
    conn.execute(
        EVENTS.insert().values(
            id=uuid.uuid4(), unit=unit, seq=seq, ts=T0, kind="case.transition", case_id=case,
            state=state, body={"case_id": str(case), "state": state, "data": data},
            received_at=T0,
        )
    )  # fmt: skip


def seed(engine, k: bytes) -> dict[str, object]:
    """Two residents: A identified at a window (events, record, blacklist, registry, audit),
    B identified offline (a reference made later) whose withdrawn case was proposed."""
    ref_a, ref_b = identity.reference(NUMBER_A, k), identity.reference(NUMBER_B, k)
    case_a, case_b = uuid.uuid4(), uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(UNITS.insert().values(id="dongjie-cun", online=False, events=4))
        conn.execute(UNITS.insert().values(id="xicun", online=False, events=0))
        masked = {"method": "id_card", "id_masked": "3****************8", "clerk": "c1"}
        _event(conn, "dongjie-cun", case_a, 1, "opened", {"case_ref": "A-1", "clerk": "c1"})
        _event(conn, "dongjie-cun", case_a, 2, "identified", {"applicant": ref_a, **masked})
        _event(conn, "dongjie-cun", case_b, 3, "opened", {"case_ref": "B-1", "clerk": "c1"})
        pending = {"method": "id_card", "applicant": None, "reference": "pending",
                   "id_masked": "3****************0", "clerk": "c1"}  # fmt: skip
        _event(conn, "dongjie-cun", case_b, 4, "identified", pending)
        _event(conn, "dongjie-cun", case_b, 5, "reference_resolved",
               {"applicant": ref_b, "blacklisted": False, "blacklist_checked": True})  # fmt: skip
        project(conn, [case_a, case_b])
        record_b = conn.execute(select(RECORDS).where(RECORDS.c.case_id == case_b)).one()
        assert propose(conn, record_b, T0)
        audit.record(conn, actor=SYSTEM, action="case.owed_lookup", target=f"applicant/{ref_a}")
    with Session(engine) as s:
        add_to_blacklist(s, entry=BlacklistEntryCreate(applicant_ref=ref_a, reason="虚假材料"),
                         actor=SYSTEM)  # fmt: skip
        add_registry_records(s, applicant_ref=ref_a, materials=["户口簿复印件"], source="县公安局",
                             as_of=date(2026, 1, 1))  # fmt: skip
        s.commit()
        blacklist_artifact(s)  # as a rollout signs it into units' configurations
        s.commit()
    return {"a": ref_a, "b": ref_b, "case_a": case_a, "case_b": case_b}


def tables_naming(engine, needle: str) -> list[str]:
    found = []
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if any(needle in str(tuple(r)) for r in conn.execute(select(table))):
                found.append(table.name)
    return found


def records(engine) -> list[tuple]:
    with engine.connect() as conn:
        rows = conn.execute(select(RECORDS).order_by(RECORDS.c.case_id)).all()
    return [tuple(v for k, v in r._mapping.items() if k not in ("projected_at",)) for r in rows]


def test_a_rotation_carries_every_stored_reference_and_the_same_resident_still_matches(
    engine, keys
):
    key_file, k, hub_keys = keys
    seeded = seed(engine, k)
    ref_a, ref_b = str(seeded["a"]), str(seeded["b"])
    assert {
        "case_record", "event", "blacklistentry", "registryrecord", "auditentry", "artifact"
    } <= set(tables_naming(engine, ref_a))  # fmt: skip

    done = rotate(engine, key_file=key_file, keys=hub_keys, actor=command_line_actor(),
                  strict=False)  # fmt: skip

    assert done["generation"] == 2
    c2 = chain_key(key_file, 2, strict=True)  # its own file, owner only
    assert chain_key_path(key_file, 2).stat().st_mode & 0o077 == 0
    new_a, new_b = idchain.step(ref_a, c2), idchain.step(ref_b, c2)
    # the old references are nowhere (the commands' documents carry the pairs to the units)
    assert tables_naming(engine, ref_a) == ["unit_command"]
    assert tables_naming(engine, ref_b) == ["unit_command"]
    with engine.connect() as conn:
        by_case = dict(conn.execute(select(RECORDS.c.case_id, RECORDS.c.applicant_ref)).all())
        assert by_case == {seeded["case_a"]: new_a, seeded["case_b"]: new_b}
        assert conn.execute(select(BLACKLIST.c.applicant_ref)).scalars().all() == [new_a]
        assert conn.execute(select(REGISTRY.c.applicant_ref)).scalars().all() == [new_a]
        assert conn.execute(select(PROPOSALS.c.applicant_ref)).scalars().all() == [new_b]
        targets = conn.execute(select(AUDIT.c.target)).scalars().all()
        assert f"applicant/{new_a}" in targets
        entry = conn.execute(select(AUDIT).where(AUDIT.c.action == "identity.rotate")).one()
        assert entry.actor.startswith("cli:")
        assert entry.detail["generation"] == 2
        assert entry.detail["rekeyed"]["blacklist"] == 1
        assert state_row(conn)["generation"] == 2
        assert state_row(conn)["rotating_to"] is None
        assert conn.execute(select(DELIVERY.c.pending)).scalar_one() >= 1  # to units again
        gens = load_generations(conn, key_file, strict=True)
        sent = conn.execute(
            select(COMMANDS.c.unit, COMMANDS.c.name, COMMANDS.c.args, COMMANDS.c.document)
        ).all()
    assert gens.to_current(ref_a) == new_a  # what a unit's generation-1 reference maps to
    # every unit is told: the one that identified them gets both pairs, the other none
    by_unit = {r.unit: r for r in sent}
    assert set(by_unit) == {"dongjie-cun", "xicun"}
    assert {r.name for r in sent} == {"rekey_references"}
    assert by_unit["dongjie-cun"].args == {"generation": 2}  # the pairs are secret
    told = json.loads(by_unit["dongjie-cun"].document)["args"]
    assert sorted(idchain.parse_pairs(told["pairs"])) == sorted([(ref_a, new_a), (ref_b, new_b)])
    assert json.loads(by_unit["xicun"].document)["args"]["pairs"] == ""

    # the blacklist still hits: the one units get now is of generation 2, and a unit of
    # generation 2 asking for the resident's reference (ref_1, then the chain step) finds them
    with Session(engine) as s:
        signed = blacklist_artifact(s)
        s.commit()
    listed = _blacklist(signed, artifact_content(engine, signed.sha256))
    assert (listed.generation, set(listed)) == (2, {new_a})
    asked = gens.to_current(identity.reference(NUMBER_A, k))
    assert green_channel(asked, usable_blacklist(listed, 2)) is GreenChannel.REFUSED_BLACKLIST
    assert green_channel(asked, usable_blacklist(listed, 1)) is GreenChannel.REFUSED_NO_BLACKLIST

    # the records are folded from the re-keyed events: a rebuild gives the same
    before = records(engine)
    rebuild(engine)
    assert records(engine) == before


def test_an_interrupted_rotation_is_finished_by_a_second_run_each_table_once(engine, keys):
    key_file, k, hub_keys = keys
    seeded = seed(engine, k)
    ref_a = str(seeded["a"])
    half = rotate(engine, key_file=key_file, keys=hub_keys, actor=command_line_actor(),
                  strict=False, stop_after="registry_records")  # fmt: skip
    assert half["rotating_to"] == 2
    with engine.connect() as conn:
        state = state_row(conn)
        assert (state["generation"], state["rotating_to"]) == (1, 2)
        assert set(state["done"]) == {"blacklist", "blacklist_proposals", "registry_records"}
        assert load_generations(conn, key_file, strict=True).rotating
    c2 = chain_key(key_file, 2, strict=True)
    new_a = idchain.step(ref_a, c2)
    assert tables_naming(engine, new_a) == ["blacklistentry", "registryrecord"]
    with Session(engine) as s, pytest.raises(RotationUnderWay):
        blacklist_artifact(s)  # half re-keyed: no list is signed for units meanwhile
    with engine.begin() as conn:
        mark_pending(conn, [uuid.UUID(str(seeded["case_a"]))])
    assert drain_pending(engine) == 0  # nor is a case projected: it waits in the queue
    with pytest.raises(RotationUnderWay):
        rebuild(engine)

    rotate(engine, key_file=key_file, keys=hub_keys, actor=command_line_actor(), strict=False)

    assert drain_pending(engine) == 1
    with engine.connect() as conn:
        assert state_row(conn)["generation"] == 2
        assert conn.execute(select(BLACKLIST.c.applicant_ref)).scalars().all() == [new_a]
        assert conn.execute(select(RECORDS.c.applicant_ref).where(
            RECORDS.c.case_id == seeded["case_a"])).scalar_one() == new_a  # fmt: skip
        rotations = conn.execute(
            select(AUDIT.c.id).where(AUDIT.c.action == "identity.rotate")
        ).all()  # fmt: skip
    assert len(rotations) == 1
    assert tables_naming(engine, ref_a) == ["unit_command"]  # not one table left behind


def test_a_second_rotation_chains_on_and_a_leaked_key_alone_opens_nothing_stored(engine, keys):
    """GIVEN two rotations and the reference key k, leaked
    WHEN every candidate number is turned into its reference with k
    THEN no stored reference is among them; with c_2 and c_3 the resident's is."""
    key_file, k, hub_keys = keys
    seeded = seed(engine, k)
    for _ in range(2):
        rotate(engine, key_file=key_file, keys=hub_keys, actor=command_line_actor(),
               strict=False)  # fmt: skip
    with engine.connect() as conn:
        stored = set(conn.execute(select(RECORDS.c.applicant_ref)).scalars())
        stored |= set(conn.execute(select(BLACKLIST.c.applicant_ref)).scalars())
        gens = load_generations(conn, key_file, strict=True)
    assert gens.current == 3
    first17 = [NUMBER_A[:14] + f"{n:03d}" for n in range(221, 241)]
    candidates = [f + identity.check_digit(f) for f in first17]
    with_k = {c: identity.reference(c, k) for c in candidates}
    assert not stored & set(with_k.values())
    opened = [c for c, ref in with_k.items() if gens.to_current(ref) in stored]
    assert opened == [NUMBER_A]
    assert gens.to_current(str(seeded["a"])) in stored


def test_an_erasure_receipt_keeps_its_generation_and_the_command_line_rotates(
    engine, keys, database_url
):
    from hub.residents.erase import receipts_for
    from hub.residents.tables import RECEIPTS

    key_file, k, _ = keys
    ref = identity.reference(NUMBER_A, k)
    with engine.begin() as conn:
        conn.execute(
            RECEIPTS.insert().values(
                id=uuid.uuid4(), ref_sha256=ref_sha256(ref), erased_at=T0, erased_by="x",
                reason="居民申请", hub_counts={}, units_told={}, units_confirmed={},
            )
        )  # fmt: skip
        assert receipts_for(conn, ref) == 1
    signing = key_file.with_name("hub_signing_key.pem")
    args = ["hub", "id-key", "rotate", "--key-file", str(key_file), "--signing-key-file",
            str(signing), "--database", database_url]  # fmt: skip
    done = CliRunner().invoke(cli_app, args, catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["generation"] == 2
    status = CliRunner().invoke(cli_app, ["hub", "id-key", "status", "--database", database_url])
    assert json.loads(status.stdout) == {"generation": 2, "rotating_to": None, "done": {}}
    with engine.connect() as conn:
        (row,) = conn.execute(select(RECEIPTS)).all()
        # a hash cannot be carried: the receipt stays of generation 1, found by its id
        assert (row.ref_sha256, row.ref_generation) == (ref_sha256(ref), 1)
        assert receipts_for(conn, ref) == 0

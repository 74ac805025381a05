"""A unit's side of a reference rotation (protocol.idchain), on real SQLite files: the links of
enrolled residents move by the hub's pairs with the unit's generation, in one transaction and
only once; a link left behind is never offered; a blacklist of another generation counts as
none; events naming the applicant say their generation; the command waits for an open case."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import UTC, datetime

from edge.commands.base import CommandContext
from edge.commands.kinds import erase_resident, rekey_references
from edge.config.contents import Blacklist, _blacklist, usable_blacklist
from edge.window.residents import ResidentFaces
from edge.window.store import tagged
from protocol import idchain
from protocol.canonical import canonical_json
from protocol.case import IntegrityBlacklist
from protocol.command import UnitCommand
from protocol.messages import CaseTransition
from tests.edge.window.desk import build_desk, plain_matter, running

A1, A2, B1, C1 = "a1" * 16, "a2" * 16, "b1" * 16, "c1" * 16


def test_links_move_to_the_new_generation_once_and_a_link_left_behind_is_not_offered(tmp_path):
    residents = ResidentFaces(tmp_path / "residents.sqlite3")
    residents.link(A1, "tpl-a", "3****************8")
    residents.link(C1, "tpl-c", "4****************1")
    assert residents.generation() == 1
    assert residents.resident_of("tpl-c") is not None

    assert residents.rekey(2, [(A1, A2), (B1, "b2" * 16)]) == 1
    assert residents.generation() == 2
    assert residents.template_for(A2) == "tpl-a"
    assert residents.template_for(A1) is None
    assert residents.resident_of("tpl-a").ref == A2  # type: ignore[union-attr]
    # C1's pair never came (its case had not reached the hub): not offered under generation 2
    assert residents.resident_of("tpl-c") is None
    assert residents.rekey(2, [(A1, A2)]) == 0  # the same command again: nothing left to move
    residents.link("d2" * 16, "tpl-d")  # enrolled now: of the unit's generation
    assert residents.resident_of("tpl-d") is not None
    assert A1.encode() not in (tmp_path / "residents.sqlite3").read_bytes()


def test_a_blacklist_counts_only_at_the_units_generation():
    at_one = _blacklist(None, canonical_json(_doc(None)))  # type: ignore[arg-type]
    at_two = _blacklist(None, canonical_json(_doc(2).model_dump(mode="json", exclude_none=True)))  # type: ignore[arg-type]
    assert isinstance(at_two, Blacklist)
    assert (at_one.generation, at_two.generation) == (1, 2)
    assert usable_blacklist(at_one, 1) == frozenset({A1})
    assert usable_blacklist(at_two, 1) is None  # no list that cannot match: no green channel
    assert usable_blacklist(at_two, 2) == frozenset({A1})
    assert usable_blacklist(frozenset({A1}), 1) == frozenset({A1})
    assert usable_blacklist(None, 2) is None


def _doc(generation: int | None) -> IntegrityBlacklist:
    when = datetime(2026, 11, 28, tzinfo=UTC)
    return IntegrityBlacklist(version=1, issued_at=when, refs=(A1,), generation=generation)


def test_an_event_naming_the_applicant_says_its_generation_after_a_rotation_only():
    case = uuid.uuid4()
    named = CaseTransition(case_id=case, state="identified", data={"applicant": A2})
    assert tagged(named, 1) == named
    assert tagged(named, 2).data == {"applicant": A2, "ref_generation": 2}
    other = CaseTransition(case_id=case, state="signed", data={"clerk": "c1"})
    assert tagged(other, 2) == other


def _command(args: dict) -> UnitCommand:
    now = datetime.now(UTC)
    return UnitCommand(
        id=uuid.uuid4(), unit="u1", name="rekey_references", args=args, issued_at=now,
        expires_at=now, issued_by="cli:x", alg="ed25519", key_id="k", sig="s",
    )  # fmt: skip


def test_the_rekey_command_waits_for_an_open_case_then_moves_the_links(tmp_path):
    residents = ResidentFaces(tmp_path / "residents.sqlite3")
    residents.link(A1, "tpl-a")
    handle = rekey_references.handle
    args = {"generation": 2, "pairs": idchain.format_pairs([(A1, A2)])}
    busy = CommandContext(unit="u1", link=None, event_log=None, data_dir=tmp_path,  # type: ignore[arg-type]
                          window_name="w", busy=lambda: True)  # fmt: skip
    waiting = asyncio.run(handle(_command(args), busy))
    assert (waiting.ok, waiting.retry) == (False, True)
    assert residents.generation() == 1
    free = CommandContext(unit="u1", link=None, event_log=None, data_dir=tmp_path,  # type: ignore[arg-type]
                          window_name="w")  # fmt: skip
    done = asyncio.run(handle(_command(args), free))
    assert done.ok
    assert done.data == {"moved": 1, "generation": 2}
    assert residents.template_for(A2) == "tpl-a"
    bad = asyncio.run(handle(_command({"generation": 1, "pairs": ""}), free))
    assert not bad.ok


def test_an_erasure_of_a_newer_generation_waits_for_the_units_rekeying(tmp_path):
    residents = ResidentFaces(tmp_path / "residents.sqlite3")
    residents.link(A1, "tpl-a")
    ctx = CommandContext(unit="u1", link=None, event_log=None, data_dir=tmp_path,  # type: ignore[arg-type]
                         window_name="w")  # fmt: skip
    erase = _command({"applicant": A2, "generation": 2}).model_copy(
        update={"name": "erase_resident"}
    )
    waiting = asyncio.run(erase_resident.handle(erase, ctx))
    assert (waiting.ok, waiting.retry) == (False, True)
    assert residents.template_for(A1) == "tpl-a"


def test_a_window_takes_the_signed_blacklists_generation_when_it_opens_a_case(tmp_path):
    """GIVEN a unit at generation 1 (provisioned after a rotation, or its command expired) and
    a signed blacklist of generation 2
    WHEN no case is open, the blacklist counts as none (no green channel)
    THEN opening a case takes generation 2, and the blacklist counts again."""
    desk = build_desk(tmp_path)
    w = desk.window
    desk.apply(
        dataclasses.replace(running(plain_matter()), version=2, blacklist=Blacklist({A2}, 2))
    )
    assert w.blacklist() is None

    async def open_case() -> None:
        await desk.sign_in()
        await w.act("open", {})

    asyncio.run(open_case())
    assert w.p.residents.generation() == 2
    assert w.blacklist() == frozenset({A2})

"""The unit's `erase_resident` command without a broker: it erases the resident's template, its
link and their cases' signatures (another resident's stay), answers counts only, is done once
per id, and is put off (not kept, not answered) while the resident's case is open at the
window or events of their cases wait in the outbox."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from edge import retention
from edge.commands.base import CommandContext
from edge.commands.runner import CommandRunner
from edge.commands.store import CommandStore
from edge.eventlog.memory import MemoryEventLog
from edge.face.templates import TemplateStore
from edge.window.residents import ResidentFaces
from edge.window.signatures import SignatureArchive, archive_key
from protocol.command import command_document
from protocol.messages import CaseTransition
from protocol.signing import generate_key, sign_document

KEY = generate_key()
UNIT = "dongjie-cun"
REF, OTHER = "a1" * 16, "b2" * 16
CASE, OTHER_CASE = str(uuid.uuid4()), str(uuid.uuid4())


class NoLink:
    def reconnect(self) -> None: ...

    def reconcile_config(self) -> bool:
        return True


def seed(root: Path) -> None:
    """What a window keeps of two residents: a template with its link and a signature each."""
    templates = TemplateStore(root / retention.TEMPLATES_FILE, bytes(range(32)))
    residents = ResidentFaces(root / retention.RESIDENTS_FILE)
    signatures = SignatureArchive(root / retention.SIGNATURES_FILE, archive_key(bytes(32)))
    for ref, case in ((REF, CASE), (OTHER, OTHER_CASE)):
        residents.link(ref, templates.add(np.ones(128, "<f4")), "3****************8")
        signatures.put(case, "signature", f"strokes of {ref}".encode())


def command(args: dict[str, object]) -> dict[str, object]:
    now = datetime.now(UTC)
    doc = command_document(
        id=uuid.uuid4(), unit=UNIT, name="erase_resident", args=args, issued_at=now,
        expires_at=now + timedelta(hours=1), issued_by="county-admin",
    )  # fmt: skip
    return sign_document(doc, KEY)


def runner(root: Path, log: MemoryEventLog, open_ref: list[str | None]) -> CommandRunner:
    context = CommandContext(
        unit=UNIT, link=NoLink(), event_log=log, data_dir=root, window_name="东街村",
        open_applicant=lambda: open_ref[0],
    )  # fmt: skip
    store = CommandStore(root / "commands.sqlite3")
    return CommandRunner(UNIT, key=KEY.public_key(), store=store, context=context)


def test_erase_removes_the_residents_template_link_and_signatures_and_answers_counts(tmp_path):
    seed(tmp_path)
    run = runner(tmp_path, MemoryEventLog(UNIT), [None])
    raw = command({"applicant": REF, "cases": f"{CASE},not-a-case"})

    outcome = asyncio.run(run.handle(raw))
    again = asyncio.run(run.handle(raw))  # delivered again: answered again, done once

    counts = {"templates": 1, "links": 1, "signatures": 1, "carry_list": 0}
    assert outcome.ok
    assert outcome.data == counts
    assert (again.ok, again.data) == (True, counts)
    assert REF not in outcome.detail
    assert CASE not in outcome.detail
    residents = ResidentFaces(tmp_path / retention.RESIDENTS_FILE)
    templates = TemplateStore(tmp_path / retention.TEMPLATES_FILE, bytes(range(32)))
    signatures = SignatureArchive(tmp_path / retention.SIGNATURES_FILE, archive_key(bytes(32)))
    assert residents.template_for(REF) is None
    assert residents.template_for(OTHER) is not None
    assert len(templates) == 1
    assert signatures.get(CASE, "signature") is None
    assert signatures.get(OTHER_CASE, "signature") == f"strokes of {OTHER}".encode()
    # a new command for the same resident finds nothing more
    third = asyncio.run(run.handle(command({"applicant": REF, "cases": CASE})))
    assert third.data == {"templates": 0, "links": 0, "signatures": 0, "carry_list": 0}


def test_erase_waits_while_the_residents_case_is_open_or_its_events_are_undelivered(tmp_path):
    seed(tmp_path)
    log = MemoryEventLog(UNIT)
    open_ref: list[str | None] = [REF]
    run = runner(tmp_path, log, open_ref)
    raw = command({"applicant": REF, "cases": CASE})

    at_window = asyncio.run(run.handle(raw))
    assert at_window.retry
    assert not at_window.ok
    assert "open" in at_window.detail
    assert run.store.done(str(raw["id"])) is None  # not kept: the hub's next copy is tried

    open_ref[0] = None
    data = {"applicant": REF, "id_masked": "3****************8"}
    envelope = asyncio.run(
        log.append(CaseTransition(case_id=uuid.UUID(CASE), state="identified", data=data))
    )
    waiting = asyncio.run(run.handle(raw))
    assert waiting.retry
    assert "1 events" in waiting.detail
    assert ResidentFaces(tmp_path / retention.RESIDENTS_FILE).template_for(REF) is not None

    asyncio.run(log.acknowledge([envelope.id]))
    done = asyncio.run(run.handle(raw))
    assert done.ok
    assert not done.retry
    assert done.data
    assert done.data["templates"] == 1

"""The unit's side of operator commands without a broker: log lines lose personal data before
they leave, and a command is done once per id (its answer kept), refusals are not kept."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from edge.commands.base import CommandContext
from edge.commands.runner import CommandRunner
from edge.commands.scrub import scrub
from edge.commands.store import CommandStore
from edge.eventlog.memory import MemoryEventLog
from protocol.command import command_document
from protocol.errors import SignatureError
from protocol.signing import generate_key, sign_document
from simulators.reboot import SimulatedRebooter

KEY = generate_key()


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("applicant 110101199003077777 verified", "applicant [id] verified"),
        ("old card 110101900307777 read", "old card [id] read"),
        ("id 11010119900307777x", "id [id]"),
        ("call 13912345678 back", "call [phone] back"),
        ("clerk_name=李四 signed in", "clerk_name=[name] signed in"),
        ("case for 张三 at 东街村", "case for […] at […]"),
        ("seq 1234567 acked", "seq 1234567 acked"),  # other numbers stay
    ],
)
def test_log_lines_lose_id_numbers_phones_and_names(line, shown):
    assert scrub(line) == shown


class NoLink:
    def reconnect(self) -> None: ...

    def reconcile_config(self) -> bool:
        return True


def runner(tmp_path: Path, rebooter: SimulatedRebooter) -> CommandRunner:
    context = CommandContext(
        unit="dongjie-cun", link=NoLink(), event_log=MemoryEventLog("dongjie-cun"),
        data_dir=tmp_path, window_name="东街村", rebooter=rebooter,
    )  # fmt: skip
    return CommandRunner(
        "dongjie-cun", key=KEY.public_key(), store=CommandStore(tmp_path / "c.sqlite3"),
        context=context,
    )  # fmt: skip


def reboot_command(key: Any = KEY, command_id: uuid.UUID | None = None) -> dict[str, Any]:
    now = datetime.now(UTC)
    doc = command_document(
        id=command_id or uuid.uuid4(), unit="dongjie-cun", name="reboot", args={},
        issued_at=now, expires_at=now + timedelta(hours=1), issued_by="ops",
    )  # fmt: skip
    return sign_document(doc, key)


def test_a_command_is_done_once_per_id_and_a_forged_copy_spoils_nothing(tmp_path):
    rebooter = SimulatedRebooter()
    run = runner(tmp_path, rebooter)
    command_id = uuid.uuid4()

    async def scenario() -> None:
        with pytest.raises(SignatureError):  # a forged copy with the real id comes first
            await run.handle(reboot_command(generate_key(), command_id))
        first = await run.handle(reboot_command(command_id=command_id))
        assert first.ok
        assert first.after is not None
        await first.after()
        again = await run.handle(reboot_command(command_id=command_id))
        assert again.ok
        assert again.after is None  # answered from the store: no second reboot

    asyncio.run(scenario())
    assert rebooter.reboots == 1
    assert run.store.done(str(command_id)) == (True, "rebooting", None)
    run.store.close()

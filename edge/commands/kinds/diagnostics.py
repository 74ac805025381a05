"""`diagnostics`: what an operator needs to see why a unit misbehaves, without personal data:
versions, disk, outbox depth, configuration version, uptime and the recent log lines scrubbed
of ID numbers, phone numbers and names (edge.commands.scrub). Bounded: at most 60 lines of at
most 300 characters, in the answer's ``data``, which the hub stores."""

from __future__ import annotations

import platform
import shutil
import time

from edge.commands.base import CommandContext, Outcome
from edge.commands.logring import ring
from edge.commands.scrub import scrub
from lifecycle import version
from protocol import PROTOCOL_VERSION
from protocol.command import MAX_LOG_LINES, UnitCommand

NAME = "diagnostics"
LINE_CHARS = 300


async def handle(command: UnitCommand, ctx: CommandContext) -> Outcome:
    asked = command.args.get("log_lines", 40)
    count = max(0, min(int(asked) if isinstance(asked, int) else 40, MAX_LOG_LINES))
    lines = [scrub(line)[:LINE_CHARS] for line in ring().recent(count, ctx.unit)] if count else []
    disk = shutil.disk_usage(ctx.data_dir)
    data = {
        "agent_version": version(),
        "protocol_version": str(PROTOCOL_VERSION),
        "python": platform.python_version(),
        "machine": platform.machine()[:64],
        "disk_free_mb": disk.free // 2**20,
        "disk_total_mb": disk.total // 2**20,
        "outbox_depth": ctx.event_log.depth,
        "outbox_bytes": ctx.event_log.size_bytes,
        "config_version": ctx.config_version(),
        "uptime_s": round(time.monotonic() - ctx.started, 1),
        "password_pending": bool(ctx.credentials and ctx.credentials.pending),
        "log": lines,
    }
    return Outcome(True, f"diagnostics collected ({len(lines)} log lines)", data=data)

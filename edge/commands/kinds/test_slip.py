"""`test_slip`: print a short test slip (Chinese) on the window's printer, between cases."""

from __future__ import annotations

import asyncio
from datetime import datetime

from edge.commands.base import CommandContext, Outcome
from edge.devices.printer.document import Document, Feed, Field, Rule, Text
from protocol.calendar import CHINA
from protocol.command import UnitCommand
from protocol.labels import DEVICE_LABELS

NAME = "test_slip"
TITLE = "打印测试单"


def document(command: UnitCommand, ctx: CommandContext) -> Document:
    now = datetime.now(CHINA).strftime("%Y-%m-%d %H:%M")
    return Document(
        title=TITLE,
        blocks=(
            Text(ctx.window_name, align="center", bold=True),
            Text(TITLE, align="center", scale=2),
            Rule(),
            Field("设备编号", ctx.unit),
            Field("打印时间", now),
            Field("指令编号", str(command.id)[:8]),
            Rule(),
            Text(f"{DEVICE_LABELS['printer']}工作正常。本单仅用于测试，无需保存。"),
            Feed(2),
        ),
    )


async def handle(command: UnitCommand, ctx: CommandContext) -> Outcome:
    printer = ctx.printer()
    if printer is None:
        return Outcome(False, "this unit has no printer")
    if ctx.busy():
        return Outcome(False, "a case is open at the window; try again later")
    size = await asyncio.to_thread(printer.print, document(command, ctx))
    return Outcome(True, f"test slip printed ({size} bytes)")

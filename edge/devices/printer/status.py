"""ESC/POS real-time status (DLE EOT n) replies mapped to the protocol's DeviceStatus. Pure.

Each reply is one byte with bits 1 and 4 set and bits 0 and 7 clear; anything else is not a
status byte (noise, or an automatic status message) and is reported as such.
  DLE EOT 1 (printer):   bit 3 offline
  DLE EOT 2 (offline cause): bit 2 cover open, bit 3 feed button, bit 5 stopped by paper end,
                         bit 6 error
  DLE EOT 4 (roll paper sensor): bits 2-3 near end, bits 5-6 paper end
"""

from __future__ import annotations

from typing import Literal

from protocol.labels import DEVICE_LABELS, PAPER_LABELS
from protocol.messages import DeviceStatus

PRINTER = DEVICE_LABELS["printer"]
PAPER_OUT = PAPER_LABELS["out"]
PAPER_NEAR_END = PAPER_LABELS["near_end"]
STOPPED_BY_PAPER_OUT = f"{PAPER_OUT}停止"

DLE_EOT_PRINTER = b"\x10\x04\x01"
DLE_EOT_OFFLINE = b"\x10\x04\x02"
DLE_EOT_PAPER = b"\x10\x04\x04"

Paper = Literal["ok", "near_end", "out"]


def is_status_byte(b: int) -> bool:
    return b & 0x93 == 0x12


def paper_state(b: int) -> Paper:
    if b & 0x60:
        return "out"
    if b & 0x0C:
        return "near_end"
    return "ok"


def offline_reasons(b: int) -> list[str]:
    reasons = []
    if b & 0x04:
        reasons.append("纸仓盖打开")
    if b & 0x20:
        reasons.append(STOPPED_BY_PAPER_OUT)
    if b & 0x08:
        reasons.append("正在走纸")
    if b & 0x40:
        reasons.append(f"{PRINTER}故障")
    return reasons


def _last(reply: bytes | None) -> int | None:
    # a reply may trail bytes of an automatic status message: the answer is the last byte
    return reply[-1] if reply else None


def status_from_replies(
    printer: bytes | None, offline_cause: bytes | None, paper: bytes | None
) -> DeviceStatus:
    """Map the replies to DLE EOT 1, 2 and 4 (None or b"" when no reply came)."""
    p = _last(printer)
    if p is None:
        return DeviceStatus.report(
            present=False, ok=False, detail=f"{PRINTER}无应答（未开机或连线断开）"
        )
    if not is_status_byte(p):
        return DeviceStatus.report(
            present=True, ok=False, detail=f"{PRINTER}状态无法识别（0x{p:02x}）"
        )
    paper_byte = _last(paper)
    state: Paper | None = None
    if paper_byte is not None and is_status_byte(paper_byte):
        state = paper_state(paper_byte)
    if p & 0x08:
        cause = _last(offline_cause)
        reasons = offline_reasons(cause) if cause is not None and is_status_byte(cause) else []
        if state == "out" and STOPPED_BY_PAPER_OUT not in reasons:
            reasons.insert(0, PAPER_OUT)
        detail = f"{PRINTER}离线" + (f"：{'、'.join(reasons)}" if reasons else "")
        return DeviceStatus.report(present=True, ok=False, detail=detail, paper=state)
    if state == "out":
        return DeviceStatus.report(
            present=True, ok=False, detail=f"{PAPER_OUT}，请装纸", paper=state
        )
    if state == "near_end":
        return DeviceStatus.report(
            present=True, ok=True, detail=f"{PAPER_NEAR_END}，请准备换纸", paper=state
        )
    return DeviceStatus.report(present=True, ok=True, detail=None, paper=state)


def unreadable_status(detail: str) -> DeviceStatus:
    """For write-only transports (a file, /dev/usb/lp0): presence is all we know."""
    return DeviceStatus.report(present=True, ok=True, detail=detail, paper=None)

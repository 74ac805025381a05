"""What a unit's last heartbeat says about it, for people: outbox depth and alarm, the
printer's paper, and short Chinese notes on the devices that need someone at the window.
Pure code over the heartbeat document."""

from __future__ import annotations

from typing import Any

from protocol.labels import DEVICE_LABELS, PAPER_LABELS, PAPER_PROBLEMS


def _part(health: dict[str, Any] | None, key: str) -> dict[str, Any]:
    """One object of the heartbeat; an empty one for anything else (ingest validated the
    heartbeat against protocol.messages.Health, but rows outlive protocol versions)."""
    value = (health if isinstance(health, dict) else {}).get(key)
    return value if isinstance(value, dict) else {}


def device_problems(health: dict[str, Any] | None) -> list[str]:
    """Short Chinese notes on the devices that need someone at the window, from a heartbeat."""
    out = []
    for name, status in sorted(_part(health, "devices").items()):
        if not isinstance(status, dict):
            continue
        label = DEVICE_LABELS.get(name, name)
        paper = status.get("paper")
        if paper in PAPER_PROBLEMS:
            out.append(f"{label}{PAPER_LABELS[paper]}")
        elif not status.get("ok", True):
            out.append(f"{label}异常" if status.get("present", True) else f"{label}未连接")
    return out


def health_summary(health: dict[str, Any] | None) -> dict[str, Any]:
    """The fields of UnitPublic that come from the heartbeat."""
    outbox = _part(health, "outbox")
    printer = _part(health, "devices").get("printer") or {}
    return {
        "outbox_depth": outbox.get("depth"),
        "outbox_alarm": bool(outbox.get("alarm", False)),
        "paper": printer.get("paper") if isinstance(printer, dict) else None,
        "device_problems": device_problems(health),
    }

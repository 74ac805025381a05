"""Rollouts as tables for a person at a terminal (`bianmin rollout status`); `--json` gives
the hub's answer unchanged for scripts."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

UNIT_STATES = ("pending", "delivered", "applied", "rejected", "timed_out")
HEAD_FIELDS = (
    "stage", "units", "catalog_version", "profile", "failure_threshold", "timeout_s",
    "paused_reason", "parent_id", "note", "created_by", "created_at",
)  # fmt: skip


def _counts(counts: dict[str, int]) -> list[str]:
    return [str(counts.get(s, 0)) for s in UNIT_STATES]


def rollouts_table(rollouts: list[dict[str, Any]]) -> Table:
    table = Table(title="rollouts", title_justify="left")
    for col in ("id", "kind", "state", "stage", "units", *UNIT_STATES, "created", "by"):
        table.add_column(col, justify="right" if col not in ("kind", "state", "by") else "left")
    for r in rollouts:
        table.add_row(
            str(r["id"]), r["kind"], r["state"], f"{r['stage']}/{r['stages']}", str(r["units"]),
            *_counts(r.get("counts", {})), str(r["created_at"])[:19], r["created_by"],
        )  # fmt: skip
    return table


def rollout_tables(r: dict[str, Any]) -> list[Table]:
    head = Table(title=f"rollout {r['id']}: {r['kind']}, {r['state']}", title_justify="left")
    head.add_column("field")
    head.add_column("value")
    for key in HEAD_FIELDS:
        if r.get(key) is not None:
            value = f"{r['stage']}/{r['stages']}" if key == "stage" else str(r[key])
            head.add_row(key, value)
    stages = Table(title="units per stage", title_justify="left")
    stages.add_column("stage", justify="right")
    for s in UNIT_STATES:
        stages.add_column(s, justify="right")
    for i, counts in enumerate(r.get("stage_counts", [])):
        stages.add_row(str(i), *_counts(counts))
    stages.add_row("all", *_counts(r.get("counts", {})), style="bold")
    tables = [head, stages]
    if r.get("unit_states"):
        units = Table(title="units", title_justify="left")
        for col in ("unit", "state", "version", "reason"):
            units.add_column(col)
        for u in r["unit_states"]:
            units.add_row(
                str(u.get("unit")), str(u.get("state")), str(u.get("version") or ""),
                str(u.get("reason") or ""),
            )  # fmt: skip
        tables.append(units)
    return tables


def print_tables(tables: list[Table]) -> None:
    console = Console()
    for t in tables:
        console.print(t)

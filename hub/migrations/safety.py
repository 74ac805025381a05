"""Which upgrades a hub process may run by itself when it starts, and which need a person.

A start (`hub serve`, `hub ingest`, any command that opens the database) upgrades the schema
only when that is safe while other processes of the older release may still be running
against it: an empty database, or pending revisions that only add (new tables, new indexes,
new columns). Anything else (dropping, renaming or altering a column, changing data) waits for
`bianmin hub migrate`, run by the operator after stopping the old processes and taking a
backup. Whether a revision only adds is read from its ``upgrade()`` source, so a developer
cannot forget to say it: see ADDITIVE_OPS. A revision whose other operations are still safe
beside the old release (an UPDATE filling only the columns it adds, which the old release
does not read) says so and why in a module-level ``SAFE_AT_START = "reason"``."""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory

# operations on `op` / `batch_op` a migration may use and still be run at start
ADDITIVE_OPS = frozenset({"create_table", "create_index", "add_column", "batch_alter_table", "f"})


@dataclass(frozen=True)
class Pending:
    revision: str
    doc: str
    changes: tuple[str, ...]  # the non-additive operations it uses; empty when it only adds

    @property
    def additive(self) -> bool:
        return not self.changes


def declared_safe(path: str) -> str | None:
    """The revision's SAFE_AT_START reason, when it declares one."""
    for node in ast.parse(Path(path).read_text(encoding="utf-8")).body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "SAFE_AT_START" for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            and node.value.value.strip()
        ):
            return node.value.value
    return None


@functools.cache
def operations(path: str) -> frozenset[str]:
    """Names of the ``op.x(...)`` and ``batch_op.x(...)`` calls in a revision's upgrade()."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "upgrade":
            return frozenset(
                call.func.attr
                for call in ast.walk(node)
                if isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and isinstance(call.func.value, ast.Name)
                and call.func.value.id in ("op", "batch_op")
            )
    return frozenset({"(no upgrade function)"})


def pending(scripts: ScriptDirectory, current: str | None, head: str) -> list[Pending]:
    """The revisions between ``current`` (None: an empty database) and ``head``, oldest first."""
    found = []
    for script in scripts.iterate_revisions(head, current or "base"):
        path = str(script.path)
        changes = () if declared_safe(path) else tuple(sorted(operations(path) - ADDITIVE_OPS))
        found.append(Pending(revision=script.revision, doc=script.doc or "", changes=changes))
    return list(reversed(found))


def refusal(steps: list[Pending], current: str | None, head: str) -> str | None:
    """Why a process must not upgrade by itself (None: it may)."""
    unsafe = [p for p in steps if not p.additive]
    if not unsafe:
        return None
    named = "; ".join(f"{p.revision} ({p.doc}: {', '.join(p.changes)})" for p in unsafe)
    return (
        f"the database schema is at revision {current}, this release needs {head}, and "
        f"{named} change existing tables. Stop every hub process of the old release, back "
        "up the database, and run: bianmin hub migrate --database URL"
    )

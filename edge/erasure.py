"""Erase one resident from the unit's stores (the `erase_resident` command): the link from
their reference to an enrolled face template and the template itself, and the signatures
archived with their cases (the command's handler also drops their cases from the agents'
lists of cases to carry, which live in the event log's state). Works on the
stores' files by path, like the retention sweep (edge.retention), so it needs no key; deleted
rows are overwritten (secure_delete) and the WAL truncated, so nothing erased survives in a
file. Returns counts only: the answer to the hub carries no personal data."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import asdict, dataclass
from pathlib import Path

from edge.retention import RESIDENTS_FILE, SIGNATURES_FILE, TEMPLATES_FILE, has_table


@dataclass(frozen=True)
class Erased:
    templates: int = 0
    links: int = 0
    signatures: int = 0

    def counts(self) -> dict[str, int]:
        return asdict(self)


def _delete_in(path: Path, table: str, column: str, values: list[str], keep: str) -> list[str]:
    """Delete ``table``'s rows whose ``column`` is one of ``values``; the ``keep`` column of
    each deleted row. A missing file or table holds nothing."""
    if not values or not path.exists():
        return []
    with closing(sqlite3.connect(path, timeout=10)) as db:
        db.execute("PRAGMA secure_delete = ON")
        if not has_table(db, table):
            return []
        marks = ",".join("?" * len(values))
        where = f"FROM {table} WHERE {column} IN ({marks})"
        with db:
            gone = [str(r[0]) for r in db.execute(f"SELECT {keep} {where}", values)]
            db.execute(f"DELETE {where}", values)
        if gone:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return gone


def erase_resident(data_dir: Path, ref: str, case_ids: list[str]) -> Erased:
    """Delete what the unit's stores under ``data_dir`` hold about the resident ``ref``, whose
    cases (as the hub knows them) are ``case_ids``. Running it again finds nothing more."""
    templates = _delete_in(
        data_dir / RESIDENTS_FILE, "resident_face", "applicant_ref", [ref], "template_id"
    )
    removed = _delete_in(data_dir / TEMPLATES_FILE, "templates", "id", templates, "id")
    signatures = _delete_in(
        data_dir / SIGNATURES_FILE, "signatures", "case_id", case_ids, "case_id"
    )
    return Erased(templates=len(removed), links=len(templates), signatures=len(signatures))

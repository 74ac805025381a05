"""Which enrolled face template belongs to which resident, on this unit only.

The face template store knows templates by opaque random ids; this table links an applicant's
HMAC reference to one, so the two stores together, not either alone, tie a face to a person
(GB/T 35273: biometric data kept apart from identity data). No ID number is stored here.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path


class ResidentFaces:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(path)) as db, db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS resident_face ("
                "applicant_ref TEXT PRIMARY KEY, template_id TEXT NOT NULL, enrolled_at REAL)"
            )

    def template_for(self, ref: str) -> str | None:
        with closing(sqlite3.connect(self.path)) as db:
            row = db.execute(
                "SELECT template_id FROM resident_face WHERE applicant_ref = ?", (ref,)
            ).fetchone()
        return None if row is None else str(row[0])

    def link(self, ref: str, template_id: str) -> str | None:
        """Link a new template; returns the template it replaces (the caller deletes it)."""
        old = self.template_for(ref)
        with closing(sqlite3.connect(self.path)) as db, db:
            db.execute(
                "INSERT INTO resident_face VALUES (?, ?, ?) ON CONFLICT (applicant_ref) "
                "DO UPDATE SET template_id = excluded.template_id, "
                "enrolled_at = excluded.enrolled_at",
                (ref, template_id, time.time()),
            )
        return old

    def unlink(self, ref: str) -> str | None:
        old = self.template_for(ref)
        with closing(sqlite3.connect(self.path)) as db, db:
            db.execute("DELETE FROM resident_face WHERE applicant_ref = ?", (ref,))
        return old

"""Which enrolled face template belongs to which resident, on this unit only.

The face template store knows templates by opaque random ids; this table links an applicant's
HMAC reference (and the masked ID number the kiosk shows) to one, so the two stores together,
not either alone, tie a face to a person (GB/T 35273: biometric data kept apart from identity
data). No ID number is stored here: a 1:N search offers the clerk masked numbers to confirm.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

# the unit's generation in SQL: 1 until a rekey_references command set it
_CURRENT = "SELECT coalesce(max(generation), 1) FROM reference_generation"


@dataclass(frozen=True)
class Resident:
    ref: str
    id_masked: str | None  # None for a resident enrolled before masks were kept


class ResidentFaces:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(path)) as db, db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS resident_face ("
                "applicant_ref TEXT PRIMARY KEY, template_id TEXT NOT NULL, enrolled_at REAL)"
            )
            columns = {r[1] for r in db.execute("PRAGMA table_info(resident_face)")}
            if "id_masked" not in columns:  # a table from before 1:N search
                db.execute("ALTER TABLE resident_face ADD COLUMN id_masked TEXT")
            if "ref_generation" not in columns:  # a table from before reference rotations
                db.execute(
                    "ALTER TABLE resident_face ADD COLUMN ref_generation INTEGER NOT NULL DEFAULT 1"
                )
            db.execute(
                "CREATE INDEX IF NOT EXISTS resident_face_template ON resident_face (template_id)"
            )
            db.execute(
                "CREATE TABLE IF NOT EXISTS reference_generation ("
                "id INTEGER PRIMARY KEY CHECK (id = 1), generation INTEGER NOT NULL)"
            )

    def generation(self) -> int:
        """The reference generation this unit keeps and asks for (protocol.idchain): 1 until
        the hub's first rotation reaches it by a rekey_references command."""
        with closing(sqlite3.connect(self.path)) as db:
            row = db.execute("SELECT generation FROM reference_generation WHERE id = 1").fetchone()
        return 1 if row is None else int(row[0])

    def rekey(self, generation: int, pairs: list[tuple[str, str]]) -> int:
        """Move the links named in ``pairs`` (old reference -> the new generation's) and the
        unit's generation to ``generation``, in one transaction; returns the links moved. Done
        twice, the second finds nothing to move (the old references are gone)."""
        with closing(sqlite3.connect(self.path)) as db:
            # the old references must not linger in freed pages: they are what a leaked
            # reference key alone still opens
            db.execute("PRAGMA secure_delete = ON")
            with db:
                moved = self._move(db, generation, pairs)
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return moved

    def adopt(self, generation: int) -> None:
        """Take ``generation`` if it is past the unit's (never back), moving no link."""
        with closing(sqlite3.connect(self.path)) as db, db:
            self._move(db, generation, [])

    @staticmethod
    def _move(db: sqlite3.Connection, generation: int, pairs: list[tuple[str, str]]) -> int:
        moved = 0
        for old, new in pairs:
            moved += db.execute(
                "UPDATE resident_face SET applicant_ref = ?, ref_generation = ? "
                "WHERE applicant_ref = ? AND ref_generation < ?",
                (new, generation, old, generation),
            ).rowcount
        db.execute(
            "INSERT INTO reference_generation VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET "
            "generation = max(generation, excluded.generation)",
            (generation,),
        )
        return moved

    def template_for(self, ref: str) -> str | None:
        with closing(sqlite3.connect(self.path)) as db:
            row = db.execute(
                "SELECT template_id FROM resident_face WHERE applicant_ref = ?", (ref,)
            ).fetchone()
        return None if row is None else str(row[0])

    def resident_of(self, template_id: str) -> Resident | None:
        """Whose template this is (for a 1:N candidate); None for a template nobody owns, or
        whose link an older reference generation holds (not re-keyed: it would name nobody)."""
        with closing(sqlite3.connect(self.path)) as db:
            row = db.execute(
                "SELECT applicant_ref, id_masked FROM resident_face WHERE template_id = ? AND "
                f"ref_generation >= ({_CURRENT})",
                (template_id,),
            ).fetchone()
        return None if row is None else Resident(str(row[0]), row[1])

    def link(self, ref: str, template_id: str, id_masked: str | None = None) -> str | None:
        """Link a new template (``ref`` of the unit's generation); returns the template it
        replaces (the caller deletes it)."""
        old = self.template_for(ref)
        with closing(sqlite3.connect(self.path)) as db, db:
            db.execute(
                "INSERT INTO resident_face (applicant_ref, template_id, enrolled_at, id_masked, "
                f"ref_generation) VALUES (?, ?, ?, ?, ({_CURRENT})) ON CONFLICT (applicant_ref) "
                "DO UPDATE SET template_id = excluded.template_id, "
                "enrolled_at = excluded.enrolled_at, id_masked = excluded.id_masked, "
                "ref_generation = excluded.ref_generation",
                (ref, template_id, time.time(), id_masked),
            )
        return old

    def unlink(self, ref: str) -> str | None:
        old = self.template_for(ref)
        with closing(sqlite3.connect(self.path)) as db, db:
            db.execute("DELETE FROM resident_face WHERE applicant_ref = ?", (ref,))
        return old

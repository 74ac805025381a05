"""Find resident ID numbers (GB 11643) in clear in anything a test can read: 18 characters,
digits with a last digit or X, not part of a longer run of letters or digits, with a real
birth date and a valid check digit (so a hash, a UUID or a timestamp does not count)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from protocol import identity

_CANDIDATE = re.compile(rb"(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])")


def id_numbers_in(data: bytes | str) -> list[str]:
    raw = data.encode("utf-8", "replace") if isinstance(data, str) else data
    found = []
    for match in _CANDIDATE.finditer(raw):
        number = match.group(1).decode().upper()
        try:
            date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        except ValueError:
            continue
        if identity.check_digit(number[:17]) == number[17]:
            found.append(number)
    return found


def files_under(root: Path, patterns: Iterable[str]) -> dict[str, list[str]]:
    """ID numbers in the raw bytes of matching files (a database's freed pages included)."""
    out: dict[str, list[str]] = {}
    for pattern in patterns:
        for path in root.rglob(pattern):
            if path.is_file():
                hits = id_numbers_in(path.read_bytes())
                if hits:
                    out[str(path.relative_to(root))] = hits
    return out


def database_rows(url: str) -> dict[str, list[str]]:
    """ID numbers in any column of any row of any table of the database at ``url``."""
    from sqlalchemy import MetaData, create_engine, select

    engine = create_engine(url)
    out: dict[str, list[str]] = {}
    try:
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                for row in conn.execute(select(table)):
                    hits = id_numbers_in(repr(tuple(row)))
                    if hits:
                        out.setdefault(table.name, []).extend(hits)
    finally:
        engine.dispose()
    return out

"""The county data registry (信息一库) that windows query to waive materials (无证明).

The table here is an illustrative stand-in for the county's real data exchange: a production
adapter answers the same query from it.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlmodel import Field, Session, SQLModel

from hub.window.applicants import check_ref
from protocol.case import RegistryAnswer, RegistryFact, RegistryQuery


class RegistryRecord(SQLModel, table=True):
    """One fact the county database holds about a resident, e.g. their household register."""

    applicant_ref: str = Field(primary_key=True, max_length=32)
    material: str = Field(primary_key=True, max_length=60)
    source: str = Field(max_length=60)
    as_of: date


def add_registry_records(
    session: Session, *, applicant_ref: str, materials: list[str], source: str, as_of: date
) -> int:
    check_ref(applicant_ref)
    for name in materials:
        row = session.get(RegistryRecord, (applicant_ref, name))
        if row is None:
            row = RegistryRecord(
                applicant_ref=applicant_ref, material=name, source=source, as_of=as_of
            )
        row.source, row.as_of = source, as_of
        session.add(row)
    return len(materials)


def query_registry(session: Session, query: RegistryQuery) -> RegistryAnswer:
    rows = session.execute(
        select(RegistryRecord).where(
            RegistryRecord.applicant_ref == query.applicant,  # type: ignore[arg-type]
            RegistryRecord.material.in_(list(query.materials)),  # type: ignore[attr-defined]
        )
    ).scalars()
    found = {r.material: RegistryFact(source=r.source, as_of=r.as_of) for r in rows}
    return RegistryAnswer(applicant=query.applicant, found=found)

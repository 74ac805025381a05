"""容缺 follow-up between a window and the hub: a unit asks which materials a case still owes
(the applicant shows their slip's QR, or gives their ID number, at any window of the county),
and records 补齐 as a `supplied` transition about that case.

The unit sends either the SHA-256 of the slip's status token (read from the QR) or the
applicant's keyed reference (protocol.identity): never the token's bytes from a photo, never
an ID number. The hub answers with nothing beyond what the slip already says.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from typing import Annotated, Final
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from protocol.bounds import Text
from protocol.case import ApplicantRef, MaterialName

Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
MAX_OWED_CASES: Final = 10  # an answer lists at most this many cases
# secrets.token_urlsafe(24): 192 bits, 32 URL-safe characters
STATUS_TOKEN_BYTES: Final = 24
STATUS_TOKEN_PATTERN: Final = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
STATUS_PATH: Final = "/c/"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def token_sha256(token: str) -> str:
    """What the hub stores and a unit sends about a status token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_from_code(code: str) -> str | None:
    """The status token in what a QR scanner (or a clerk pasting) gives: the slip's URL
    ``.../c/TOKEN`` or the bare token; None when it holds none."""
    text = code.strip()
    if STATUS_PATH in text:
        text = text.rsplit(STATUS_PATH, 1)[1]
    text = text.split("?", 1)[0].split("#", 1)[0].strip("/")
    return text if STATUS_TOKEN_PATTERN.match(text) else None


class OwedLookup(_Model):
    """Exactly one key: the slip's token hash, or the applicant's keyed reference."""

    token_sha256: Sha256Hex | None = None
    applicant: ApplicantRef | None = None
    # the generation of ``applicant`` (protocol.idchain), sent after a rotation only
    generation: Annotated[int, Field(ge=2, le=1_000_000)] | None = None

    @model_validator(mode="after")
    def _one_key(self) -> OwedLookup:
        if (self.token_sha256 is None) == (self.applicant is None):
            raise ValueError("give exactly one of token_sha256 or applicant")
        return self


class OwedCase(_Model):
    """A case with 容缺 materials still owed, as much as the slip tells (no applicant data)."""

    case_id: UUID  # what the unit's `supplied` transition names
    case_ref: Annotated[Text, Field(max_length=64)] | None
    matter_code: Annotated[Text, Field(max_length=32)] | None
    matter_name: Annotated[Text, Field(max_length=60)] | None
    owed: tuple[MaterialName, ...] = Field(max_length=64)
    supply_by: date | None
    lapsed: bool  # past the supply date, within the grace period


class OwedAnswer(_Model):
    cases: tuple[OwedCase, ...] = Field(default=(), max_length=MAX_OWED_CASES)

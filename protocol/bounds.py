"""The bounds every value from a unit must fit in, so that whatever passes validation is also
something the hub's databases store: a message outside them is refused with a reason (and
dead-lettered by the hub) instead of failing a commit that holds other units' messages.

- Integers: 64-bit signed, what SQLite's INTEGER and PostgreSQL's bigint hold.
- Times: 1970-01-01 up to (not including) 2200-01-01 UTC, in any offset. The lower end is the
  Unix epoch, the earliest a unit's clock can show (a Raspberry Pi has no real-time clock and
  boots at its last saved time or, at worst, at the epoch), so a unit with a wrong clock never
  loses a real case. The upper end keeps four-digit years, so the hub's SQLite text times sort
  as times, and stays far from year 9999, where converting an offset to UTC overflows; anything
  in between is storable on SQLite and in PostgreSQL's timestamptz, and a time that is merely
  far from the hub's clock is kept and flagged as clock drift, never refused.
- Text: no C0 or C1 control character (NUL included: PostgreSQL text cannot hold it), no DEL,
  no line or paragraph separator and no bidirectional override or isolate (they make a name
  display as something else on the dashboard); every text field also has a length cap.
- Floats: finite (JSON has no NaN or infinity, and PostgreSQL's json refuses them) and within
  ±2^63, so that an integer beyond 64 bits cannot slip into a field that takes either as a
  float.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
Count = Annotated[int, Field(ge=0, le=INT64_MAX)]  # sequence numbers, versions, sizes
PositiveInt64 = Annotated[int, Field(ge=1, le=INT64_MAX)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False, gt=-(2.0**63), lt=2.0**63)]

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)  # excluded

# Written with escapes, so that an error quoting the pattern carries no control character.
FORBIDDEN_CHARACTERS = r"\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
TEXT_PATTERN = rf"^[^{FORBIDDEN_CHARACTERS}]*$"
_FORBIDDEN = re.compile(f"[{FORBIDDEN_CHARACTERS}\ud800-\udfff]")
MAX_TEXT = 2000

# Printable text of at most 2,000 characters; narrower fields add a length, e.g.
# ``Annotated[Text, Field(max_length=64)]`` (the smaller cap wins).
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT, pattern=TEXT_PATTERN)]


# Constraints checked in pydantic-core, offsets included (a Python validator cost a fifth
# of an event's decoding time); describe() turns the refusal into TIME_RANGE.
Timestamp = Annotated[AwareDatetime, Field(ge=EARLIEST, lt=LATEST)]
TIME_RANGE = (
    "must be from 1970-01-01T00:00:00Z up to 2200-01-01T00:00:00Z, what the hub's databases store"
)


def forbidden_character(text: str) -> str | None:
    """``U+XXXX at position N`` for the first character Text refuses, or None."""
    found = _FORBIDDEN.search(text)
    if found is None:
        return None
    return f"U+{ord(found.group()):04X} at position {found.start()}"


def printable(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` made safe to store and show: refused characters (and lone surrogates) written
    as ``\\uXXXX``, and at most ``limit`` characters, the cut marked with an ellipsis. For
    reasons and other texts the hub writes about what it received."""
    cleaned = _FORBIDDEN.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    if len(cleaned) <= limit:
        return cleaned
    return cleaned[: max(limit - 1, 0)] + "…"


def one_line(text: str, limit: int = MAX_TEXT) -> str:
    """Free text a person typed, made storable as one line: line breaks and every other
    refused character become spaces, runs of white space one space, cut to ``limit``."""
    return " ".join(_FORBIDDEN.sub(" ", text).split())[:limit]

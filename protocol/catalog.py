"""The matter catalog (事项目录): the schema units and the hub share.

Pure models, no I/O: a unit receives a slice of the catalog inside its signed configuration,
so edge code must import this without the hub.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

CATALOG_SCHEMA_VERSION = 1

# An area prefix and a number, e.g. HHR-001; readable on a receipt and short enough for
# CaseTransition.matter_code (32 characters).
MATTER_CODE_PATTERN = r"^[A-Z]{3}-[0-9]{3}$"
MatterCode = Annotated[str, StringConstraints(pattern=MATTER_CODE_PATTERN)]

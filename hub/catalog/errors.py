"""One exception tree for the catalog and the village registry, with stable codes.

A file error carries the file and a list of issues (field or line/column, and reason), so an
operator can fix a bad catalog without reading a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class Issue:
    """One thing wrong with a file: where (a field path, or line and column) and why."""

    where: str
    reason: str
    # an issue in a workbook names its cell too, and says why in Chinese for the page
    sheet: str | None = None
    row: int | None = None
    column: str | None = None  # the column's header
    cell: str | None = None  # e.g. "G5"
    code: str | None = None  # a stable English code for the API
    reason_zh: str | None = None

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {"where": self.where, "reason": self.reason}
        if self.sheet is not None:
            out.update(sheet=self.sheet, row=self.row, column=self.column, cell=self.cell)
        if self.code is not None:
            out.update(code=self.code, reason_zh=self.reason_zh)
        return out


class CatalogError(ValueError):
    """Base of every error raised by hub.catalog."""

    code: ClassVar[str] = "catalog_error"


class CatalogFileError(CatalogError):
    """A catalog or registry file that cannot be used; names the file and each issue."""

    code: ClassVar[str] = "catalog_file_error"

    def __init__(self, file: str, issues: Sequence[Issue]) -> None:
        self.file = file
        self.issues = tuple(issues)
        super().__init__(self.file, self.issues)

    def __str__(self) -> str:
        return "\n".join(f"{self.file}: {i.where}: {i.reason}" for i in self.issues)


class CatalogUnreadable(CatalogFileError):
    code: ClassVar[str] = "catalog_unreadable"


class CatalogSyntaxError(CatalogFileError):
    """Not JSON, or JSON with a duplicate key; the issue names line and column."""

    code: ClassVar[str] = "catalog_syntax"


class CatalogInvalid(CatalogFileError):
    """Valid JSON that breaks the schema or a cross-field rule; each issue names the field."""

    code: ClassVar[str] = "catalog_invalid"


class WorkbookUnreadable(CatalogUnreadable):
    """Not an .xlsx workbook, or one refused before it is opened (too large, too many parts,
    a part that inflates past its bound: a zip bomb)."""

    code: ClassVar[str] = "workbook_unreadable"


class WorkbookInvalid(CatalogInvalid):
    """A workbook whose cells break the layout, the schema or a rule; each issue names the
    sheet, the row and the column."""

    code: ClassVar[str] = "workbook_invalid"


class RegistryMismatch(CatalogFileError):
    """The village registry names matters the catalog does not delegate to village windows."""

    code: ClassVar[str] = "registry_mismatch"


class CatalogNotNewer(CatalogError):
    """A catalog whose version does not exceed the running one, with different content."""

    code: ClassVar[str] = "catalog_not_newer"

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


class RegistryMismatch(CatalogFileError):
    """The village registry names matters the catalog does not delegate to village windows."""

    code: ClassVar[str] = "registry_mismatch"


class CatalogNotNewer(CatalogError):
    """A catalog whose version does not exceed the running one, with different content."""

    code: ClassVar[str] = "catalog_not_newer"

"""Turn a read workbook into a validated catalog and exclusions, or one WorkbookInvalid that
lists every problem with its sheet, row, column, English code and Chinese reason."""

from __future__ import annotations

import re

from pydantic import ValidationError

from hub.catalog.errors import Issue, WorkbookInvalid
from hub.catalog.offered import Exclusions, normalise, problems
from hub.catalog.workbook.cells import Origin
from hub.catalog.workbook.columns import DATA_SHEETS, EXCLUDED
from hub.catalog.workbook.guard import LIMITS, WorkbookLimits
from hub.catalog.workbook.read import Path, WorkbookDocument, cell_issue, read_workbook
from hub.catalog.workbook.reasons import explain_error, explain_rule
from protocol.catalog import Catalog
from protocol.villages import VillageRegistry

FIELD_PREFIX = re.compile(r"^([a-z_][a-z0-9_]*(?:\[\d+\])?(?:\.[a-z_][a-z0-9_]*(?:\[\d+\])?)*): ")
# Chinese names of the fields no single column holds
_LIST_LABELS = {
    "steps_before": "改革前环节",
    "steps_after": "改革后环节",
    "materials": "材料",
    "fees": "收费",
    "matters": "事项",
}
FIELD_LABELS = {
    **{c.field: c.header for sheet in DATA_SHEETS for c in sheet.columns if c.field},
    **_LIST_LABELS,
}


def parse_workbook(
    data: bytes,
    registry: VillageRegistry,
    source: str = "upload.xlsx",
    limits: WorkbookLimits = LIMITS,
) -> tuple[Catalog, Exclusions | None]:
    """The catalog in ``data`` and its exclusions (None: the workbook has no 村级不办理 sheet,
    keep the current ones); WorkbookUnreadable or WorkbookInvalid otherwise."""
    read = read_workbook(data, source, limits)
    issues = list(read.issues)
    catalog = None
    try:
        catalog = Catalog.model_validate(read.document)
    except ValidationError as exc:
        issues += schema_issues(exc, read)
    exclusions = None
    if read.exclusions is not None:
        pairs = [(unit, code) for _, unit, code in read.exclusions]
        issues += _exclusion_issues(read, catalog, registry)
        exclusions = normalise(pairs)
    if issues or catalog is None:
        raise WorkbookInvalid(source, _unique(issues))
    return catalog, exclusions


def _exclusion_issues(
    read: WorkbookDocument, catalog: Catalog | None, registry: VillageRegistry
) -> list[Issue]:
    assert read.exclusions is not None
    out = []
    for row, unit, code in read.exclusions:
        for p in problems([(unit, code)], catalog, registry):
            column = (
                "事项编码"
                if p.problem in ("unknown_matter", "not_delegated")
                else EXCLUDED.columns[0].header
            )
            field = "code" if column == "事项编码" else "unit_id"
            origin = Origin(EXCLUDED.title, row.number, column, row.letters.get(field))
            out.append(cell_issue(origin, p.problem, p.reason_zh, p.message))
    seen: set[tuple[str, str]] = set()
    for row, unit, code in read.exclusions:
        if (unit, code) in seen:
            origin = Origin(EXCLUDED.title, row.number, "事项编码", row.letters.get("code"))
            out.append(cell_issue(origin, "duplicate", "与前面的行重复", "listed twice"))
        seen.add((unit, code))
    return out


def schema_issues(exc: ValidationError, read: WorkbookDocument) -> list[Issue]:
    out = []
    for err in exc.errors(include_url=False):
        loc: Path = tuple(err["loc"])
        if err["type"] == "value_error":
            for line in str(err["msg"]).removeprefix("Value error, ").splitlines():
                match = FIELD_PREFIX.match(line)
                path, message = loc, line
                if match:
                    path = loc + split_field(match.group(1))
                    message = line[match.end() :]
                code, zh = explain_rule(message)
                out.append(_at(read, path, code, zh, message))
        else:
            name = next((p for p in reversed(loc) if isinstance(p, str)), "")
            code, zh = explain_error(err["type"], err.get("ctx"), name)
            out.append(_at(read, loc, code, zh, str(err["msg"])))
    return out


def _at(read: WorkbookDocument, path: Path, code: str, zh: str, message: str) -> Issue:
    """The issue on the cell ``path`` came from, or the nearest row or sheet that holds it;
    the field's Chinese name goes into the reason when no column names it."""
    for cut in range(len(path), -1, -1):
        origin = read.origins.get(path[:cut])
        if origin is not None:
            break
    else:
        origin = Origin("事项")
    if origin.column is None:
        names = [p for p in path[cut:] if isinstance(p, str)]
        if names:
            zh = f"{FIELD_LABELS.get(names[-1], names[-1])}：{zh}"
            message = f"{names[-1]}: {message}"
    return cell_issue(origin, code, zh, message)


def split_field(field: str) -> Path:
    """'materials[1].name' -> ('materials', 1, 'name')."""
    parts: list[int | str] = []
    for name, index in re.findall(r"([a-z_][a-z0-9_]*)(?:\[(\d+)\])?", field):
        parts.append(name)
        if index:
            parts.append(int(index))
    return tuple(parts)


def _unique(issues: list[Issue]) -> list[Issue]:
    """One issue per cell, the first found: a cell the reader could not parse is missing from
    the document, and the schema would only add "required" to it. In sheet order, then row."""
    order = {s.title: i for i, s in enumerate(DATA_SHEETS)}
    seen: set[tuple[object, ...]] = set()
    out = []
    for issue in issues:
        key = (issue.sheet, issue.row, issue.column) if issue.column else (issue.code, issue.where)
        if key not in seen:
            seen.add(key)
            out.append(issue)
    return sorted(out, key=lambda i: (order.get(i.sheet or "", -1), i.row or 0))

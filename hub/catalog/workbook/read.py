"""Read the office's workbook into a catalog document, remembering which cell every value came
from so that the schema's complaints can name the sheet, the row and the column.

openpyxl opens it read-only (rows streamed, never the whole sheet in memory) after
hub.catalog.workbook.guard has checked the zip; every sheet is bounded in rows and columns and
every cell in length."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from hub.catalog.errors import Issue, WorkbookUnreadable
from hub.catalog.workbook.cells import CellProblem, Origin, blank, parse_cell
from hub.catalog.workbook.columns import (
    EXCLUDED,
    FEES,
    INFO,
    MATERIALS,
    MATTERS,
    STEPS,
    Column,
    Sheet,
)
from hub.catalog.workbook.guard import LIMITS, WorkbookLimits, check_workbook_bytes

Path = tuple[int | str, ...]
# blank rows are skipped, but a sheet that is nothing but blank rows is still bounded
_BLANK_ROWS_ALLOWED = 1000


@dataclass
class Row:
    number: int  # the Excel row number
    values: dict[str, Any]  # field -> parsed value, for non-blank cells that parsed
    letters: dict[str, str]  # field -> column letter


@dataclass
class WorkbookDocument:
    """A catalog document as Catalog.model_validate takes it, the villages' exclusions (None
    when the workbook has no 村级不办理 sheet), where each value came from, and the problems
    already found reading cells."""

    document: dict[str, Any]
    exclusions: list[tuple[Row, str, str]] | None
    origins: dict[Path, Origin] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)


def cell_issue(origin: Origin, code: str, reason_zh: str, message: str) -> Issue:
    where = origin.sheet
    if origin.row is not None:
        where += f" row {origin.row}"
    if origin.column is not None:
        where += f", column {origin.column}"
    return Issue(
        where,
        message,
        sheet=origin.sheet,
        row=origin.row,
        column=origin.column,
        cell=origin.cell,
        code=code,
        reason_zh=reason_zh,
    )


def read_workbook(
    data: bytes, source: str = "upload.xlsx", limits: WorkbookLimits = LIMITS
) -> WorkbookDocument:
    check_workbook_bytes(data, source, limits)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        issue = Issue(
            "(file)",
            f"cannot open the workbook: {type(exc).__name__}",
            sheet="",
            code="workbook_refused",
            reason_zh="无法打开该工作簿，请用Excel另存为.xlsx后再导入",
        )
        raise WorkbookUnreadable(source, [issue]) from None
    try:
        reader = _Reader(limits)
        sheets = {}
        for sheet in (INFO, MATTERS, MATERIALS, FEES, STEPS, EXCLUDED):
            if sheet.title in wb.sheetnames:
                sheets[sheet.title] = reader.rows(wb[sheet.title], sheet)
            elif sheet is not EXCLUDED:
                reader.issues.append(
                    cell_issue(
                        Origin(sheet.title), "missing_sheet", "缺少此工作表", "the sheet is missing"
                    )
                )
    finally:
        wb.close()
    return reader.build(sheets)


class _Reader:
    def __init__(self, limits: WorkbookLimits) -> None:
        self.limits = limits
        self.issues: list[Issue] = []
        self.origins: dict[Path, Origin] = {}

    def problem(self, origin: Origin, code: str, zh: str, message: str) -> None:
        self.issues.append(cell_issue(origin, code, zh, message))

    def rows(self, ws: Any, sheet: Sheet) -> list[Row]:
        if sheet is INFO:
            return self._key_values(ws)
        width = len(sheet.columns) + 10
        lines = ws.iter_rows(values_only=True, max_col=width)
        header = next(lines, None) or ()
        columns = self._header(sheet, header)
        out: list[Row] = []
        blanks = 0
        for number, line in enumerate(lines, start=2):
            if all(blank(v) for v in line):
                blanks += 1
                if blanks > _BLANK_ROWS_ALLOWED + sheet.max_rows:
                    break
                continue
            if len(out) >= sheet.max_rows:
                self.problem(
                    Origin(sheet.title, number),
                    "too_many_rows",
                    f"此表最多{sheet.max_rows}行",
                    f"more than {sheet.max_rows} rows",
                )
                break
            out.append(self._row(sheet, number, line, columns))
        return out

    def _header(self, sheet: Sheet, header: tuple[Any, ...]) -> dict[int, Column]:
        by_header = {c.header: c for c in sheet.columns}
        found: dict[int, Column] = {}
        for i, value in enumerate(header):
            if blank(value):
                continue
            text = str(value).strip()
            letter = get_column_letter(i + 1)
            column = by_header.get(text)
            if column is None:
                self.problem(
                    Origin(sheet.title, 1, text[:40], letter),
                    "unknown_column",
                    f"不认识的列“{text[:40]}”（请勿修改表头）",
                    "unknown column",
                )
            elif column in found.values():
                self.problem(
                    Origin(sheet.title, 1, text, letter),
                    "duplicate_column",
                    "此列出现了两次",
                    "the column appears twice",
                )
            else:
                found[i] = column
        for column in sheet.columns:
            if column.required and column not in found.values():
                self.problem(
                    Origin(sheet.title, 1, column.header),
                    "missing_column",
                    "缺少此列",
                    "the column is missing",
                )
        return found

    def _row(
        self, sheet: Sheet, number: int, line: tuple[Any, ...], columns: dict[int, Column]
    ) -> Row:
        row = Row(number, {}, {})
        for i, column in columns.items():
            value = line[i] if i < len(line) else None
            letter = get_column_letter(i + 1)
            row.letters[column.field] = letter
            if column.reference_only or blank(value):
                continue
            try:
                row.values[column.field] = parse_cell(column, value, self.limits.max_cell_chars)
            except CellProblem as exc:
                origin = Origin(sheet.title, number, column.header, letter)
                self.problem(origin, exc.code, exc.reason_zh, exc.message)
        return row

    def _key_values(self, ws: Any) -> list[Row]:
        by_header = {c.header: c for c in INFO.columns}
        values: dict[str, Any] = {}
        for number, line in enumerate(
            ws.iter_rows(values_only=True, max_col=2, max_row=INFO.max_rows), start=1
        ):
            key = str(line[0]).strip() if line and not blank(line[0]) else ""
            column = by_header.get(key)
            if column is None:
                continue
            value = line[1] if len(line) > 1 else None
            self.origins[(column.field,)] = Origin(INFO.title, number, column.header, "B")
            if blank(value):
                continue
            try:
                values[column.field] = parse_cell(column, value, self.limits.max_cell_chars)
            except CellProblem as exc:
                self.problem(self.origins[(column.field,)], exc.code, exc.reason_zh, exc.message)
        return [Row(0, values, {})]

    def build(self, sheets: dict[str, list[Row]]) -> WorkbookDocument:
        info = sheets.get(INFO.title, [Row(0, {}, {})])[0].values
        matters: list[dict[str, Any]] = []
        index: dict[str, int] = {}
        for row in sheets.get(MATTERS.title, []):
            i = len(matters)
            matter = dict(row.values)
            matter.update(steps_before=[], steps_after=[], materials=[], fees=[])
            matters.append(matter)
            self._remember(("matters", i), MATTERS, row)
            code = row.values.get("code")
            if isinstance(code, str):
                index.setdefault(code, i)
        for sheet, key in ((MATERIALS, "materials"), (FEES, "fees")):
            for row, i in self._children(sheets, sheet, index):
                items = matters[i][key]
                self._remember(("matters", i, key, len(items)), sheet, row)
                items.append({k: v for k, v in row.values.items() if k != "code"})
        for row, i in self._children(sheets, STEPS, index):
            stage, step = row.values.get("stage"), row.values.get("step")
            if stage is None or step is None:
                continue  # the blank cell was already reported
            steps = matters[i][stage]
            origin = Origin(
                STEPS.title, row.number, STEPS.column("step").header, row.letters.get("step")
            )
            self.origins[("matters", i, stage, len(steps))] = origin
            steps.append(step)
        document = {**info, "matters": matters}
        excluded = None
        if EXCLUDED.title in sheets:
            excluded = []
            for row in sheets[EXCLUDED.title]:
                unit, code = row.values.get("unit_id"), row.values.get("code")
                if unit is None or code is None:
                    self._blank_required(EXCLUDED, row)
                    continue
                excluded.append((row, str(unit), str(code)))
        return WorkbookDocument(document, excluded, self.origins, self.issues)

    def _children(
        self, sheets: dict[str, list[Row]], sheet: Sheet, index: dict[str, int]
    ) -> Iterator[tuple[Row, int]]:
        """Rows of a sheet that belong to a matter, with the matter's index; a row naming no
        known matter is reported on its 事项编码 cell."""
        for row in sheets.get(sheet.title, []):
            self._blank_required(sheet, row)
            code = row.values.get("code")
            if code is None:
                continue
            i = index.get(str(code))
            if i is None:
                origin = Origin(sheet.title, row.number, "事项编码", row.letters.get("code"))
                self.problem(
                    origin,
                    "unknown_matter",
                    f"事项编码“{str(code)[:20]}”不在“事项”表中",
                    "no such matter on the 事项 sheet",
                )
                continue
            yield row, i

    def _blank_required(self, sheet: Sheet, row: Row) -> None:
        """Required cells left blank in a child sheet (the matters' own blanks are left to the
        schema, which says the same)."""
        for column in sheet.columns:
            if column.required and column.field not in row.values and column.field in row.letters:
                origin = Origin(sheet.title, row.number, column.header, row.letters[column.field])
                self.problem(origin, "required", "必填，不能为空", "required, left blank")

    def _remember(self, path: Path, sheet: Sheet, row: Row) -> None:
        self.origins[path] = Origin(sheet.title, row.number)
        for column in sheet.columns:
            if column.field in row.letters and not column.reference_only:
                self.origins[(*path, column.field)] = Origin(
                    sheet.title, row.number, column.header, row.letters[column.field]
                )

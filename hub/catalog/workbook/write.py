"""Write the catalog as the workbook the government-service office edits by hand: a README
sheet, one sheet per entity with Chinese headers, drop-down lists for the fixed choices.

Every text cell is written as a string, so a name starting with "=" stays text in Excel
instead of becoming a live formula in the office's spreadsheet."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from hub.catalog.workbook.columns import (
    DATA_SHEETS,
    EXCLUDED,
    FEES,
    GROUNDS,
    INFO,
    MATERIALS,
    MATTERS,
    NO,
    README,
    STAGE_AFTER,
    STAGE_BEFORE,
    STEPS,
    YES,
    Column,
    Kind,
    Sheet,
)
from protocol.catalog import WAIVER_GROUND_LABELS, Catalog, Matter
from protocol.villages import VillageRegistry

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_GROUND_MEANING = {
    "not_required_by_law": "没有法律法规要求提交该材料",
    "county_database": "窗口可在县信息一库查询（信息一库认证，无证明）",
    "home_visit_or_joint_review": "入户核查或部门联审即可确认",
    "unverifiable": "任何部门都无法核实，改由申请人书面承诺",
    "document_shown": "窗口出示证照即可证明，不收复印件",
}
_EXACT = 10**15
# Excel's limit for a list written into a data validation formula
_MAX_LIST_FORMULA = 255


def catalog_workbook(
    catalog: Catalog, exclusions: Mapping[str, Sequence[str]], registry: VillageRegistry
) -> bytes:
    """The catalog and the villages' exclusions as .xlsx bytes."""
    wb = Workbook()
    readme = wb.active
    assert readme is not None
    readme.title = README
    _readme(readme)
    _table(wb, INFO, [[c.header, v] for c, v in _info(catalog)], key_value=True)
    _table(wb, MATTERS, [[_cell(c, m) for c in MATTERS.columns] for m in catalog.matters])
    _table(wb, MATERIALS, _materials(catalog.matters))
    _table(wb, FEES, _fees(catalog.matters))
    _table(wb, STEPS, _steps(catalog.matters))
    _table(wb, EXCLUDED, _excluded(exclusions, registry))
    _grounds(wb.create_sheet(GROUNDS))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _info(catalog: Catalog) -> list[tuple[Column, Any]]:
    values = {"version": catalog.version, "title": catalog.title, "_note": catalog.note}
    return [(c, _value(c, values[c.field])) for c in INFO.columns]


def _value(column: Column, raw: Any) -> Any:
    """A model value as the cell shows it (labels, 是/否, yuan)."""
    if raw is None:
        return None
    if column.kind is Kind.BOOL:
        return YES if raw else NO
    if column.kind is Kind.CHOICE:
        return next(label for label, value in column.choices if value == str(raw))
    if column.kind is Kind.SLIPS:
        labels = dict((value, label) for label, value in column.choices)
        return "、".join(labels[str(s)] for s in raw)
    # Excel keeps numbers as doubles: fifteen significant digits survive its round trip;
    # anything longer goes as text, which the reader takes back exactly
    if column.kind is Kind.YUAN:
        return raw / 100 if raw < _EXACT else f"{raw // 100}.{raw % 100:02d}"
    if column.kind is Kind.INT and raw >= _EXACT:
        return str(raw)
    return raw


def _cell(column: Column, model: Any) -> Any:
    return _value(column, getattr(model, column.field))


def _materials(matters: Iterable[Matter]) -> list[list[Any]]:
    rows = []
    for m in matters:
        for mat in m.materials:
            rows.append([m.code] + [_cell(c, mat) for c in MATERIALS.columns[1:]])
    return rows


def _fees(matters: Iterable[Matter]) -> list[list[Any]]:
    return [[m.code] + [_cell(c, f) for c in FEES.columns[1:]] for m in matters for f in m.fees]


def _steps(matters: Iterable[Matter]) -> list[list[Any]]:
    rows = []
    for m in matters:
        rows += [[m.code, STAGE_BEFORE, s] for s in m.steps_before]
        rows += [[m.code, STAGE_AFTER, s] for s in m.steps_after]
    return rows


def _excluded(
    exclusions: Mapping[str, Sequence[str]], registry: VillageRegistry
) -> list[list[Any]]:
    names = {v.unit_id: v.name for v in registry.villages}
    return [
        [unit, names.get(unit, ""), code]
        for unit in sorted(exclusions)
        for code in exclusions[unit]
    ]


def _table(wb: Workbook, sheet: Sheet, rows: list[list[Any]], *, key_value: bool = False) -> None:
    ws = wb.create_sheet(sheet.title)
    headers = ["项目", "内容"] if key_value else [c.header for c in sheet.columns]
    ws.append(headers)
    for row in rows:
        ws.append(row)
    for cell in ws[1]:
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
    ws.freeze_panes = "A2"
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
    for i, header in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(10, min(40, 2 * len(header) + 4))
    if not key_value:
        _validations(ws, sheet, len(rows))


def _validations(ws: Worksheet, sheet: Sheet, rows: int) -> None:
    """Drop-down lists for the fixed choices, over the filled rows and room to add more."""
    last = max(rows + 1, 2) + 500
    for i, column in enumerate(sheet.columns, start=1):
        if column.kind is Kind.BOOL:
            options = [YES, NO]
        elif column.kind is Kind.CHOICE:
            options = [label for label, _ in column.choices]
        else:
            continue
        formula = '"' + ",".join(options) + '"'
        if len(formula) > _MAX_LIST_FORMULA:
            continue
        dv = DataValidation(type="list", formula1=formula, allow_blank=not column.required)
        dv.error, dv.errorTitle = "请从下拉列表中选择", "填写有误"
        letter = get_column_letter(i)
        dv.add(f"{letter}2:{letter}{last}")
        ws.add_data_validation(dv)


def _readme(ws: Worksheet) -> None:
    ws.append(["便民服务事项清单（可编辑工作簿）"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(
        [
            "修改后在平台“事项清单”页面导入：导入的内容成为草稿，显示与各村正在运行版本的差异，"
            "经另一名操作员审核通过后发布为新版本并分批下发到各村终端。"
        ]
    )
    ws.append(
        [
            "导入时逐表逐格校验，每个错误都会指出工作表、行号和列名。不要修改表头；"
            "可以调整行的先后（同一事项的材料、环节按行的先后排列）。"
        ]
    )
    ws.append([])
    ws.append(["工作表", "列", "说明"])
    for cell in ws[ws.max_row]:
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
    for sheet in DATA_SHEETS:
        ws.append([sheet.title, "", sheet.help])
        for column in sheet.columns:
            must = "（必填）" if column.required else ""
            ws.append(["", column.header, f"{column.help}{must}"])
    ws.append([GROUNDS, "", "五种免交依据及其含义（仅供查阅，导入时不读取）"])
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 26
    ws.column_dimensions["C"].width = 90
    for row in ws.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _grounds(ws: Worksheet) -> None:
    ws.append(["免交依据", "代码", "含义"])
    for cell in ws[1]:
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
    for ground, label in WAIVER_GROUND_LABELS.items():
        ws.append([label, ground.value, _GROUND_MEANING[ground.value]])
    for letter, width in (("A", 26), ("B", 30), ("C", 50)):
        ws.column_dimensions[letter].width = width

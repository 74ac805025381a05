"""One cell's value as the catalog field it fills, or a problem that names the cell. Pure
functions: a cell value in, a value or a CellProblem out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.catalog.workbook.columns import NO, YES, Column, Kind


@dataclass(frozen=True)
class Origin:
    """Where a value came from: sheet, Excel row number (1 is the header), column header."""

    sheet: str
    row: int | None = None
    column: str | None = None
    letter: str | None = None

    @property
    def cell(self) -> str | None:
        return f"{self.letter}{self.row}" if self.letter and self.row else None


class CellProblem(ValueError):
    def __init__(self, code: str, reason_zh: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.reason_zh = reason_zh
        self.message = message


# what a 64-bit count of fen holds; bounding it first keeps "1e999999" from becoming a huge int
_MAX_YUAN = Decimal(2**63 - 1) / 100
_SEPARATORS = ("、", "，", ",", "；", ";")


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_cell(column: Column, value: Any, max_chars: int) -> Any:
    """The field value for a non-blank cell; CellProblem if it cannot be one."""
    if isinstance(value, str) and len(value) > max_chars:
        raise CellProblem("too_long", f"超过{max_chars}个字", f"longer than {max_chars} characters")
    if isinstance(value, (datetime, date, time)):
        raise CellProblem("bad_value", "应为文字或数字，不是日期", "a date, not text or a number")
    if column.kind is Kind.TEXT:
        return _text(value)
    if column.kind is Kind.INT:
        return _int(value)
    if column.kind is Kind.BOOL:
        return _bool(value)
    if column.kind is Kind.CHOICE:
        return _choice(column, _text(value).strip())
    if column.kind is Kind.SLIPS:
        text = _text(value)
        for sep in _SEPARATORS[1:]:
            text = text.replace(sep, _SEPARATORS[0])
        return [
            _choice(column, part.strip()) for part in text.split(_SEPARATORS[0]) if part.strip()
        ]
    return _yuan(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise CellProblem("not_integer", "应为整数", "not a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    raise CellProblem("not_integer", "应为整数", f"not a whole number: {str(value)[:40]!r}")


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    if text == YES:
        return True
    if text == NO:
        return False
    raise CellProblem("not_yes_no", "应填“是”或“否”", f"not 是 or 否: {text[:40]!r}")


def _choice(column: Column, text: str) -> str:
    for label, value in column.choices:
        if text in (label, value):
            return value
    labels = "、".join(label for label, _ in column.choices)
    raise CellProblem(
        "unknown_choice",
        f"“{text[:40]}”不是可选值，应为：{labels}",
        f"{text[:40]!r} is not one of the choices",
    )


def _yuan(value: Any) -> int:
    if isinstance(value, bool):
        raise CellProblem("bad_amount", "金额应为数字", "not an amount")
    try:
        amount = Decimal(str(value).strip().lstrip("￥¥"))
    except InvalidOperation:
        raise CellProblem(
            "bad_amount", "金额应为数字", f"not an amount: {str(value)[:40]!r}"
        ) from None
    if not amount.is_finite() or abs(amount) > _MAX_YUAN:
        raise CellProblem("bad_amount", "金额应为合理的数字", "not a finite amount in range")
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise CellProblem("bad_amount", "金额最多两位小数", "more than two decimals")
    return int(fen)

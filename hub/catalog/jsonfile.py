"""Read a JSON data file strictly and turn every failure into issues that name where and why.

Duplicate keys are refused: ``json`` would silently keep the last one, and a catalog where a
second ``"legal_days"`` quietly wins is exactly the mistake an operator cannot see.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hub.catalog.errors import CatalogSyntaxError, CatalogUnreadable, Issue

# A validator message that starts with "field: " names the field it is about (see protocol.catalog).
_FIELD_PREFIX = re.compile(r"^([a-z_][a-z0-9_]*(?:\[\d+\])?(?:\.[a-z_][a-z0-9_]*(?:\[\d+\])?)*): ")
# Keys whose value identifies a list element better than its index does (a year of the
# working-day calendar is labelled by its number).
_LABEL_KEYS = ("code", "unit_id", "name", "year")


class _DuplicateKey(ValueError):
    def __init__(self, key: str, pos: int) -> None:
        super().__init__(key)
        self.key = key
        self.pos = pos


def _line_col(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"line {line}, column {col}"


def _parse_object(
    s_and_end: tuple[str, int],
    strict: bool,
    scan_once: Callable[[str, int], tuple[Any, int]],
    object_hook: Any,
    object_pairs_hook: Any,
    memo: dict[str, str] | None = None,
) -> tuple[dict[str, Any], int]:
    parse = json.decoder.JSONObject  # type: ignore[attr-defined]  # missing from typeshed
    pairs, end = parse(s_and_end, strict, scan_once, None, list, memo)
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key, s_and_end[1] - 1)
        result[key] = value
    return result, end


def _strict_decoder() -> json.JSONDecoder:
    decoder = json.JSONDecoder()
    # typeshed omits these attributes; they are stable parts of the json module since 2.7.
    decoder.parse_object = _parse_object  # type: ignore[attr-defined]
    # The C scanner ignores parse_object; the pure-Python one honours it.
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    return decoder


def parse_json(text: str, source: str) -> Any:
    """Parse ``text``; raise CatalogSyntaxError naming the line and column on any defect."""
    try:
        return _strict_decoder().decode(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise CatalogSyntaxError(source, [Issue(where, f"not valid JSON: {exc.msg}")]) from None
    except _DuplicateKey as exc:
        reason = f"duplicate key {exc.key!r} in the object that starts here"
        raise CatalogSyntaxError(source, [Issue(_line_col(text, exc.pos), reason)]) from None
    except RecursionError:
        raise CatalogSyntaxError(source, [Issue("(file)", "nested too deeply")]) from None
    except ValueError as exc:  # e.g. an integer past Python's digit limit
        raise CatalogSyntaxError(source, [Issue("(file)", f"not valid JSON: {exc}")]) from None


def read_json(path: Path) -> Any:
    """Read and parse a UTF-8 JSON file; errors name the file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        reason = f"cannot read: {exc.strerror or exc}"
        raise CatalogUnreadable(str(path), [Issue("(file)", reason)]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        reason = f"not UTF-8 at byte {exc.start}"
        raise CatalogSyntaxError(str(path), [Issue("(file)", reason)]) from None
    return parse_json(text, str(path))


def _path(loc: tuple[int | str, ...], data: Any) -> str:
    """Render a pydantic location, labelling list elements by their code where they have one."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            if isinstance(node, dict):
                label = next((node[k] for k in _LABEL_KEYS if _is_label(node.get(k))), None)
                if label is not None:
                    out += f"({label})"
        else:
            out += f".{part}" if out else part
            node = node.get(part) if isinstance(node, dict) else None
    return out or "(top level)"


def _is_label(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def validation_issues(exc: ValidationError, data: Any) -> list[Issue]:
    """One issue per pydantic error, with the field path and a reason without pydantic noise."""
    issues = []
    for err in exc.errors(include_url=False):
        base = _path(tuple(err["loc"]), data)
        # A cross-field validator reports several problems, one "field: reason" per line.
        for line in str(err["msg"]).removeprefix("Value error, ").splitlines():
            where, reason = base, line
            match = _FIELD_PREFIX.match(line)
            if match:
                field = _path(_split_field(match.group(1)), _node(data, err["loc"]))
                where = field if base == "(top level)" else f"{base}.{field}"
                reason = line[match.end() :]
            issues.append(Issue(where, reason))
    return issues


def _split_field(field: str) -> tuple[int | str, ...]:
    """'villages[3].division' -> ('villages', 3, 'division')."""
    parts: list[int | str] = []
    for name, index in re.findall(r"([a-z_][a-z0-9_]*)(?:\[(\d+)\])?", field):
        parts.append(name)
        if index:
            parts.append(int(index))
    return tuple(parts)


def _node(data: Any, loc: tuple[int | str, ...]) -> Any:
    for part in loc:
        if isinstance(part, int) and isinstance(data, list) and 0 <= part < len(data):
            data = data[part]
        elif isinstance(part, str) and isinstance(data, dict):
            data = data.get(part)
        else:
            return None
    return data

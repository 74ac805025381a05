"""One matter as the edit form sends it, validated with errors that name the field in
Chinese (材料第2项·材料名称：必填) as well as by its path (materials[1].name)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from hub.catalog.errors import CatalogInvalid, Issue
from hub.catalog.workbook.reasons import explain_error, explain_rule
from hub.catalog.workbook.validate import FIELD_LABELS, FIELD_PREFIX, split_field
from protocol.catalog import Matter

_ITEM_LABELS = {
    "materials": "材料",
    "fees": "收费",
    "steps_before": "改革前环节",
    "steps_after": "改革后环节",
    "slips": "打印单据",
}
_OWN_LABELS = {"item": "收费项目", "amount_fen": "金额", "basis": "收费依据", "name": "名称"}


class MatterInvalid(CatalogInvalid):
    code = "matter_invalid"


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def field_label(loc: tuple[int | str, ...]) -> str:
    """materials[1].name -> 材料第2项·名称"""
    words: list[str] = []
    for i, part in enumerate(loc):
        if isinstance(part, int):
            continue
        nxt = loc[i + 1] if i + 1 < len(loc) else None
        if isinstance(nxt, int):
            words.append(f"{_ITEM_LABELS.get(part, part)}第{nxt + 1}项")
        elif words:
            words.append(_OWN_LABELS.get(part) or FIELD_LABELS.get(part, part))
        else:
            words.append(FIELD_LABELS.get(part, part))
    return "·".join(words) or "事项"


def parse_matter(data: Any) -> Matter:
    try:
        return Matter.model_validate(data)
    except ValidationError as exc:
        raise MatterInvalid("matter", matter_issues(exc)) from None


def matter_issues(exc: ValidationError) -> list[Issue]:
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        if err["type"] == "value_error":
            for line in str(err["msg"]).removeprefix("Value error, ").splitlines():
                match = FIELD_PREFIX.match(line)
                where, message = loc, line
                if match:
                    where = loc + split_field(match.group(1))
                    message = line[match.end() :]
                code, zh = explain_rule(message)
                out.append(
                    Issue(
                        _path(where) or "(matter)",
                        message,
                        code=code,
                        reason_zh=f"{field_label(where)}：{zh}",
                    )
                )
        else:
            name = next((p for p in reversed(loc) if isinstance(p, str)), "")
            code, zh = explain_error(err["type"], err.get("ctx"), name)
            out.append(
                Issue(
                    _path(loc) or "(matter)",
                    str(err["msg"]),
                    code=code,
                    reason_zh=f"{field_label(loc)}：{zh}",
                )
            )
    return out

"""Why a catalog value is refused, as a stable English code for the API and a Chinese sentence
for the county's staff. The schema's own messages (protocol.catalog) are English; this module
is the one place that knows their Chinese wording, for the workbook and the edit form alike."""

from __future__ import annotations

import re
from typing import Any

# the cross-field rules of protocol.catalog, by their English message (after "field: ")
_RULES: tuple[tuple[str, str, str], ...] = (
    (
        r"(\d+) exceeds the legal time limit legal_days=(\d+)",
        "promised_over_legal",
        "承诺时限{0}个工作日超过了法定时限{1}个工作日",
    ),
    (
        r"an instant \(即办\) matter promises 0, not (\d+)",
        "instant_not_zero",
        "即办事项的承诺时限应为0，而不是{0}",
    ),
    (
        r"a matter promised in 0 days is instant",
        "zero_not_instant",
        "承诺时限为0的事项是即办事项，“即办”应为是",
    ),
    (
        r"an instant matter is decided at the window",
        "instant_not_window",
        "即办事项的审批方式应为窗口直审",
    ),
    (
        r"a village-level matter is always handled",
        "village_not_delegated",
        "村级事项必须在村级便民服务站办理，“下沉村级”应为是",
    ),
    (r"duplicate '(.*)'", "duplicate", "“{0}”重复出现"),
    (r"a slip is listed twice", "slip_twice", "同一单据填写了两次"),
    (
        r"a matter with a deferrable \(容缺\) material prints",
        "deficiency_slip_missing",
        "有可容缺材料的事项必须打印容缺受理单",
    ),
    (
        r"deficiency_slip listed, but no material is deferrable",
        "deficiency_slip_unused",
        "没有可容缺材料，不应打印容缺受理单",
    ),
    (
        r"set, but no material is deferrable",
        "grace_without_deferrable",
        "没有可容缺材料，不应填写容缺宽限",
    ),
    (
        r"a waived material needs one of the five",
        "waiver_ground_missing",
        "已免交的材料必须填写免交依据",
    ),
    (r"set, but the material is not waived", "not_waived", "材料未免交，不应填写此项"),
    (r"a waived material is not supplied at all", "waived_deferrable", "已免交的材料不能容缺"),
    (r"a waived material cannot be critical", "waived_critical", "已免交的材料不能是关键材料"),
    (r"容缺 applies only to non-critical materials", "critical_deferrable", "关键材料不能容缺"),
    (r"the catalog lists no matter", "no_matters", "目录中没有任何事项"),
)
_COMPILED = tuple((re.compile(p), code, zh) for p, code, zh in _RULES)


def explain_rule(message: str) -> tuple[str, str]:
    """(code, Chinese) for one of the schema's cross-field messages."""
    for pattern, code, zh in _COMPILED:
        found = pattern.search(message)
        if found:
            return code, zh.format(*found.groups())
    return "invalid", f"不符合规则（{message}）"


def explain_error(err_type: str, ctx: dict[str, Any] | None, field: str) -> tuple[str, str]:
    """(code, Chinese) for a pydantic error of one field."""
    ctx = ctx or {}
    if err_type == "missing":
        return "required", "必填，不能为空"
    if err_type == "string_too_long":
        return "too_long", f"不能超过{ctx.get('max_length')}个字"
    if err_type == "string_too_short":
        return "required", "不能为空"
    if err_type == "string_pattern_mismatch":
        if field in ("code", "matter_code"):
            return "bad_code", "格式应为三个大写字母、短横线和三位数字，如 HHR-001"
        return "bad_characters", "含有不允许的字符（如换行或控制字符）"
    if err_type in ("greater_than", "greater_than_equal"):
        bound = ctx.get("gt", ctx.get("ge"))
        word = "大于" if err_type == "greater_than" else "不小于"
        return "too_small", f"应{word}{bound}"
    if err_type in ("less_than", "less_than_equal"):
        return "too_large", f"不能大于{ctx.get('lt', ctx.get('le'))}"
    if err_type == "too_short":
        return "empty_list", "至少要有一项"
    if err_type == "too_long":
        return "too_many", f"最多{ctx.get('max_length')}项"
    if err_type.startswith(("int_", "bool_", "string_type", "enum", "literal")):
        return "bad_value", "填写的值类型或取值不对"
    if err_type == "extra_forbidden":
        return "unknown_field", "不认识的字段"
    return "invalid", "填写有误"

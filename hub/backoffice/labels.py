"""The Chinese words of the back office's pages: case statuses, the steps on a case's timeline
(the window's and the hub's), notices and their delivery."""

from __future__ import annotations

from typing import Any, Final

from protocol.notice import NOTICE_LABELS, NoticeStep

STATUS_LABELS: Final[dict[str, str]] = {
    "at_window": "窗口办理中", "accepted": "窗口已受理", "forwarded": "待受理",
    "received": "已受理", "correction": "待补正", "completed": "已办结",
    "rejected": "不予受理", "not_accepted": "窗口不予受理", "cancelled": "已取消",
    "withdrawn": "已撤回",
}  # fmt: skip
# the window's states (unit events) and the hub's actions, as one timeline
STEP_LABELS: Final[dict[str, str]] = {
    "opened": "开始办件", "consented": "人脸核验告知", "identified": "身份核验",
    "matter_selected": "选择事项", "materials_checked": "材料核对", "accepted": "窗口受理",
    "deficiency_accepted": "容缺受理", "not_accepted": "窗口不予受理（一次性告知）",
    "signed": "申请人签名", "approved": "窗口审批通过", "forwarded": "报送上级",
    "printed": "打印回执", "rated": "服务评价", "closed": "窗口办件结束",
    "supplied": "补齐材料", "notice_delivered": "通知已交付申请人",
    "received": "受理", "correction": "补正", "resubmitted": "补正材料已收到",
    "completed": "办结", "rejected": "不予受理", "lapsed": "逾期未补齐", "withdrawn": "撤回",
    "handover": "代办材料交接", "note": "备注",
}  # fmt: skip
NOTICE_STATUS_LABELS: Final[dict[str, str]] = {
    "pending": "待送达村窗口", "delivered": "已送达村窗口", "refused": "终端拒收",
}  # fmt: skip
STEP_BUTTONS: Final[dict[str, str]] = {
    "receive": "受理", "correction": "发出补正通知", "resubmitted": "补正材料已收到",
    "complete": "办结并通知申请人", "reject": "不予受理并通知申请人", "handover": "记录交接",
}  # fmt: skip


def notice_label(step: str) -> str:
    try:
        return NOTICE_LABELS[NoticeStep(step)]
    except ValueError:
        return step


def step_detail(step: str, data: dict[str, Any]) -> str:
    """One line of what a timeline entry says beyond its step."""
    parts: list[str] = []
    for key, label in (("result", "结果"), ("reason", "理由"), ("note", "说明")):
        if isinstance(data.get(key), str) and data[key]:
            parts.append(f"{label}：{data[key]}")
    if isinstance(data.get("asked"), list) and data["asked"]:
        parts.append("补正材料：" + "、".join(str(x) for x in data["asked"]))
    if step == "handover" and data.get("agent"):
        parts.append(f"代办员 {data['agent']}，接收人 {data.get('officer', '')}，双方已签名")
    if step == "notice_delivered" and isinstance(data.get("step"), str):
        parts.append(notice_label(data["step"]))
    if isinstance(data.get("clerk"), str) and data["clerk"]:
        parts.append(f"经办人 {data['clerk']}")
    return "；".join(parts)

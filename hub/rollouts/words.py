"""Rollouts in the county's words: states, targets and the reasons the hub records (in
English, for the log and the API) as the pages show them in Chinese. Pure code."""

from __future__ import annotations

import re
from typing import Any

from protocol.villages import VillageRegistry

ROLLOUT_STATES = {
    "running": "进行中", "paused": "已暂停", "completed": "已完成", "rolled_back": "已回滚",
}  # fmt: skip
UNIT_STATES = {
    "pending": "待下发", "delivered": "已下发", "applied": "已应用",
    "rejected": "已拒绝", "timed_out": "超时",
}  # fmt: skip
REPORT_STATES = {"applied": "已应用", "rejected": "已拒绝", "deferred": "推迟中"}

_REASONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^paused by (.+)$"), "{0} 手动暂停"),
    (
        re.compile(r"^stage (\d+) of (\d+): (\d+) of (\d+) units failed .*threshold of (.+)$"),
        "第 {0}/{1} 阶段 {3} 个终端中 {2} 个失败（拒绝或超时），超过 {4} 的阈值，已自动暂停",
    ),
    (re.compile(r"^driver error: (.+)$"), "下发出错，已自动暂停：{0}"),
    (re.compile(r"^no report within (.+) s$"), "超过 {0} 秒未回报"),
    (re.compile(r"^seen in heartbeat$"), "心跳显示已运行该版本"),
    # software updates (edge.update): why a unit waits, and why one rolled back
    (
        re.compile(r"^(?:deferred: )?case_open: case (\S+) .*$"),
        "推迟更新：窗口正在办理业务（{0}），空闲后再更新",
    ),
    (
        re.compile(r"^(?:deferred: )?office_hours: .*\((.+)\)$"),
        "推迟更新：办公时间内不更新（{0}），下班后再更新",
    ),
    (re.compile(r"^(?:deferred: )?restarting: into version (\S+)$"), "正在重启，切换到版本 {0}"),
    (
        re.compile(r"^(?:deferred: )?trial: version (\S+) .*$"),
        "版本 {0} 已启动，等待其报告运行正常",
    ),
    (
        re.compile(r"^version (\S+): update_rolled_back: (.+)$"),
        "版本 {0} 已回退到原版本：{1}；不再重试该版本",
    ),
    (re.compile(r"^version (\S+): bad_release_signature: .*$"), "版本 {0} 的签名无效，拒绝安装"),
    (re.compile(r"^version (\S+): release_invalid: (.+)$"), "版本 {0} 的安装包无效，拒绝安装：{1}"),
    (re.compile(r"^artifact_hash_mismatch: .*$"), "下载内容与签名的哈希不符，拒绝"),
    (re.compile(r"^update_unsupported: .*$"), "终端未在 supervise 下运行，无法更新软件"),
)


def reason_words(reason: str | None) -> str:
    """A pause or unit reason in Chinese when the hub wrote it; a unit's own words as they are."""
    if not reason:
        return ""
    for pattern, words in _REASONS:
        found = pattern.match(reason)
        if found:
            return words.format(*found.groups())
    return reason


def target_words(registry: VillageRegistry, spec: dict[str, Any]) -> str:
    """What a rollout targets, as the county says it: 全县, 清水镇, 东街村, 3 个终端."""
    if "rollback_of" in spec:
        return f"回滚批次 #{spec['rollback_of']} 的终端"
    target = spec.get("target") or {}
    if target.get("all"):
        return "全县"
    if target.get("division"):
        try:
            return registry.division(str(target["division"])).name
        except LookupError:
            return str(target["division"])
    units = target.get("units") or []
    if len(units) == 1:
        try:
            return registry.village(str(units[0])).name
        except LookupError:
            return str(units[0])
    return f"{len(units)} 个终端"

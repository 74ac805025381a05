"""What a case's status page shows: the matter, where the case stands, its deadlines and what
is still owed, in Chinese. Built only from columns the slip already carries: no name, no ID
number (not even masked), no applicant reference, no clerk."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from hub.cases.fold import ENDED, Deficiency, Status
from hub.cases.timelimits import limits
from protocol.calendar import CHINA, WorkCalendar
from protocol.catalog import Catalog
from protocol.villages import RegistryLookupError, VillageRegistry

STATUS_ZH = {
    Status.AT_WINDOW: "窗口办理中",
    Status.ACCEPTED: "已受理",
    Status.FORWARDED: "已报送，等待镇（街道）或部门受理",
    Status.RECEIVED: "审批中",
    Status.CORRECTION: "需要补正材料",
    Status.COMPLETED: "已办结",
    Status.REJECTED: "不予受理",
    Status.NOT_ACCEPTED: "未受理（已一次性告知所需材料）",
    Status.CANCELLED: "已取消",
    Status.WITHDRAWN: "已撤回（逾期未补齐容缺材料）",
}
DEFICIENCY_ZH = {
    Deficiency.OWED: "待补齐材料",
    Deficiency.LAPSED: "已超过补齐期限，请尽快补齐",
    Deficiency.SUPPLIED: "材料已补齐",
    Deficiency.WITHDRAWN: "逾期未补齐，申请已撤回",
}


def zh_date(day: date | None) -> str | None:
    return f"{day.year}年{day.month}月{day.day}日" if day else None


def _days(left: int | None) -> str | None:
    if left is None:
        return None
    if left < 0:
        return f"已超期{-left}个工作日"
    return "今天到期" if left == 0 else f"还剩{left}个工作日"


def _local(when: datetime | None) -> date | None:
    return when.astimezone(CHINA).date() if when else None


def page_view(
    record: Any,
    owed: list[str],
    catalog: Catalog | None,
    registry: VillageRegistry,
    cal: WorkCalendar,
    today: date,
) -> dict[str, Any]:
    matter = catalog.get(record.matter_code) if catalog and record.matter_code else None
    try:
        village = registry.village(record.unit)
        place = f"{registry.division(village.division).name}{village.name}便民服务站"
    except RegistryLookupError:
        place = "便民服务站"
    lim = limits(record, cal, today)
    owing = record.deficiency in (Deficiency.OWED, Deficiency.LAPSED)
    rows = [
        ("受理编号", record.case_ref),
        ("办理事项", matter.name if matter else record.matter_code),
        ("受理窗口", place),
        ("受理日期", zh_date(record.accepted_on)),
        ("承诺办结", _with(zh_date(record.promised_due), _days(lim.promised_left))),
        ("法定时限", _with(zh_date(record.legal_due), _days(lim.legal_left))),
        (
            "办结日期" if record.status == Status.COMPLETED else "结束日期",
            zh_date(_local(record.ended_at)),
        ),
    ]
    return {
        "status": STATUS_ZH.get(Status(record.status), record.status),
        "ended": Status(record.status) in ENDED,
        "rows": [(k, v) for k, v in rows if v],
        "deficiency": DEFICIENCY_ZH.get(Deficiency(record.deficiency)),
        "owing": owing,
        "owed": owed if owing else [],
        "supply_by": _with(zh_date(record.supply_by), _days(lim.supply_left)) if owing else None,
        "overdue": lim.overdue,
    }  # fmt: skip


def _with(day: str | None, note: str | None) -> str | None:
    if day is None:
        return None
    return f"{day}（{note}）" if note else day

"""What every case page shares: who is asking and where they see, the page of results with
its 上一页/下一页 links, lenient reading of a GET form's fields, and the Chinese words for
statuses, 容缺 states and working days left."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final
from urllib.parse import urlencode

from fastapi import Request
from starlette.datastructures import QueryParams

from hub.accounts.area import units_in
from hub.accounts.roles import Actor, Role
from hub.backoffice.labels import STATUS_LABELS
from hub.cases.api import today
from hub.errors import InvalidRequest
from protocol.villages import Village, VillageRegistry

DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 500
MAX_OFFSET: Final = 10_000_000

DEFICIENCY_LABELS: Final[dict[str, str]] = {
    "none": "—", "owed": "待补齐", "supplied": "已补齐", "lapsed": "逾期未补",
    "withdrawn": "已撤回",
}  # fmt: skip
FORWARDED_LABELS: Final[dict[str, str]] = {"town": "报送乡镇", "department": "报送县级部门"}
# the case pages' own navigation, under 办件 in the layout's
TABS: Final = (
    ("/cases", "办件查询"),
    ("/cases/deficient", "容缺待补"),
    ("/cases/due", "临期与超期"),
    ("/cases/forwarded", "转报办件"),
    ("/cases/followups", "差评回访"),
    ("/cases/feedback", "意见簿"),
    ("/cases/blacklist", "失信名单"),
)


def days_left(days: int | None) -> str:
    """Working days left against a limit, in words."""
    if days is None:
        return "—"
    if days < 0:
        return f"超期 {-days} 个工作日"
    return "今日到期" if days == 0 else f"剩 {days} 个工作日"


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


@dataclass(frozen=True)
class Pager:
    """One page of a list and the links to its neighbours (the current query kept)."""

    total: int
    limit: int
    offset: int
    prev_url: str | None
    next_url: str | None

    @property
    def first(self) -> int:
        return min(self.offset + 1, self.total)

    @property
    def last(self) -> int:
        return min(self.offset + self.limit, self.total)


def paging(params: QueryParams) -> tuple[int, int]:
    """(limit, offset) from the query: limit 1-500 (50 by default), offset from 0."""
    limit = _int(params.get("limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _int(params.get("offset"), "offset", 0, 0, MAX_OFFSET)
    return limit, offset


def _int(raw: str | None, name: str, default: int, lo: int, hi: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidRequest(f"{name}: not a whole number") from None
    if not lo <= value <= hi:
        raise InvalidRequest(f"{name}: {lo}-{hi}")
    return value


def pager(request: Request, total: int, limit: int, offset: int) -> Pager:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "offset" and v != ""]

    def at(o: int) -> str:
        query = urlencode([*kept, *([("offset", str(o))] if o else [])])
        return request.url.path + (f"?{query}" if query else "")

    prev_url = at(max(offset - limit, 0)) if offset > 0 else None
    next_url = at(offset + limit) if offset + limit < total else None
    return Pager(total, limit, offset, prev_url, next_url)


def given(params: QueryParams) -> dict[str, str]:
    """The form's fields that were filled in (a GET form sends empty ones too)."""
    return {k: v.strip() for k, v in params.items() if v.strip() != ""}


def tri_state(fields: Mapping[str, str], name: str) -> bool | None:
    """A 全部/是/否 select: absent is None, ``true``/``false`` a bool, anything else an error."""
    raw = fields.get(name)
    if raw is None:
        return None
    if raw in ("true", "false"):
        return raw == "true"
    raise InvalidRequest(f"{name}: true or false")


@dataclass(frozen=True)
class Viewing:
    """Who is asking and the part of the county they see."""

    actor: Actor
    registry: VillageRegistry
    today: date

    @property
    def units(self) -> frozenset[str] | None:
        return units_in(self.actor.area, self.registry)

    @property
    def unit_tuple(self) -> tuple[str, ...] | None:
        """The area's units sorted (a stable SQL filter); None for the whole county."""
        units = self.units
        return None if units is None else tuple(sorted(units))

    @property
    def area_label(self) -> str:
        return self.actor.area.label(self.registry)

    @property
    def may_act(self) -> bool:
        """Operators act (follow-up steps, feedback replies, blacklist decisions)."""
        return self.actor.role.allows(Role.OPERATOR)

    def villages(self) -> list[Village]:
        units = self.units
        return [v for v in self.registry.villages if units is None or v.unit_id in units]

    def divisions(self) -> list[Any]:
        codes = {v.division for v in self.villages()}
        return [d for d in self.registry.divisions if d.code in codes]

    def sees(self, unit: str | None) -> bool:
        units = self.units
        return units is None or (unit is not None and unit in units)

    def village_name(self, unit: str | None) -> str:
        if unit is None:
            return "—"
        try:
            return self.registry.village(unit).name
        except LookupError:
            return unit


def viewing(request: Request, actor: Actor) -> Viewing:
    return Viewing(actor, request.app.state.registry, today(request))


def common(view: Viewing, tab: str) -> dict[str, Any]:
    """The context every case page's template reads."""
    return {
        "tabs": TABS, "tab": tab, "area_label": view.area_label, "may_act": view.may_act,
        "days_left": days_left, "status_label": status_label,
        "deficiency_label": lambda d: DEFICIENCY_LABELS.get(d, d),
        "forwarded_label": lambda f: FORWARDED_LABELS.get(f or "", "—"),
    }  # fmt: skip

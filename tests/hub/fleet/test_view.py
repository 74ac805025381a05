"""The fleet as people read it, pure: presence from the last will and the last message,
problems in Chinese, durations and reasons in words, and the pager's links."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from hub.catalog.villages import load_villages
from hub.fleet.view import (
    UNREGISTERED,
    Presence,
    clock_words,
    duration_words,
    fleet_rows,
    presence,
    town_counts,
    unit_row,
)
from hub.rollouts.words import reason_words, target_words
from hub.web.pager import Pager, filters

NOW = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
STALE = timedelta(minutes=2)
REGISTRY = load_villages()


def _unit(unit_id="dongjie-cun", **kw):
    fields = {"id": unit_id, "name": None, "last_seen": NOW, "online": True, "health": None,
              "health_at": NOW, "events": 0, "cases": 0, "config_version": None,
              "clock_offset_s": None, "clock_drift": False, **kw}  # fmt: skip
    return SimpleNamespace(**fields)


def _config(**kw):
    fields = {"desired_version": 2, "report_version": None, "report_status": None,
              "report_reason": None, "anomaly_version": None, "anomaly": False, **kw}  # fmt: skip
    return SimpleNamespace(**fields)


def test_presence_comes_from_the_last_will_and_the_last_message():
    assert presence(None, NOW, STALE) is Presence.NEVER
    assert presence(_unit(last_seen=None), NOW, STALE) is Presence.NEVER
    assert presence(_unit(online=False), NOW, STALE) is Presence.OFFLINE
    assert presence(_unit(last_seen=NOW - STALE * 2), NOW, STALE) is Presence.STALE
    assert presence(_unit(), NOW, STALE) is Presence.ONLINE


def test_a_row_names_its_village_and_town_and_what_needs_someone():
    health = {
        "outbox": {"depth": 9, "alarm": True, "oldest_age_s": 300.0},
        "versions": {"agent": "1.4.2"},
        "devices": {"printer": {"present": True, "ok": False, "paper": "out"}},
    }
    row = unit_row(
        "dongjie-cun", _unit(health=health, clock_drift=True, config_version=1), REGISTRY,
        config=_config(report_status="rejected", report_version=2, report_reason="bad"),
        now=NOW, stale_after=STALE,
    )  # fmt: skip
    assert (row.name, row.town, row.town_name) == ("东街村", "qingshui-zhen", "清水镇")
    assert row.problems == ["打印机缺纸", "待上报数据将满", "时钟偏差", "拒绝配置"]
    assert (row.agent_version, row.outbox_depth, row.outbox_oldest_s) == ("1.4.2", 9, 300.0)
    assert row.config_pending
    assert row.matches("problem")
    assert not row.matches("offline")


def test_a_hostile_heartbeat_shape_reads_as_no_health():
    row = unit_row("dongjie-cun", _unit(health={"outbox": [], "versions": "x", "devices": 3}),
                   REGISTRY, now=NOW, stale_after=STALE)  # fmt: skip
    assert (row.outbox_depth, row.agent_version, row.problems) == (None, None, [])


def test_the_county_sees_every_village_then_units_the_registry_lacks():
    rows = fleet_rows(
        REGISTRY, [_unit("dongjie-cun"), _unit("t001", name="试验终端")], area_units=None,
        configs={}, open_alerts={"t001": 2}, now=NOW, stale_after=STALE,
    )  # fmt: skip
    assert len(rows) == 77
    assert (rows[-1].id, rows[-1].name, rows[-1].town, rows[-1].open_alerts) == (
        "t001", "试验终端", UNREGISTERED, 2,
    )  # fmt: skip
    counts = {t.code: t for t in town_counts(rows)}
    assert counts["qingshui-zhen"].by_presence == {"online": 1, "stale": 0, "offline": 0,
                                                   "never": 11}  # fmt: skip


def test_a_town_sees_its_villages_and_no_unregistered_unit():
    mine = frozenset(v.unit_id for v in REGISTRY.in_division("qingshui-zhen"))
    rows = fleet_rows(REGISTRY, [_unit("t001")], area_units=mine, configs={}, open_alerts={},
                      now=NOW, stale_after=STALE)  # fmt: skip
    assert {r.id for r in rows} == mine


def test_durations_and_clocks_in_words():
    assert duration_words(45) == "45 秒"
    assert duration_words(3 * 3600 + 300) == "3 小时 5 分钟"
    assert duration_words(2 * 86400 + 4 * 3600) == "2 天 4 小时"
    assert clock_words(-259_200.0) == "慢 3.0 天"
    assert clock_words(None) == "—"


def test_the_hubs_reasons_read_in_chinese_and_a_units_own_words_stay():
    assert reason_words("paused by ops") == "ops 手动暂停"
    assert (
        reason_words(
            "stage 2 of 3: 5 of 40 units failed (rejected or timed out), over the threshold of 10%"
        )
        == "第 2/3 阶段 40 个终端中 5 个失败（拒绝或超时），超过 10% 的阈值，已自动暂停"
    )
    assert reason_words("no report within 600 s") == "超过 600 秒未回报"
    assert reason_words("签名校验失败") == "签名校验失败"
    assert target_words(REGISTRY, {"target": {"division": "qingshui-zhen"}}) == "清水镇"
    assert target_words(REGISTRY, {"target": {"units": ["dongjie-cun"]}}) == "东街村"
    assert target_words(REGISTRY, {"rollback_of": 4}) == "回滚批次 #4 的终端"


def test_the_pager_keeps_the_filters_and_stops_at_both_ends():
    pager = Pager("/fleet", 120, 50, 50, filters(town="qingshui-zhen", status=None))
    assert pager.previous == "/fleet?town=qingshui-zhen"
    assert pager.next == "/fleet?town=qingshui-zhen&offset=100"
    assert (pager.first, pager.last) == (51, 100)
    last = Pager("/fleet", 120, 50, 100)
    assert (last.next, last.last) == (None, 120)
    assert Pager("/fleet", 0).previous is None
    assert Pager("/fleet", 0).first == 0


def test_a_row_names_the_signing_keys_its_unit_trusts():
    trust = {"trust": {"serial": 2, "keys": ["4c40e1fb1e1e8737", "0123456789abcdef"]}}
    row = unit_row("dongjie-cun", _unit(health=trust), REGISTRY, config=None, now=NOW,
                   stale_after=STALE)  # fmt: skip
    assert (row.trusted_keys, row.key_serial) == (("4c40e1fb1e1e8737", "0123456789abcdef"), 2)
    odd = unit_row("dongjie-cun", _unit(health={"trust": {"serial": "x", "keys": "y"}}),
                   REGISTRY, config=None, now=NOW, stale_after=STALE)  # fmt: skip
    assert (odd.trusted_keys, odd.key_serial) == ((), None)

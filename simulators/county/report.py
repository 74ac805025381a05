"""The run's report: report.json, and report.html with its charts drawn as inline SVG (no
script, no CDN: the page opens from a file anywhere). Labels are Chinese, like the hub's pages."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

W, H, PAD = 640, 220, 40


def write_report(report: dict[str, Any], out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    (out_dir / "report.html").write_text(html(report))


def bars(values: list[tuple[str, float]], colour: str = "#2f6fb0") -> str:
    top = max((v for _, v in values), default=0) or 1
    bw = (W - 2 * PAD) / max(1, len(values))
    parts = [_axes(top)]
    for i, (name, v) in enumerate(values):
        h = (H - 2 * PAD) * v / top
        x = PAD + i * bw
        parts.append(
            f'<rect x="{x + 4:.1f}" y="{H - PAD - h:.1f}" width="{bw - 8:.1f}" height="{h:.1f}" '
            f'fill="{colour}"/><text x="{x + bw / 2:.1f}" y="{H - PAD + 14}" '
            f'text-anchor="middle">{escape(name)}</text>'
            f'<text x="{x + bw / 2:.1f}" y="{H - PAD - h - 4:.1f}" text-anchor="middle">'
            f"{v:g}</text>"
        )
    return _svg("".join(parts))


def lines(points: list[dict[str, Any]], keys: list[tuple[str, str, str]]) -> str:
    """``keys``: (field, colour, legend)."""
    if not points:
        return "<p>（无采样）</p>"
    top = max(max(p[k] for p in points) for k, _, _ in keys) or 1
    n = len(points)
    parts = [_axes(top)]
    for j, (k, colour, legend) in enumerate(keys):
        xy = " ".join(
            f"{PAD + (W - 2 * PAD) * i / max(1, n - 1):.1f},"
            f"{H - PAD - (H - 2 * PAD) * p[k] / top:.1f}"
            for i, p in enumerate(points)
        )
        parts.append(f'<polyline points="{xy}" fill="none" stroke="{colour}" stroke-width="1.5"/>')
        parts.append(f'<text x="{W - PAD - 150}" y="{PAD - 10 + 14 * j}" fill="{colour}">'
                     f"{escape(legend)}</text>")  # fmt: skip
    for i in range(0, n, max(1, n // 6)):
        x = PAD + (W - 2 * PAD) * i / max(1, n - 1)
        parts.append(f'<text x="{x:.1f}" y="{H - PAD + 14}" text-anchor="middle">'
                     f"{escape(points[i]['t'])}</text>")  # fmt: skip
    return _svg("".join(parts))


def _axes(top: float) -> str:
    return (
        f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" stroke="#888"/>'
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{H - PAD}" stroke="#888"/>'
        f'<text x="{PAD - 4}" y="{PAD + 4}" text-anchor="end">{top:g}</text>'
        f'<text x="{PAD - 4}" y="{H - PAD}" text-anchor="end">0</text>'
    )


def _svg(body: str) -> str:
    return (f'<svg viewBox="0 0 {W} {H}" width="{W}" height="{H}" font-size="11" '
            f'font-family="sans-serif">{body}</svg>')  # fmt: skip


def table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> str:
    if not rows:
        return "<p>（无）</p>"
    head = "".join(f"<th>{escape(t)}</th>" for _, t in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_fmt(r.get(k)))}</td>" for k, _ in columns) + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def pairs(d: dict[str, Any], names: dict[str, str]) -> str:
    rows = [{"k": names.get(k, k), "v": v} for k, v in d.items() if not isinstance(v, dict | list)]
    return table(rows, [("k", "项目"), ("v", "数值")])


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, dict):
        return ", ".join(f"{k}: {_fmt(x)}" for k, x in v.items())
    return str(v)


def _indicators(ind: dict[str, Any]) -> str:
    t = ind.get("totals") or {}
    if not t:
        return "<p>（指标接口无数据）</p>"
    rows = []

    def add(name: str, value: Any) -> None:
        rows.append({"k": name, "v": value})

    add("办件数", t.get("cases"))
    add("受理 / 不予受理", f"{t.get('accepted')} / {t.get('not_accepted')}")
    add("已办结 / 在办", f"{t.get('completed')} / {t.get('open')}")
    add("窗口办结占比", t.get("done_at_window_share"))
    add("即办件占比", t.get("instant_share"))
    for key, name in (
        ("on_time_promised", "承诺时限内办结率"),
        ("on_time_legal", "法定时限内办结率"),
    ):
        add(name, (t.get(key) or {}).get("rate"))
    for key, value in (t.get("ratings") or {}).items():
        add(f"评价·{key}", value)
    for key, value in (t.get("deficiency") or {}).items():
        add(f"容缺·{key}", value)
    for key in ("materials", "steps", "time"):
        if isinstance(t.get(key), dict):
            add(f"精简·{key}", t[key])
    return table(rows, [("k", "指标（枢纽 /api/indicators 计算）"), ("v", "数值")])


def _faces(plan: dict[str, Any], cost: dict[str, Any]) -> str:
    f = plan.get("face") or {}
    if not f:
        return "<p>（未运行人脸核验）</p>"
    rows: list[dict[str, Any]] = [
        {"k": "同意人脸核验", "v": f.get("consented")},
        {"k": "流水线核验次数（证件照比对 + 登记 + 1:1）", "v": f.get("checks")},
        {"k": "首次：证件照比对结果", "v": f.get("chip_compare")},
        {"k": "首次：登记模板", "v": f.get("enrolled")},
        {"k": "再次来访：1:1 核验结果", "v": f.get("verify")},
        {"k": "人脸核验通过", "v": f.get("verified_by_face")},
        {"k": "人脸未通过改用身份证", "v": f.get("failed_then_card")},
        {"k": "录入他人号码（比对他人模板）", "v": f.get("wrong_template")},
        {"k": "拍摄不佳的画面", "v": f.get("degraded")},
        {
            "k": "每次流水线用时（毫秒，墙钟 / CPU）",
            "v": f"{cost.get('wall_ms_per_run')} / {cost.get('cpu_ms_per_run')}",
        },
        {"k": "每个进程加载模型增加的内存（MB）", "v": cost.get("rss_added_by_models_mb")},
    ]
    return table(rows, [("k", "人脸核验（终端流水线的真实结果）"), ("v", "数值")])


def _catalog(c: dict[str, Any]) -> str:
    if not c.get("version"):
        return "<p>（未下发新版事项清单）</p>"
    v = c.get("config_versions") or {}
    cases = c.get("cases_on_changed_matters") or {}
    return (
        f"<p>{escape(str(c.get('note')))}：第 {c['version']} 版，改动 {c.get('changed_matters')}"
        f" 个事项；{v.get('applied_desired')}/{v.get('units')} 个终端已应用所需配置版本，"
        f"{v.get('switched_to_new_catalog')} 个终端窗口已切换到新版。</p>"
        + table([{"k": k, **x} for k, x in cases.items()],
                [("k", "改动事项的办件（枢纽记录）"), ("old", "原承诺时限"),
                 ("new", "新承诺时限"), ("other", "其他"), ("not_accepted", "未受理")])
    )  # fmt: skip


def html(r: dict[str, Any]) -> str:
    run, d, lat, plan = r["run"], r["delivery"], r["latency"], r["plan"]
    verdict = "零丢失、零重复" if d.get("exact") and d.get("in_flight", 0) == 0 else "有差异"
    hours = [(h["hour"][:2], h["cases"]) for h in r["cases_per_hour"]]
    hist = list((lat.get("histogram") or {}).items())
    quiet = lat.get("undisturbed") or {}
    chaos = "开启混沌（随机杀进程、断链路）" if run["chaos"] else "无混沌"
    sections = [
        f"<h1>县域模拟日报告 {escape(run['day'])}（种子 {run['seed']}）</h1>",
        f"<p>{run['villages']} 个村（社区）窗口，一天（08:30–17:30）用 {run['day_wall_s']} 秒"
        f"（加速 {run['speed']} 倍）；{chaos}；"
        f"数据库 {escape(run['database'])}；总用时 {run['wall_s']} 秒。</p>",
        f"<h2>投递核对：{verdict}</h2>",
        pairs(d, {"units": "终端数", "committed_by_units": "终端已提交事件",
                  "in_hub": "枢纽已存储", "lost": "丢失", "duplicates": "重复",
                  "unexpected": "多余", "in_flight": "仍在途", "exact": "完全一致"}),
        "<h2>每小时办件数（枢纽记录）</h2>", bars(hours),
        f"<h2>终端→枢纽延迟：链路正常时 p50 {quiet.get('p50_ms')} ms，p99 {quiet.get('p99_ms')} ms"
        f"（{quiet.get('events')} 个事件）；全部事件 p50 {lat.get('p50_ms')} ms，"
        f"p99 {lat.get('p99_ms')} ms，最大 {lat.get('max_ms')} ms（含离线与故障期间积压）</h2>",
        bars([(k, v) for k, v in hist], "#7a4fb0"),
        "<h2>终端发件箱积压（待枢纽确认的事件）</h2>",
        lines(r["outbox"], [("total", "#c0392b", "全部终端合计"),
                            ("max", "#27ae60", "最深的终端")]),
        "<h2>配置下发（rollout）</h2>",
        table(r["rollouts"], [("id", "编号"), ("note", "说明"), ("started", "开始"),
                              ("state", "状态"), ("units", "终端"), ("counts", "各状态数"),
                              ("finished_after_s", "用时（秒）")]),
        "<h2>午间事项清单变更（两名操作员经枢纽 API 修改、审核、下发）</h2>",
        _catalog(r.get("catalog_change") or {}),
        "<h2>人脸核验</h2>", _faces(plan, r.get("face_cost") or {}),
        "<h2>混沌与恢复</h2>",
        table(r["chaos"], [("kind", "故障"), ("target", "对象"), ("at", "时间"),
                           ("down_s", "中断（秒）"), ("ready_s", "重启就绪（秒）"),
                           ("backlog", "恢复时积压"),
                           ("recovered_s", "追平用时（秒）")]),
        "<h2>枢纽计算的指标</h2>", _indicators(r["indicators"]),
        "<h2>当日业务构成（按种子）</h2>",
        pairs(plan, {"residents": "常住人口", "visits": "来访办件", "events": "事件数",
                     "face_failed_then_card": "人脸未通过改用身份证",
                     "card_read_failed_typed": "读卡失败手工录入", "deferred": "容缺受理",
                     "supplied_same_day": "当日补齐", "forwarded": "转报上级"}),
        f"<p>评价分布：{escape(_fmt(plan['ratings']))}</p>",
        table(plan["offline_episodes"], [("unit", "离线终端"), ("from", "开始"),
                                         ("minutes", "时长（分钟）")]),
        "<h2>后台与回访（经枢纽 API）</h2>", pairs(r["offices"], {}),
        "<h2>差评回访（枢纽记录）</h2>",
        pairs(r.get("followups") or {}, {"opened": "已开启", "closed": "已办结",
                                         "open": "未办结", "rule": "规则",
                                         "opened_before": "规定时间前开启",
                                         "of_those_closed": "其中已办结"}),
        "<h2>容缺：当日收盘与补正期满后（枢纽定时任务）</h2>",
        f"<p>收盘：{escape(_fmt(r['deficiency']['at_close']))}；补正期满后："
        f"{escape(_fmt(r['deficiency']['after_supply_dates']))}</p>",
    ]  # fmt: skip
    style = ("body{font-family:'Noto Sans CJK SC',sans-serif;margin:24px;max-width:760px}"
             "table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ccc;"
             "padding:2px 8px;font-size:13px}h2{font-size:16px;margin-top:22px}")  # fmt: skip
    return ('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f"<title>县域模拟日报告</title><style>{style}</style></head><body>"
            + "".join(sections) + "</body></html>\n")  # fmt: skip

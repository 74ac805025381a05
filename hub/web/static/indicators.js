// The indicators page's charts, drawn by Apache ECharts (served by the hub: /static/vendor/)
// from the same /api/indicators query the page's tables show. No inline script or style:
// ECharts sizes its own elements through the CSSOM (element.style), which the page's CSP
// allows, and its tooltips draw on the canvas (renderMode "richText"), not as HTML.
"use strict";
(function () {
  const box = document.getElementById("charts");
  if (!box || !window.echarts) return;
  const top = Number(box.dataset.top || "12");
  const FONT = '"Noto Sans CJK SC", "WenQuanYi Zen Hei", "Microsoft YaHei", sans-serif';
  const COLORS = ["#b42318", "#1f6feb", "#1a7f37", "#9a6700", "#8250df", "#57606a"];
  const charts = [];
  // a projector (as hub.css and indicators.css decide): larger text in the charts too
  const projector = window.matchMedia("(min-width: 1800px)");
  let size = { text: 14, axis: 13, small: 12 };
  const sizes = () => (projector.matches ? { text: 19, axis: 17, small: 16 } : { text: 14, axis: 13, small: 12 });

  const pct = (v) => (v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%");
  const rateAxis = () => ({
    type: "value", min: 0, max: 1,
    axisLabel: { fontSize: size.axis, formatter: (v) => Math.round(v * 100) + "%" },
  });
  const short = (s) => (s.length > 12 ? s.slice(0, 11) + "…" : s);

  function base(extra) {
    return Object.assign({
      animation: false,
      color: COLORS,
      aria: { enabled: true },
      textStyle: { fontFamily: FONT, fontSize: size.text },
      legend: { top: 4, textStyle: { fontSize: size.text } },
      tooltip: { trigger: "axis", renderMode: "richText" },
      grid: { left: 12, right: 28, top: 44, bottom: 8, containLabel: true },
    }, extra);
  }

  function daily(r) {
    const s = r.series;
    const line = (name, data) => ({ name, type: "line", data, showSymbol: s.days.length <= 62, lineStyle: { width: 3 } });
    return base({
      xAxis: { type: "category", data: s.days, axisLabel: { fontSize: size.axis, formatter: (d) => d.slice(5) } },
      yAxis: { type: "value", minInterval: 1, axisLabel: { fontSize: size.axis } },
      series: [line("办件", s.cases), line("办结", s.completed), line("窗口办结", s.done_at_window)],
    });
  }

  function rating(r) {
    const towns = r.by_town;
    return base({
      legend: { show: false },
      tooltip: { trigger: "axis", renderMode: "richText", valueFormatter: pct },
      xAxis: { type: "category", data: towns.map((t) => t.name), axisLabel: { fontSize: size.axis, interval: 0, rotate: towns.length > 6 ? 30 : 0 } },
      yAxis: rateAxis(),
      series: [{
        name: "好评率", type: "bar", barMaxWidth: 48, data: towns.map((t) => t.ratings.rate),
        label: { show: true, position: "top", fontSize: size.axis, formatter: (p) => pct(p.value) },
      }],
    });
  }

  function decidedOrDue(o) { return o.on_time + o.late + o.overdue; }

  function onTime(r) {
    const matters = r.by_matter
      .filter((m) => decidedOrDue(m.on_time_promised) + decidedOrDue(m.on_time_legal) > 0)
      .slice(0, top)
      .reverse(); // ECharts lists a category axis bottom-up: the most cases on top
    const bar = (name, key) => ({
      name, type: "bar", barMaxWidth: 14, barGap: "10%", data: matters.map((m) => m[key].rate),
      label: { show: true, position: "right", fontSize: size.small, formatter: (p) => pct(p.value) },
    });
    return base({
      tooltip: { trigger: "axis", renderMode: "richText", valueFormatter: pct },
      grid: { left: 12, right: 56, top: 44, bottom: 8, containLabel: true },
      xAxis: rateAxis(),
      yAxis: { type: "category", data: matters.map((m) => short(m.name)), axisLabel: { fontSize: size.axis } },
      series: [bar("承诺时限", "on_time_promised"), bar("法定时限", "on_time_legal")],
    });
  }

  function deficiency(r) {
    const towns = r.by_town;
    const part = (name, color, f) => ({
      name, type: "bar", stack: "owed", barMaxWidth: 48, itemStyle: { color }, data: towns.map(f),
    });
    return base({
      xAxis: { type: "category", data: towns.map((t) => t.name), axisLabel: { fontSize: size.axis, interval: 0, rotate: towns.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", minInterval: 1, axisLabel: { fontSize: size.axis } },
      series: [
        part("未补齐（未逾期）", "#d4a72c", (t) => t.deficiency.open - t.deficiency.lapsed),
        part("已逾期未补齐", "#b42318", (t) => t.deficiency.lapsed),
        part("逾期撤回", "#8c959f", (t) => t.deficiency.withdrawn),
      ],
    });
  }

  function draw(id, option) {
    const el = document.getElementById(id);
    const chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.on("finished", () => { el.dataset.drawn = "1"; });
    chart.setOption(option);
    charts.push(chart);
  }

  function drawAll(r) {
    for (const c of charts.splice(0)) c.dispose();
    size = sizes();
    draw("chart-daily", daily(r));
    draw("chart-rating", rating(r));
    draw("chart-ontime", onTime(r));
    draw("chart-deficiency", deficiency(r));
  }

  let report = null;
  function resize() { for (const c of charts) c.resize(); }

  fetch(box.dataset.api, { credentials: "same-origin", headers: { accept: "application/json" } })
    .then((response) => {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then((r) => {
      report = r;
      drawAll(r);
      box.dataset.ready = "1";
      projector.addEventListener("change", () => drawAll(report));
      window.addEventListener("resize", resize);
      window.addEventListener("beforeprint", resize);
      window.addEventListener("afterprint", resize);
    })
    .catch((err) => {
      if (window.bianmin) window.bianmin.show("error", "图表数据加载失败：" + err.message);
    });
})();

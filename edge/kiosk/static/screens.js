// The case's screens from the matter to the end: matter, materials (with the ID photo's
// size), signature, route, printing, rating, and the summary at the end.
"use strict";
(function (K) {
  const el = K.el;
  const act = K.act;
  const local = K.local;

  Object.assign(K.SCREENS, {
    matter(v) {
      const areas = v.matters || [];
      if (!local.area && areas.length) local.area = areas[0].area;
      const tabs = el("div", { class: "tabs" }, areas.map((a) =>
        el("button", { class: a.area === local.area ? "on" : "", onclick: () => { local.area = a.area; K.rerender(); } }, a.label)));
      const current = areas.find((a) => a.area === local.area) || { matters: [] };
      const grid = el("div", { class: "matters" }, current.matters.map((m) =>
        el("button", { "data-code": m.code, onclick: () => act("select_matter", { code: m.code }) },
          el("span", {}, m.name),
          el("small", {}, el("span", { class: m.instant ? "tag" : "tag blue" }, m.instant ? "即办" : m.time), m.approval))));
      return [el("h1", {}, "选择办理事项"), K.enrollBox(v), tabs, grid,
        el("div", { class: "actions end" }, K.cancelButton())];
    },
    materials(v) { return materialsScreen(v); },
    sign(v) {
      return [el("h1", {}, "申请人签名"),
        el("p", { class: "lead" }, "请申请人在签字板上签名，签完后由工作人员点击“确认签名”。"),
        el("canvas", { id: "ink", width: 900, height: 560 }),
        el("div", { class: "actions" },
          el("button", { id: "btn-sign-clear", onclick: () => act("sign_clear") }, "重签"),
          el("button", { class: "primary", id: "btn-sign-ok", "data-needs-ink": true, onclick: () => act("sign_confirm") }, "确认签名"))];
    },
    route(v) {
      const r = v.route;
      const text = r.window ? (r.instant ? "即办事项：窗口直审，当场办结" : "窗口直审：本窗口审批") : r.label;
      const label = r.window ? "审批通过" : r.label.replace("报", "提交");
      return [el("h1", {}, "审批"), el("div", { class: "card" }, el("p", { class: "lead" }, text),
        el("p", { class: "muted" }, "承诺时限：" + (v.case.instant ? "即办" : v.case.promised_days + "个工作日") + "，预计办结：" + (v.case.promised_due || ""))),
        el("div", { class: "actions" }, el("button", { class: "primary big", id: "btn-route", onclick: () => act("route") }, label))];
    },
    print(v) {
      const p = v.print;
      const items = p.slips.map((s) => el("li", { "data-slip": s.kind },
        s.done ? "✓ " : s.skipped ? "— " : s.printing ? "⟳ " : "○ ", s.name,
        s.done ? "（已打印）" : s.skipped ? "（已跳过）" : s.printing ? "（打印中）" : "（待打印）"));
      const out = [el("h1", {}, "打印"), el("ul", { class: "slips card" }, items)];
      if (p.error) {
        out.push(el("div", { class: "notice", id: "print-error" }, p.error));
        const acts = [el("button", { class: "primary", id: "btn-print-retry", onclick: () => act("print_retry") }, "重试打印")];
        if (p.slips.some((s) => s.kind === "photo" && !s.done && !s.skipped)) {
          acts.push(el("button", { id: "btn-skip-photo", onclick: () => act("print_skip_photo") }, "跳过证件照"));
        }
        out.push(el("div", { class: "actions" }, acts));
      } else {
        out.push(el("p", { class: "lead muted" }, "正在打印，请稍候……"));
      }
      return out;
    },
    rate(v) {
      const r = v.rate;
      const levels = el("div", { class: "levels" }, [5, 4, 3, 2, 1].map((n) =>
        el("div", { class: "level" + (r.level === n ? " on" : ""), "data-level": n }, r.levels[n])));
      const out = [el("h1", {}, "服务评价（一事一评）")];
      if (r.needs_reason) {
        out.push(el("p", { class: "lead" }, "您的评价：" + r.label + "。请选择不满意的原因："), levels,
          el("div", { class: "actions" }, r.reasons.map((t) =>
            el("button", { class: "secondary", onclick: () => act("rate_reason", { reason: t }) }, t))));
      } else {
        out.push(el("p", { class: "lead", id: "rate-prompt" }, "请申请人在评价器上按键，对本次服务作出评价。"), levels);
      }
      return out;
    },
    done(v) {
      const c = v.case;
      const outcome = { done: "已办结", accepted: "已受理", not_accepted: "未受理（已打印一次性告知书）", cancelled: "已取消" }[c.outcome] || "";
      const rows = [["受理编号", c.case_ref], ["办理事项", c.matter || "—"], ["办理结果", outcome],
        ["经办人", c.clerk ? c.clerk + (c.agent ? "（代办）" : "") : ""],
        ["承诺办结", c.promised_due || "—"], ["补齐期限", c.supply_by || ""], ["已打印", c.slips.join("、") || "—"],
        ["评价", c.rating || "—"]].filter((r) => r[1]);
      return [el("h1", { id: "done-title" }, "办件结束"),
        el("div", { class: "card" }, el("dl", { class: "kv" }, rows.map(([k, val]) => [el("dt", {}, k), el("dd", {}, val)]))),
        el("div", { class: "actions" }, el("button", { class: "primary big", id: "btn-next", onclick: () => act("next") }, "下一位"))];
    },
  });

  function photoChoice(m) {
    if (!m.photo) return null;
    if (!local.photo) local.photo = m.photo;
    return el("span", { class: "choice", id: "photo-size" }, [["1inch", "一寸"], ["2inch", "二寸"]].map(([k, label]) =>
      el("button", { class: local.photo === k ? "on" : "", "data-photo": k, onclick: () => { local.photo = k; K.rerender(); } }, label)));
  }

  function materialsScreen(v) {
    const m = v.materials;
    const reg = { pending: "信息一库查询中……", answered: "已通过信息一库查询", unreachable: "信息一库暂时无法查询，相关材料需申请人提供" }[m.registry] || "";
    const lines = m.lines.map((ln) => {
      const row = el("div", { class: "mat", "data-material": ln.name });
      const info = el("div", { class: "name" }, ln.name,
        ln.note || ln.ground ? el("small", {}, [ln.ground, ln.note].filter(Boolean).join("：")) : null);
      row.append(info);
      if (ln.status === "waived") row.append(el("span", { class: "tag" }, "免于提交"));
      else if (ln.status === "optional") row.append(el("span", { class: "tag blue" }, "视情况提供"));
      else if (ln.status === "window") row.append(photoChoice(m) || "", el("span", { class: "tag blue" }, "窗口现场拍摄"));
      else {
        if (ln.critical) info.prepend(el("span", { class: "tag red" }, "必需"));
        if (ln.deferrable) info.prepend(el("span", { class: "tag blue" }, "可容缺"));
        const tick = (kind) => {
          const on = local.ticks[ln.name] === kind;
          return el("button", { class: on ? "on" : "", "data-tick": kind, onclick: () => {
            local.ticks[ln.name] = on ? undefined : kind; K.rerender(); } },
          kind === "received" ? "已收取" : "已查验原件");
        };
        if (ln.showable) row.append(tick("shown"));
        row.append(tick("received"));
      }
      return row;
    });
    const needed = m.lines.filter((ln) => ln.status === "needed");
    const missing = needed.filter((ln) => !local.ticks[ln.name]);
    const blocking = missing.filter((ln) => !ln.deferrable);
    const canDefer = missing.length > 0 && blocking.length === 0 && m.green_channel === "allowed";
    const refused = missing.length > 0 && blocking.length === 0 && m.green_channel !== "allowed";
    const received = needed.filter((ln) => local.ticks[ln.name] === "received").map((ln) => ln.name);
    const shown = needed.filter((ln) => local.ticks[ln.name] === "shown").map((ln) => ln.name);
    const send = (decision) => act("materials", { received, shown, decision, photo: m.photo ? local.photo : null });
    const out = [el("h1", {}, "材料核对"),
      el("p", { class: "muted", id: "registry-state" }, reg + "　承诺时限：" + m.time + "（法定" + m.legal_days + "个工作日）　" + m.approval),
      el("div", { class: "card" }, lines)];
    if (refused && m.green_channel_text) out.push(el("div", { class: "notice", id: "green-channel-refused" }, m.green_channel_text));
    if (blocking.length) out.push(el("p", { class: "notice" }, "尚缺：" + blocking.map((l) => l.name).join("、")));
    const acts = [el("button", { class: "primary", id: "btn-accept", disabled: missing.length > 0, onclick: () => send("accept") }, "受理")];
    if (canDefer) acts.push(el("button", { class: "secondary", id: "btn-defer", onclick: () => send("defer") },
      "容缺受理（" + m.deferred_days + "个工作日内补齐）"));
    if (missing.length) acts.push(el("button", { id: "btn-decline", onclick: () => send("decline") }, "不予受理（一次性告知）"));
    acts.push(K.cancelButton());
    out.push(el("div", { class: "actions" }, acts));
    return out;
  }
})(window.K);

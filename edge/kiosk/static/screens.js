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
        el("div", { class: "actions bar" }, K.backButton(), K.cancelButton())];
    },
    materials(v) { return materialsScreen(v); },
    sign(v) {
      const c = v.case;
      const owed = c.owed || [];
      // 容缺: what is owed and by when, on screen before the applicant signs the commitment
      const terms = owed.length
        ? el("div", { class: "card", id: "sign-owed" },
          el("p", { class: "lead" }, "容缺受理承诺：申请人须于 ", el("b", { id: "sign-supply-by" }, c.supply_by || ""), " 前补齐以下材料："),
          el("ul", { class: "owed" }, owed.map((n) => el("li", {}, n))),
          el("p", { class: "muted" }, "逾期未补齐的，本次办件撤回。承诺办结时限自材料补齐之日起计算。"))
        : el("p", { class: "muted", id: "sign-terms" }, c.instant ? "本事项当场办结。" : "承诺办结日期：" + (c.promised_due || ""));
      return [el("h1", {}, owed.length ? "申请人签名承诺" : "申请人签名"),
        el("p", { class: "lead" }, "请申请人在签字板上签名，签完后由工作人员点击“确认签名”。"),
        terms,
        el("canvas", { id: "ink", width: 900, height: 560 }),
        el("div", { class: "actions bar" },
          el("button", { id: "btn-sign-clear", onclick: () => act("sign_clear") }, "重签"),
          el("button", { class: "primary", id: "btn-sign-ok", "data-needs-ink": true, onclick: () => act("sign_confirm") }, "确认签名"),
          K.refuseSignButton(v))];
    },
    route(v) {
      const r = v.route;
      const text = r.window ? (r.instant ? "即办事项：窗口直审，当场办结" : "窗口直审：本窗口审批") : r.label;
      const label = r.window ? "审批通过" : r.label.replace("报", "提交");
      return [el("h1", {}, "审批"), el("div", { class: "card" }, el("p", { class: "lead" }, text),
        el("p", { class: "muted" }, v.case.instant ? "当场办结" : "承诺时限：" + v.case.promised_days + "个工作日，预计办结：" + (v.case.promised_due || ""))),
        el("div", { class: "actions" }, el("button", { class: "primary big", id: "btn-route", onclick: () => act("route") }, label))];
    },
    print(v) {
      const p = v.print;
      const items = p.slips.map((s) => el("li", { "data-slip": s.kind },
        s.done ? "✓ " : s.skipped ? "— " : s.printing ? "⟳ " : "○ ", s.name,
        s.done ? "（已打印）" : s.skipped ? "（已跳过）" : s.printing ? "（打印中）" : "（待打印）"));
      const out = [el("h1", {}, "打印"), el("ul", { class: "slips card" }, items)];
      if (p.error) {
        out.push(el("div", { class: "notice", id: "print-error" }, p.error,
          el("br"), "打印机恢复后将自动继续打印，也可以点“重试打印”。"));
        const acts = [el("button", { class: "primary", id: "btn-print-retry", onclick: () => act("print_retry") }, "重试打印")];
        if (p.slips.some((s) => s.kind === "photo" && !s.done && !s.skipped)) {
          acts.push(el("button", { id: "btn-skip-photo", onclick: () => act("print_skip_photo") }, "跳过证件照"));
        }
        out.push(el("div", { class: "actions" }, acts));
      } else {
        if (p.back) out.push(el("div", { class: "notice ok", id: "printer-back" }, "打印机已恢复，继续打印。"));
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
      const more = reprintButtons(v);
      if (more.length) out.push(el("div", { class: "actions bar" }, more));
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
        el("div", { class: "actions bar" }, el("button", { class: "primary big", id: "btn-next", onclick: () => act("next") }, "下一位"),
          ...reprintButtons(v))];
    },
  });

  // 补打: any slip of the case printed again (a printer that came back, a lost slip)
  function reprintButtons(v) {
    return (v.reprint || []).map((r) => el("button", { "data-reprint": r.kind,
      onclick: () => act("reprint", { kind: r.kind }) }, "补打" + r.name));
  }

  function photoChoice(m) {
    if (!m.photo) return null;
    if (!local.photo) local.photo = m.photo;
    return el("span", { class: "choice", id: "photo-size" }, [["1inch", "一寸"], ["2inch", "二寸"]].map(([k, label]) =>
      el("button", { class: local.photo === k ? "on" : "", "data-photo": k, onclick: () => { local.photo = k; K.rerender(); } }, label)));
  }

  function materialsScreen(v) {
    const m = v.materials;
    const reg = { pending: "信息一库查询中……", answered: "已通过信息一库查询", unreachable: m.registry_reason || "信息一库暂时无法查询，相关材料需申请人提供" }[m.registry] || "";
    const lines = m.lines.map((ln) => {
      const row = el("div", { class: "mat", "data-material": ln.name });
      const info = el("div", { class: "name" }, ln.name,
        ln.explain ? el("small", {}, ln.explain) : null);
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
    const time = m.time === "即办" ? "当场办结" : "承诺时限：" + m.time + "（法定" + m.legal_days + "个工作日）";
    const out = [el("h1", {}, "材料核对"),
      el("p", { class: "muted", id: "registry-state" }, reg + "　" + time + "　" + m.approval),
      el("div", { class: "card" }, lines)];
    if (refused && m.green_channel_text) out.push(el("div", { class: "notice", id: "green-channel-refused" }, m.green_channel_text));
    const names = (ls) => ls.map((l) => l.name);
    const acts = [el("button", { class: "primary", id: "btn-accept", disabled: missing.length > 0, onclick: () => send("accept") }, "受理")];
    if (canDefer) acts.push(el("button", { class: "secondary", id: "btn-defer",
      onclick: () => K.confirmDefer(names(missing), m.deferred_days, () => send("defer")) }, "容缺受理"));
    if (missing.length) acts.push(el("button", { id: "btn-decline",
      onclick: () => K.confirmDecline(names(missing), () => send("decline")) }, "不予受理"));
    acts.push(K.backButton(), K.cancelButton());
    // the decision area stays in view however long the checklist: a bar fixed at the bottom
    const left = missing.length ? "尚缺" + missing.length + "项：" + names(missing).join("、") : "材料齐全，可以受理";
    out.push(el("div", { class: "actions bar", id: "decision-bar" },
      el("div", { class: missing.length ? "summary bad" : "summary ok", id: "missing-summary" }, left), acts));
    return out;
  }
})(window.K);

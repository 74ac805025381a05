// The kiosk page: polls /api/view, renders the screen the case is on, posts the clerk's
// actions. Local input (the ID number being typed, ticked materials) lives here until sent.
"use strict";
(function () {
  const $ = (sel) => document.querySelector(sel);
  let view = null;
  let renderedKey = "";
  let local = { number: "", ticks: {}, area: null, caseRef: null };
  let busy = false;
  let lastError = null;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "onclick") node.addEventListener("click", v);
      else if (k === "class") node.className = v;
      else if (v === true) node.setAttribute(k, "");
      else if (v !== false && v !== null && v !== undefined) node.setAttribute(k, v);
    }
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  async function act(name, args) {
    if (busy) return;
    busy = true;
    try {
      const res = await fetch("/api/act/" + name, {
        method: "POST", headers: { "content-type": "application/json", "x-kiosk": "1" },
        body: JSON.stringify(args || {}),
      });
      const doc = await res.json();
      if (doc.error) { lastError = doc.error.message; } else { lastError = null; apply(doc); }
    } catch (err) {
      lastError = "无法连接终端服务，请稍候重试";
    } finally {
      busy = false;
      showMessage();
    }
  }

  async function poll() {
    try {
      const res = await fetch("/api/view", { cache: "no-store" });
      apply(await res.json());
    } catch (err) {
      lastError = "无法连接终端服务，正在重试……";
      showMessage();
    }
    setTimeout(poll, view && ["identify", "sign", "rate", "print"].includes(view.screen) ? 200 : 500);
  }

  function showMessage() {
    const box = $("#message");
    const m = lastError ? { kind: "error", text: lastError } : view && view.message;
    if (!m) { box.hidden = true; box.textContent = ""; return; }
    box.hidden = false;
    box.className = m.kind;
    box.textContent = m.text;
  }

  function keyOf(v) {
    const c = v.case || {};
    const parts = [v.screen, c.case_ref, c.state, !!v.config];
    if (v.identify) parts.push(v.identify.mode, v.identify.busy, JSON.stringify(v.identify.outcome));
    if (v.enroll) parts.push(JSON.stringify(v.enroll));
    if (v.materials) parts.push(v.materials.registry, v.materials.green_channel);
    if (v.sign) parts.push(v.sign.ready);
    if (v.print) parts.push(JSON.stringify(v.print));
    if (v.rate) parts.push(v.rate.level, v.rate.needs_reason, v.rate.label);
    return JSON.stringify(parts);
  }

  function apply(v) {
    view = v;
    const ref = v.case ? v.case.case_ref : null;
    if (ref !== local.caseRef) local = { number: "", ticks: {}, area: null, caseRef: ref };
    $("#window-name").textContent = v.window || "便民服务窗口";
    renderDevices(v.devices || []);
    renderCaseBar(v);
    const key = keyOf(v);
    if (key !== renderedKey) {
      renderedKey = key;
      const main = $("#main");
      main.replaceChildren(...(SCREENS[v.screen] || SCREENS.home)(v));
      main.dataset.screen = v.screen;
    }
    live(v);
    showMessage();
  }

  function renderDevices(devices) {
    $("#devices").replaceChildren(...devices.map((d) => {
      const cls = !d.ok ? "bad" : d.paper === "near_end" ? "warn" : "";
      const text = d.label + "：" + (d.ok ? (d.paper_label || "正常") : (d.paper_label || d.detail || "异常"));
      return el("div", { class: "dev " + cls, "data-device": d.name, title: d.detail || "" },
        el("span", { class: "dot" }), text);
    }));
  }

  function renderCaseBar(v) {
    const c = v.case;
    const bar = $("#case-bar");
    if (!c || v.screen === "done") { bar.replaceChildren(); return; }
    bar.replaceChildren(
      el("div", {}, "受理编号 ", el("b", { id: "case-ref" }, c.case_ref), "　", c.state_label),
      el("div", {}, [c.applicant ? "申请人 " + c.applicant : "", c.matter ? "　" + c.matter : ""].join("")));
  }

  // more buttons for a screen from other scripts (followup.js: 容缺补齐, 意见反馈)
  function extras(screen, v) {
    const more = window.kioskExtras;
    return more && more[screen] ? more[screen](v) : [];
  }

  function cancelButton() {
    return el("button", { id: "btn-cancel", onclick: () => act("cancel", { reason: "工作人员取消" }) }, "取消办件");
  }

  const SCREENS = {
    home(v) {
      if (!v.config) {
        return [el("h1", {}, "等待县中心下发配置"),
          el("p", { class: "lead muted" }, "终端已启动，尚未收到本村（社区）的事项目录，收到后即可办件。")];
      }
      return [el("h1", {}, "便民服务窗口"),
        el("p", { class: "lead" }, "本窗口可办理 " + v.config.matters + " 项便民服务事项。"),
        el("div", { class: "actions" },
          el("button", { class: "primary big", id: "btn-open", onclick: () => act("open") }, "开始办件"),
          ...extras("home", v))];
    },
    consent(v) {
      return [el("h1", {}, "身份核验方式"),
        el("div", { class: "card" },
          el("h2", {}, "人脸核验告知（须申请人单独同意）"),
          el("p", {}, "人脸核验仅用于本次办件核实申请人身份。人脸图像只在本终端内处理，比对后立即删除，不上传、不保存；县中心只收到核验结果。"),
          el("p", {}, "申请人也可以不使用人脸核验，改由工作人员核验身份证原件，两种方式效力相同，不影响办理。不满十四周岁的申请人请使用身份证核验。")),
        el("div", { class: "actions" },
          el("button", { class: "secondary big", id: "btn-consent-face", onclick: () => act("consent", { face: true }) }, "同意人脸核验"),
          el("button", { class: "secondary big", id: "btn-consent-card", onclick: () => act("consent", { face: false }) }, "不同意，使用身份证核验")),
        el("div", { class: "actions end" }, cancelButton())];
    },
    identify(v) {
      const id = v.identify;
      if (id.mode === "face") return faceScreen(v, id);
      if (id.mode === "card") {
        return [el("h1", {}, "核验身份证"),
          el("p", { class: "lead" }, "请工作人员核对申请人身份证原件与本人一致。"),
          el("div", { class: "idnum", id: "id-masked" }, id.id_masked || ""),
          el("div", { class: "actions" },
            el("button", { class: "primary big", id: "btn-card-ok", onclick: () => act("card_checked", { method: "id_card" }) }, "已核验身份证原件"),
            el("button", { class: "secondary big", id: "btn-clerk-check", onclick: () => act("card_checked", { method: "clerk_check" }) }, "无证件，工作人员人工核验")),
          el("div", { class: "actions end" }, cancelButton())];
      }
      return numberScreen(v);
    },
    matter(v) {
      const areas = v.matters || [];
      if (!local.area && areas.length) local.area = areas[0].area;
      const tabs = el("div", { class: "tabs" }, areas.map((a) =>
        el("button", { class: a.area === local.area ? "on" : "", onclick: () => { local.area = a.area; renderedKey = ""; apply(view); } }, a.label)));
      const current = areas.find((a) => a.area === local.area) || { matters: [] };
      const grid = el("div", { class: "matters" }, current.matters.map((m) =>
        el("button", { "data-code": m.code, onclick: () => act("select_matter", { code: m.code }) },
          el("span", {}, m.name),
          el("small", {}, el("span", { class: m.instant ? "tag" : "tag blue" }, m.instant ? "即办" : m.time), m.approval))));
      return [el("h1", {}, "选择办理事项"), enrollBox(v), tabs, grid,
        el("div", { class: "actions end" }, cancelButton())];
    },
    materials(v) { return materialsScreen(v); },
    sign(v) {
      return [el("h1", {}, "申请人签名"),
        el("p", { class: "lead" }, "请申请人在签字板上签名，签完后由工作人员点击“确认签名”。"),
        el("canvas", { id: "ink", width: 900, height: 560 }),
        el("div", { class: "actions" },
          el("button", { id: "btn-sign-clear", onclick: () => act("sign_clear") }, "重签"),
          el("button", { class: "primary", id: "btn-sign-ok", onclick: () => act("sign_confirm") }, "确认签名"))];
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
      const outcome = { done: "已办结", accepted: "已受理", not_accepted: "未受理（已一次性告知所需材料）", cancelled: "已取消" }[c.outcome] || "";
      const rows = [["受理编号", c.case_ref], ["办理事项", c.matter || "—"], ["办理结果", outcome],
        ["承诺办结", c.promised_due || "—"], ["补齐期限", c.supply_by || ""], ["已打印", c.slips.join("、") || "—"],
        ["评价", c.rating || "—"]].filter((r) => r[1]);
      return [el("h1", { id: "done-title" }, "办件结束"),
        el("div", { class: "card" }, el("dl", { class: "kv" }, rows.map(([k, val]) => [el("dt", {}, k), el("dd", {}, val)]))),
        el("div", { class: "actions" }, el("button", { class: "primary big", id: "btn-next", onclick: () => act("next") }, "下一位"))];
    },
  };

  function numberScreen(v) {
    const shown = el("div", { class: "idnum", id: "id-number" }, local.number || "　");
    const press = (k) => {
      if (k === "⌫") local.number = local.number.slice(0, -1);
      else if (k === "清空") local.number = "";
      else if (local.number.length < 18) local.number += k;
      shown.textContent = local.number || "　";
    };
    const keys = ["1", "2", "3", "⌫", "4", "5", "6", "清空", "7", "8", "9", "X", "0"];
    return [el("h1", {}, "输入身份证号码"),
      el("p", { class: "lead" }, v.identify.face_consent ? "输入号码后进行人脸核验。" : "请工作人员核对身份证原件，并输入号码。"),
      shown,
      el("div", { class: "row keyrow" },
        el("div", { class: "keypad", id: "keypad" }, keys.map((k) => el("button", { "data-key": k, onclick: () => press(k) }, k))),
        el("div", { class: "side" },
          el("button", { class: "primary big", id: "btn-id-ok", onclick: () => act("id_number", { number: local.number }) }, "确定"),
          cancelButton()))];
  }

  function faceScreen(v, id) {
    const out = [el("h1", {}, "人脸核验"), el("p", { class: "lead" }, "身份证号码：" + (id.id_masked || ""))];
    const o = id.outcome;
    if (!o || id.busy) {
      out.push(el("div", { class: "prompt", id: "face-prompt" }, id.prompt || "请正对摄像头"));
      out.push(el("p", { class: "muted" }, "请按提示眨眼、转头。人脸图像只在本机处理，不保存、不上传。"));
    } else {
      const why = { no_motion: "未检测到动作，疑似照片或静止画面", flat_face: "疑似平面照片",
        timeout: "未在规定时间内完成动作", face_changed: "前后人脸不一致" }[o.liveness.split(":")[1]];
      const live = o.liveness === "passed" ? "活体检测通过" : "活体检测未通过" + (why ? "（" + why + "）" : "");
      const match = o.error ? o.error : o.match ? "人脸比对一致" : "人脸比对不一致";
      out.push(el("div", { class: "card", id: "face-result" },
        el("p", { class: "lead" }, live + "；" + match),
        o.distance !== null ? el("p", { class: "muted" }, "比对距离 " + o.distance.toFixed(3) + "（阈值 " + o.threshold + "）") : null));
      const acts = [el("button", { id: "btn-face-retry", onclick: () => act("face_retry") }, "重新核验")];
      if (o.match && o.liveness !== "passed" && !o.error) {
        acts.push(el("button", { class: "primary", id: "btn-confirm-presence", onclick: () => act("face_confirm_presence") }, "工作人员确认本人在场"));
      }
      acts.push(el("button", { class: "secondary", id: "btn-use-card", onclick: () => act("use_card") }, "改用身份证核验"));
      out.push(el("div", { class: "actions" }, acts));
    }
    out.push(el("div", { class: "actions end" }, cancelButton()));
    return out;
  }

  function enrollBox(v) {
    const e = v.enroll;
    if (!v.face_available || !e || !v.case || v.case.method === "face") return null;
    if (e.status === "done" || e.enrolled) return el("p", { class: "notice ok", id: "enroll-done" }, "已登记人脸，下次办理可刷脸核验。");
    if (e.status === "busy") return el("p", { class: "notice ok" }, "正在采集人脸，请申请人正对摄像头……");
    return el("div", { class: "card row", id: "enroll-box" },
      el("div", { class: "grow" }, el("b", {}, "登记人脸（可选）"),
        el("p", { class: "muted" }, "下次办理可刷脸核验。须申请人另行单独同意；人脸特征加密保存在本终端，不上传，可随时申请删除。"),
        e.status ? el("p", { class: "notice" }, e.status) : null),
      el("button", { class: "secondary", id: "btn-enroll", onclick: () => act("enroll", { consent: true }) }, "申请人同意，登记人脸"));
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
      else if (ln.status === "window") row.append(el("span", { class: "tag blue" }, "窗口现场拍摄"));
      else {
        if (ln.critical) info.prepend(el("span", { class: "tag red" }, "必需"));
        if (ln.deferrable) info.prepend(el("span", { class: "tag blue" }, "可容缺"));
        const tick = (kind) => {
          const on = local.ticks[ln.name] === kind;
          return el("button", { class: on ? "on" : "", "data-tick": kind, onclick: () => {
            local.ticks[ln.name] = on ? undefined : kind; renderedKey = ""; apply(view); } },
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
    const send = (decision) => act("materials", { received, shown, decision });
    const out = [el("h1", {}, "材料核对"),
      el("p", { class: "muted", id: "registry-state" }, reg + "　承诺时限：" + m.time + "（法定" + m.legal_days + "个工作日）　" + m.approval),
      el("div", { class: "card" }, lines)];
    if (refused && m.green_channel_text) out.push(el("div", { class: "notice", id: "green-channel-refused" }, m.green_channel_text));
    if (blocking.length) out.push(el("p", { class: "notice" }, "尚缺：" + blocking.map((l) => l.name).join("、")));
    const acts = [el("button", { class: "primary", id: "btn-accept", disabled: missing.length > 0, onclick: () => send("accept") }, "受理")];
    if (canDefer) acts.push(el("button", { class: "secondary", id: "btn-defer", onclick: () => send("defer") },
      "容缺受理（" + m.deferred_days + "个工作日内补齐）"));
    if (missing.length) acts.push(el("button", { id: "btn-decline", onclick: () => send("decline") }, "不予受理（一次性告知）"));
    acts.push(cancelButton());
    out.push(el("div", { class: "actions" }, acts));
    return out;
  }

  function live(v) {
    if (v.screen === "identify" && v.identify && v.identify.mode === "face") {
      const p = $("#face-prompt");
      if (p && v.identify.prompt) p.textContent = v.identify.prompt;
    }
    if (v.screen === "sign" && v.sign) {
      const canvas = $("#ink");
      if (canvas) drawInk(canvas, v.sign.strokes || []);
      const ok = $("#btn-sign-ok");
      if (ok) ok.disabled = !(v.sign.count > 0);
    }
  }

  function drawInk(canvas, strokes) {
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = "#111"; ctx.lineWidth = 4; ctx.lineCap = "round"; ctx.lineJoin = "round";
    for (const s of strokes) {
      ctx.beginPath();
      s.forEach(([x, y], i) => {
        const px = x * canvas.width, py = y * canvas.height;
        if (i === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
      });
      ctx.stroke();
    }
  }

  poll();
})();

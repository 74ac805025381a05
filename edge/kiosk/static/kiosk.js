// The kiosk page's core: polls /api/view, renders the screen the case is on (screens are
// registered by the other scripts in K.SCREENS), posts the clerk's actions. Local input (the
// ID number or PIN being typed, ticked materials) lives in K.local until sent.
"use strict";
window.K = (function () {
  const $ = (sel) => document.querySelector(sel);
  const K = { $, SCREENS: {}, local: {}, view: null };
  let renderedKey = "";
  let busy = false;
  let lastError = null;

  function fresh(ref) {
    return { number: "", ticks: {}, area: null, caseRef: ref, photo: null, pin: "", clerk: null };
  }
  Object.assign(K.local, fresh(null));

  K.el = function el(tag, attrs, ...children) {
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
  };
  const el = K.el;

  K.act = async function act(name, args) {
    if (busy) return null;
    busy = true;
    let doc = null;
    try {
      const res = await fetch("/api/act/" + name, {
        method: "POST", headers: { "content-type": "application/json", "x-kiosk": "1" },
        body: JSON.stringify(args || {}),
      });
      doc = await res.json();
      if (doc.error) { lastError = doc.error.message; } else { lastError = null; apply(doc); }
    } catch (err) {
      lastError = "无法连接终端服务，请稍候重试";
    } finally {
      busy = false;
      showMessage();
    }
    return doc;
  };

  async function poll() {
    try {
      const res = await fetch("/api/view", { cache: "no-store" });
      apply(await res.json());
    } catch (err) {
      lastError = "无法连接终端服务，正在重试……";
      showMessage();
    }
    const v = K.view;
    const live = v && (["identify", "sign", "rate", "print"].includes(v.screen) || v.authorization);
    setTimeout(poll, live ? 200 : 500);
  }

  function showMessage() {
    const box = $("#message");
    const v = K.view;
    const m = lastError ? { kind: "error", text: lastError } : v && v.message;
    if (!m) { box.hidden = true; box.textContent = ""; return; }
    box.hidden = false;
    box.className = m.kind;
    box.textContent = m.text;
  }

  function keyOf(v) {
    const c = v.case || {};
    const k = v.clerk || {};
    const parts = [v.screen, c.case_ref, c.state, !!v.config, v.no_roster,
      k.on_duty && k.on_duty.id, k.locked_s > 0, JSON.stringify(k.choices || []),
      JSON.stringify(k.pending || [])];
    if (v.identify) parts.push(v.identify.mode, v.identify.busy, JSON.stringify(v.identify.outcome),
      JSON.stringify(v.identify.search));
    if (v.authorization) parts.push(v.authorization.ready);
    if (v.enroll) parts.push(JSON.stringify(v.enroll));
    if (v.materials) parts.push(v.materials.registry, v.materials.green_channel);
    if (v.sign) parts.push(v.sign.ready);
    if (v.print) parts.push(JSON.stringify(v.print));
    if (v.rate) parts.push(v.rate.level, v.rate.needs_reason, v.rate.label);
    return JSON.stringify(parts);
  }

  K.rerender = function () { renderedKey = ""; if (K.view) apply(K.view); };

  function apply(v) {
    K.view = v;
    const ref = v.case ? v.case.case_ref : null;
    if (ref !== K.local.caseRef) {
      const keep = { pin: K.local.pin, clerk: K.local.clerk };
      Object.assign(K.local, fresh(ref), keep);
    }
    $("#window-name").textContent = v.window || "便民服务窗口";
    renderDevices(v.devices || []);
    renderCaseBar(v);
    const key = keyOf(v);
    if (key !== renderedKey) {
      renderedKey = key;
      const main = $("#main");
      if (main.dataset.screen !== v.screen && K.closeDialog) K.closeDialog();
      // a screen may leave out a part (null): nothing of it is drawn, not the word "null"
      const nodes = (K.SCREENS[v.screen] || K.SCREENS.home)(v).flat().filter((n) => n !== null && n !== undefined);
      main.replaceChildren(...nodes);
      main.dataset.screen = v.screen;
    }
    live(v);
    showMessage();
  }

  function renderDevices(devices) {
    $("#devices").replaceChildren(...devices.map((d) => {
      const cls = { error: "bad", absent: "bad", paper: d.ok ? "warn" : "bad", disabled: "off" }[d.state] || "";
      return el("div", { class: "dev " + cls, "data-device": d.name, "data-state": d.state, title: d.detail || "" },
        el("span", { class: "dot" }), d.label + "：" + d.text);
    }));
  }

  function renderCaseBar(v) {
    const c = v.case;
    const on = v.clerk && v.clerk.on_duty;
    const who = on ? el("div", { id: "clerk-bar" }, "经办人 ", el("b", { id: "clerk-name" }, on.name),
      "（" + on.role_label + "）",
      el("button", { class: "small", id: "btn-sign-out", onclick: () => K.act("sign_out") }, "退出")) : null;
    const bar = $("#case-bar");
    if (!c || v.screen === "done" || v.screen === "signin") { bar.replaceChildren(...[who].filter(Boolean)); return; }
    bar.replaceChildren(
      el("div", {}, "受理编号 ", el("b", { id: "case-ref" }, c.case_ref), "　", c.state_label,
        c.agent ? el("span", { class: "tag blue", id: "agent-tag" }, "代办") : null),
      el("div", {}, [c.applicant ? "申请人 " + c.applicant : "", c.matter ? "　" + c.matter : ""].join("")),
      who);
  }

  // more buttons for a screen from other scripts (followup.js: 容缺补齐, 意见反馈)
  K.extras = function (screen, v) {
    const more = window.kioskExtras;
    return more && more[screen] ? more[screen](v) : [];
  };

  // A keypad for digits: `get`/`set` read and write the typed value, `shown` displays it.
  K.keypad = function (id, keys, get, set, shown, max) {
    return el("div", { class: "keypad", id }, keys.map((k) => el("button", { "data-key": k, onclick: () => {
      const now = get();
      if (k === "⌫") set(now.slice(0, -1));
      else if (k === "清空") set("");
      else if (now.length < max) set(now + k);
      shown();
    } }, k)));
  };

  function live(v) {
    if (v.screen === "identify" && v.identify && ["face", "search"].includes(v.identify.mode)) {
      const p = $("#face-prompt");
      if (p && v.identify.prompt) p.textContent = v.identify.prompt;
    }
    const ink = v.screen === "sign" ? v.sign : v.screen === "consent" ? v.authorization : null;
    if (ink) {
      const canvas = $("#ink");
      if (canvas) K.drawInk(canvas, ink.strokes || []);
      const signed = ink.count > 0;
      for (const b of document.querySelectorAll("[data-needs-ink]")) b.disabled = !signed;
    }
  }

  K.drawInk = function (canvas, strokes) {
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
  };

  // every screen script is loaded (they come before DOMContentLoaded): start polling
  document.addEventListener("DOMContentLoaded", poll);
  return K;
})();

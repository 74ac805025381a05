// The kiosk's follow-up screens, drawn over the case screens from the idle screen: 容缺补齐
// (a case looked up by the slip's QR or the applicant's ID number, the materials handed in
// ticked and recorded) and the feedback book (意见反馈簿). kiosk.js asks window.kioskExtras
// for the idle screen's extra buttons; everything else lives here.
"use strict";
(function () {
  const $ = (sel) => document.querySelector(sel);
  let info = null; // GET /api/followup/view: topics, phrases, whether the hub is configured
  let st = null; // the screen shown: {screen, ...its local input}

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "onclick") node.addEventListener("click", v);
      else if (k === "oninput") node.addEventListener("input", v);
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

  async function call(name, args) {
    if (st.busy) return null;
    st.busy = true;
    try {
      const res = await fetch("/api/followup/" + name, {
        method: "POST", headers: { "content-type": "application/json", "x-kiosk": "1" },
        body: JSON.stringify(args || {}),
      });
      const doc = await res.json();
      if (doc.error) { st.error = doc.error.message; return null; }
      st.error = null;
      return doc;
    } catch (err) {
      st.error = "无法连接终端服务，请稍候重试";
      return null;
    } finally {
      st.busy = false;
    }
  }

  async function open(screen) {
    if (!info) {
      try { info = await (await fetch("/api/followup/view", { cache: "no-store" })).json(); }
      catch (err) { info = { topics: [], phrases: [], hub: false }; }
    }
    st = { screen, number: "", code: "", cases: null, ticks: {}, done: null, error: null,
      topic: null, text: "", ref: "" };
    document.body.classList.add("aside-open");
    render();
  }

  function close() {
    st = null;
    document.body.classList.remove("aside-open");
    const box = $("#aside");
    box.hidden = true;
    box.replaceChildren();
  }

  function render() {
    const box = $("#aside");
    box.hidden = false;
    box.dataset.screen = st.screen;
    box.replaceChildren(...(st.screen === "supply" ? supplyScreen() : feedbackScreen()));
  }

  function errorBox() {
    return st.error ? el("div", { class: "notice", id: "followup-error" }, st.error) : null;
  }

  function back() {
    return el("div", { class: "actions end" },
      el("button", { id: "btn-followup-back", onclick: close }, "返回"));
  }

  // -- 容缺补齐 ------------------------------------------------------------------------------

  async function lookup(args) {
    const doc = await call("lookup", args);
    if (doc) { st.cases = doc.cases; st.ticks = {}; st.done = null; }
    render();
  }

  function supplyScreen() {
    const out = [el("h1", {}, "容缺补齐"),
      el("p", { class: "lead muted" }, "申请人可在本县任一便民服务站补交容缺材料。请扫描回执上的二维码，或输入申请人身份证号码查询。")];
    if (info && !info.hub) out.push(el("div", { class: "notice" }, "本终端未配置县中心地址，不能查询容缺办件"));
    const code = el("input", { id: "supply-code", class: "field", type: "text", autocomplete: "off",
      placeholder: "扫描或粘贴回执二维码内容", value: st.code, oninput: (e) => { st.code = e.target.value; } });
    const shown = el("div", { class: "idnum", id: "supply-number" }, st.number || "　");
    const press = (k) => {
      if (k === "⌫") st.number = st.number.slice(0, -1);
      else if (k === "清空") st.number = "";
      else if (st.number.length < 18) st.number += k;
      shown.textContent = st.number || "　";
    };
    const keys = ["1", "2", "3", "⌫", "4", "5", "6", "清空", "7", "8", "9", "X", "0"];
    out.push(el("div", { class: "card" }, el("h2", {}, "扫描回执二维码"),
      el("div", { class: "row" }, el("div", { class: "grow" }, code),
        el("button", { class: "primary", id: "btn-supply-scan", onclick: () => lookup({ code: st.code }) }, "查询"))));
    out.push(el("div", { class: "card" }, el("h2", {}, "或输入申请人身份证号码"), shown,
      el("div", { class: "row keyrow" },
        el("div", { class: "keypad", id: "supply-keypad" }, keys.map((k) => el("button", { "data-key": k, onclick: () => press(k) }, k))),
        el("div", { class: "side" },
          el("button", { class: "primary big", id: "btn-supply-id", onclick: () => lookup({ number: st.number }) }, "查询")))));
    out.push(errorBox());
    if (st.done) {
      const d = st.done;
      out.push(el("div", { class: "notice ok", id: "supply-done" },
        "已记录补齐（受理编号 " + d.case_ref + "）：" + d.materials.join("、") +
        (d.left.length ? "。尚欠：" + d.left.join("、") : "。材料已全部补齐。")));
    }
    if (st.cases && !st.cases.length) {
      out.push(el("div", { class: "notice", id: "supply-none" }, "未找到尚欠容缺材料的办件"));
    }
    for (const c of st.cases || []) {
      const ticks = st.ticks[c.case_id] || (st.ticks[c.case_id] = {});
      out.push(el("div", { class: "card owed-case", "data-case": c.case_ref || c.case_id },
        el("dl", { class: "kv" }, el("dt", {}, "受理编号"), el("dd", {}, c.case_ref || "—"),
          el("dt", {}, "办理事项"), el("dd", {}, c.matter || "—"),
          el("dt", {}, "补齐期限"), el("dd", {}, (c.supply_by || "—") + (c.lapsed ? "（已逾期）" : ""))),
        el("p", {}, "请勾选申请人本次补交的材料："),
        c.owed.map((m) => el("div", { class: "mat", "data-owed": m }, el("div", { class: "name" }, m),
          el("button", { class: ticks[m] ? "on" : "", "data-tick": "received",
            onclick: () => { ticks[m] = !ticks[m]; render(); } }, "已收取"))),
        el("div", { class: "actions" }, el("button", { class: "primary", "data-record": c.case_id,
          disabled: !c.owed.some((m) => ticks[m]),
          onclick: async () => {
            const doc = await call("supply", { case_id: c.case_id, materials: c.owed.filter((m) => ticks[m]) });
            if (doc) { st.done = doc.recorded; st.cases = st.cases.filter((x) => x.case_id !== c.case_id); }
            render();
          } }, "记录补齐"))));
    }
    out.push(back());
    return out;
  }

  // -- 意见反馈簿 ----------------------------------------------------------------------------

  function feedbackScreen() {
    const out = [el("h1", {}, "意见反馈簿"),
      el("p", { class: "lead muted" }, "欢迎您对我们的服务提出意见和建议。无需填写姓名等个人信息。")];
    if (st.done) {
      out.push(el("div", { class: "notice ok", id: "feedback-done" }, "感谢您的反馈！我们会认真处理。"));
      out.push(back());
      return out;
    }
    out.push(el("h2", {}, "请选择反馈类别"),
      el("div", { class: "tabs", id: "feedback-topics" }, (info.topics || []).map((t) =>
        el("button", { class: st.topic === t.code ? "on" : "", "data-topic": t.code,
          onclick: () => { st.topic = t.code; render(); } }, t.label))));
    const text = el("textarea", { id: "feedback-text", class: "field", maxlength: 500, rows: 4,
      placeholder: "请输入您的意见（可用屏幕键盘输入，也可点选下方常用语）", oninput: (e) => { st.text = e.target.value; } });
    text.value = st.text;
    out.push(el("h2", {}, "您的意见（选填）"), text,
      el("div", { class: "tabs phrases" }, (info.phrases || []).map((p) =>
        el("button", { "data-phrase": p, onclick: () => { st.text = (st.text ? st.text + "，" : "") + p; render(); } }, p))));
    const ref = el("input", { id: "feedback-ref", class: "field", type: "text", maxlength: 64,
      placeholder: "受理编号（选填，见回执）", value: st.ref, oninput: (e) => { st.ref = e.target.value; } });
    out.push(el("h2", {}, "受理编号（选填）"), ref, errorBox(),
      el("div", { class: "actions" },
        el("button", { class: "primary big", id: "btn-feedback-send", disabled: !st.topic,
          onclick: async () => {
            const doc = await call("feedback", { topic: st.topic, text: st.text, case_ref: st.ref || null });
            if (doc) st.done = doc.recorded;
            render();
          } }, "提交"),
        el("button", { id: "btn-followup-back", onclick: close }, "返回")));
    return out;
  }

  window.kioskExtras = {
    home() {
      return [
        el("button", { class: "secondary big", id: "btn-supply", onclick: () => open("supply") }, "容缺补齐"),
        el("button", { class: "secondary big", id: "btn-feedback", onclick: () => open("feedback") }, "意见反馈"),
      ];
    },
  };
})();

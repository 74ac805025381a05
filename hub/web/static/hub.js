// The hub's pages: forms that call the JSON API with the session's CSRF token, and messages.
//
// A form marked <form data-api="/api/..." data-method="POST" data-then="reload|/path">
// is sent as JSON (its named fields; checkboxes as booleans, data-number fields as numbers)
// with the X-CSRF-Token header from the layout's meta tag, on the session cookie only.
"use strict";
(function () {
  const $ = (sel, root) => (root || document).querySelector(sel);
  const csrf = () => ($('meta[name="csrf-token"]') || {}).content || "";
  const ERRORS = {
    unauthorized: "登录已失效，请重新登录",
    forbidden: "当前账号无权进行此操作",
    csrf_failed: "页面已过期，请刷新后重试",
    rate_limited: "操作过于频繁，请稍后再试",
    not_found: "对象不存在或已删除",
    conflict: "数据已被他人修改，请刷新页面",
    invalid_request: "填写内容有误",
  };

  function show(kind, text) {
    const box = $("#message");
    if (!box) return;
    box.hidden = !text;
    box.className = kind;
    box.textContent = text || "";
  }

  async function api(method, url, body) {
    const response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrf() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await response.json(); } catch (_) { /* not JSON */ }
    if (!response.ok) {
      // errors are {"detail": {"code", "message"}} (hub.handlers); FastAPI's own 422 is a list
      const error = data && data.detail && !Array.isArray(data.detail) ? data.detail : null;
      const code = error && error.code;
      const detail = error && error.message;
      throw new Error((ERRORS[code] || "操作失败") + (detail ? "：" + detail : ""));
    }
    return data;
  }

  function fields(form) {
    const out = {};
    for (const el of form.elements) {
      if (!el.name || el.disabled) continue;
      if (el.type === "checkbox") out[el.name] = el.checked;
      else if (el.type === "radio") { if (el.checked) out[el.name] = el.value; }
      else if (el.dataset.number !== undefined) out[el.name] = el.value === "" ? null : Number(el.value);
      else out[el.name] = el.value;
    }
    return out;
  }

  for (const form of document.querySelectorAll("form[data-api]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
      const button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      try {
        await api(form.dataset.method || "POST", form.dataset.api, fields(form));
        show("ok", form.dataset.done || "已保存");
        const then = form.dataset.then;
        if (then === "reload") window.location.reload();
        else if (then) window.location.assign(then);
      } catch (err) {
        show("error", err.message);
      } finally {
        if (button) button.disabled = false;
      }
    });
  }

  window.bianmin = { api, show, csrf };
})();

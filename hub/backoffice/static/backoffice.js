// The back office's pages: the step forms posted with fetch on the session cookie and the
// session's CSRF token (the page's meta tag), and the two signature pads of a handover.
"use strict";
(function () {
  const $ = (sel, root) => (root || document).querySelector(sel);
  const csrf = () => ($('meta[name="csrf-token"]') || {}).content || "";
  const ERRORS = {
    step_not_allowed: "该办件当前状态不允许此操作，请刷新页面",
    out_of_scope: "本单位无权办理该办件",
    csrf_failed: "页面已过期，请刷新后重试",
    unauthorized: "登录已失效，请重新登录",
    forbidden: "该账号无权办理",
    case_not_found: "办件不存在",
    conflict: "该操作已用于其他步骤，请刷新页面",
    body_too_large: "签名或内容过长，请重签",
  };

  function show(kind, text) {
    const box = $("#message");
    box.hidden = !text;
    box.className = kind;
    box.textContent = text || "";
  }

  // a random UUID without crypto.randomUUID (which needs HTTPS off localhost)
  function uuid4() {
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // -- signature pads: strokes of points in 1/10,000ths of the canvas -------------------------
  const pads = {};
  for (const canvas of document.querySelectorAll("canvas[data-pad]")) {
    const pad = { strokes: [], current: null };
    pads[canvas.dataset.pad] = pad;
    const ctx = canvas.getContext("2d");
    ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
    const at = (e) => {
      const r = canvas.getBoundingClientRect();
      const clamp = (v) => Math.max(0, Math.min(10000, Math.round(v)));
      return [clamp(((e.clientX - r.left) / r.width) * 10000), clamp(((e.clientY - r.top) / r.height) * 10000)];
    };
    const draw = (a, b) => {
      ctx.beginPath();
      ctx.moveTo((a[0] / 10000) * canvas.width, (a[1] / 10000) * canvas.height);
      ctx.lineTo((b[0] / 10000) * canvas.width, (b[1] / 10000) * canvas.height);
      ctx.stroke();
    };
    canvas.addEventListener("pointerdown", (e) => {
      canvas.setPointerCapture(e.pointerId);
      pad.current = [at(e)];
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!pad.current) return;
      const p = at(e), last = pad.current[pad.current.length - 1];
      if (Math.abs(p[0] - last[0]) + Math.abs(p[1] - last[1]) < 40 || pad.current.length >= 1000) return;
      draw(last, p);
      pad.current.push(p);
    });
    const end = () => {
      if (pad.current) {
        if (pad.current.length === 1) pad.current.push(pad.current[0]);
        pad.strokes.push(pad.current);
      }
      pad.current = null;
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
  }
  for (const button of document.querySelectorAll("button[data-clear]")) {
    button.addEventListener("click", () => {
      const canvas = $(`canvas[data-pad="${button.dataset.clear}"]`);
      canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
      pads[button.dataset.clear].strokes = [];
    });
  }

  const lines = (text) => text.split("\n").map((s) => s.trim()).filter(Boolean);

  function body(form) {
    const step = form.dataset.step;
    const value = (name) => { const f = form.elements.namedItem(name); return f ? f.value.trim() : ""; };
    const out = { action_id: form.dataset.actionId };
    if (step === "correction") {
      out.asked = lines(value("asked"));
      if (value("note")) out.note = value("note");
    } else if (step === "complete") {
      out.result = value("result");
    } else if (step === "reject") {
      out.reason = value("reason");
    } else if (step === "handover") {
      out.agent = value("agent");
      out.materials = lines(value("materials"));
      for (const name of ["agent_signature", "officer_signature"]) {
        if (!pads[name].strokes.length) throw new Error(name === "agent_signature" ? "请代办员签名" : "请接收人签名");
        out[name] = { strokes: pads[name].strokes };
      }
    } else if (value("note")) {
      out.note = value("note");
    }
    return out;
  }

  for (const form of document.querySelectorAll("form.step")) {
    form.dataset.actionId = uuid4(); // one id per form: a retry of the same submit records once
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      let doc;
      try { doc = body(form); } catch (err) { show("error", err.message); return; }
      const button = $("button[type=submit]", form);
      button.disabled = true;
      try {
        const res = await fetch(`/api/cases/${form.dataset.case}/${form.dataset.step}`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-csrf-token": csrf() },
          body: JSON.stringify(doc),
          credentials: "same-origin",
        });
        if (res.ok) {
          show("ok", "已提交");
          location.reload();
          return;
        }
        const err = await res.json().catch(() => ({}));
        const code = err.detail && err.detail.code;
        show("error", ERRORS[code] || (res.status === 422 ? "填写内容不符合要求，请检查" : "提交失败（" + res.status + "）"));
      } catch (err) {
        show("error", "无法连接县中心，请稍后重试");
      }
      button.disabled = false;
    });
  }
})();

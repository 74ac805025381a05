// The catalog pages: "修改此事项" makes a draft of the running version and opens the edit
// form; the edit form sends one matter as JSON and lists each refused field in Chinese.
"use strict";
(function () {
  const { csrf, show } = window.bianmin;

  async function call(method, url, body) {
    const response = await fetch(url, {
      method, credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrf() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await response.json(); } catch (_) { /* not JSON */ }
    return { ok: response.ok, data };
  }

  function problems(data) {
    const detail = data && data.detail;
    if (detail && Array.isArray(detail.issues)) return detail.issues.map((i) => i.reason_zh || i.reason);
    if (detail && detail.message) return [detail.message];
    return ["保存失败"];
  }

  function fen(text) {
    // exact yuan -> fen without floating point: "12.3" -> 1230
    const m = /^\s*(\d{1,15})(?:\.(\d{1,2}))?\s*$/.exec(text);
    if (!m) return text;  // the server says what is wrong with it
    return Number(m[1]) * 100 + Number((m[2] || "0").padEnd(2, "0"));
  }

  function value(el) {
    if (el.type === "checkbox") return el.checked;
    if (el.dataset.number !== undefined) return el.value === "" ? null : Number(el.value);
    return el.value.trim() === "" ? null : el.value.trim();
  }

  function matterOf(form) {
    const matter = {};
    for (const el of form.querySelectorAll(".edit-grid [data-field]")) matter[el.dataset.field] = value(el);
    if (matter.deficiency_grace_days === null) delete matter.deficiency_grace_days;
    for (const el of form.querySelectorAll("[data-lines]")) {
      matter[el.dataset.lines] = el.value.split("\n").map((s) => s.trim()).filter(Boolean);
    }
    matter.slips = [...form.querySelectorAll("[data-slip]:checked")].map((el) => el.value);
    matter.materials = [];
    for (const row of form.querySelectorAll("tr[data-material]")) {
      const item = {};
      for (const el of row.querySelectorAll("[data-field]")) item[el.dataset.field] = value(el);
      if (item.name === null) continue;
      for (const key of ["waiver_ground", "waiver_note", "obtain_at"]) if (item[key] === null) delete item[key];
      matter.materials.push(item);
    }
    matter.fees = [];
    for (const row of form.querySelectorAll("tr[data-fee]")) {
      const item = {};
      for (const el of row.querySelectorAll("[data-field]")) item[el.dataset.field] = value(el);
      if (item.item === null) continue;
      const fee = { item: item.item, amount_fen: fen(item.amount || "") };
      if (item.basis !== null) fee.basis = item.basis;
      matter.fees.push(fee);
    }
    return matter;
  }

  const edit = document.querySelector("form[data-matter-edit]");
  if (edit) {
    const errors = document.getElementById("form-errors");
    const url = `/api/catalog/drafts/${edit.dataset.draft}/matters/${encodeURIComponent(edit.dataset.code)}`;
    edit.addEventListener("submit", async (event) => {
      event.preventDefault();
      const offered = [...edit.querySelectorAll("[data-village]:checked")].map((el) => el.value);
      const result = await call("PUT", url, { matter: matterOf(edit), offered_by: offered });
      if (result.ok) { window.location.assign(`/catalog/drafts/${edit.dataset.draft}`); return; }
      const list = problems(result.data);
      errors.replaceChildren(...list.map((text) => Object.assign(document.createElement("li"), { textContent: text })));
      errors.hidden = false;
      show("error", `未保存：共${list.length}处问题`);
      errors.scrollIntoView({ block: "center" });
    });
    const remove = document.getElementById("remove-matter");
    if (remove) remove.addEventListener("click", async () => {
      if (!window.confirm(remove.dataset.confirm)) return;
      const result = await call("DELETE", url);
      if (result.ok) window.location.assign(`/catalog/drafts/${edit.dataset.draft}`);
      else show("error", problems(result.data).join("；"));
    });
  }

  for (const form of document.querySelectorAll("form[data-new-draft]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const result = await call("POST", "/api/catalog/drafts/from-current");
      if (!result.ok) { show("error", problems(result.data).join("；")); return; }
      window.location.assign(`/catalog/drafts/${result.data.id}/edit?code=${encodeURIComponent(form.dataset.code)}`);
    });
  }
})();

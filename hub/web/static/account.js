// The account page: forms whose answer is a password made by the hub (a new account, a
// reset), shown once on the page for the admin to hand over, never stored by the page; and
// the area of an account, one list of the county, its towns and its villages.
"use strict";
(function () {
  const $ = (sel) => document.querySelector(sel);
  for (const form of document.querySelectorAll("form[data-area]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const [kind, code] = (form.elements.namedItem("area").value || ":").split(":");
      const body = { town: kind === "town" ? code : null, village: kind === "village" ? code : null };
      try {
        await window.bianmin.api("PATCH", form.dataset.area, body);
        window.location.reload();
      } catch (err) {
        window.bianmin.show("error", err.message);
      }
    });
  }

  for (const form of document.querySelectorAll("form[data-issue]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
      const body = {};
      for (const el of form.elements) if (el.name) body[el.name] = el.value === "" ? null : el.value;
      try {
        const issued = await window.bianmin.api(form.dataset.method || "POST", form.dataset.issue, body);
        $("#issued-name").textContent = issued.name;
        $("#issued-password").textContent = issued.password;
        $("#issued-token-line").hidden = !issued.token;
        $("#issued-token").textContent = issued.token || "";
        $("#issued").hidden = false;
        window.bianmin.show("ok", "已完成，请记下密码");
      } catch (err) {
        window.bianmin.show("error", err.message);
      }
    });
  }
})();

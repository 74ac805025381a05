// The rollouts page: the form that starts a staged rollout builds the API's nested request
// (target, canaries, stages, threshold) and posts it through hub.js with the CSRF token.
"use strict";
(function () {
  const form = document.getElementById("new-rollout");
  if (!form || !window.bianmin) return;
  const value = (name) => form.elements[name].value.trim();
  const integer = (name) => (value(name) === "" ? null : Number.parseInt(value(name), 10));

  function request() {
    const scope = value("scope");
    let target;
    if (scope === "all") target = { all: true };
    else if (scope.startsWith("division:")) target = { division: scope.slice("division:".length) };
    else {
      const units = value("units").split(/[\s,，、]+/).filter(Boolean);
      if (!units.length) throw new Error("请填写终端编号");
      target = { units };
    }
    let canary = integer("canary_count") || 0;
    // a target no larger than the canaries has no later stage: no canaries then
    if (target.units && target.units.length <= canary) canary = 0;
    const body = {
      target,
      canary_count: canary,
      failure_threshold: (integer("failure_threshold") ?? 10) / 100,
      timeout_s: (integer("timeout_min") ?? 10) * 60,
      profile: value("profile"),
      note: value("note") || null,
    };
    const stage = integer("stage_size");
    if (stage) body.stage_size = stage;
    return body;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const rollout = await window.bianmin.api("POST", "/api/rollouts", request());
      window.location.assign("/rollouts/" + rollout.id);
    } catch (err) {
      window.bianmin.show("error", err.message);
    } finally {
      button.disabled = false;
    }
  });

  // the unit list only matters when the scope is 指定终端
  const units = form.elements.units.closest("label");
  const sync = () => { units.hidden = value("scope") !== "units"; };
  form.elements.scope.addEventListener("change", sync);
  sync();
})();

// The clerk's ways back: 返回 one step, a confirmation with a reason before 取消办件 and before
// the applicant's refusal to sign, a summary before 容缺受理 and 不予受理. A dialog is drawn
// over the screen (outside #main, so the poll's re-render leaves it) and closes when its
// action succeeds or the screen changes.
"use strict";
(function (K) {
  const el = K.el;
  const act = K.act;
  let open = null;
  const CANCEL_REASONS = ["申请人临时有事", "申请人要求取消", "身份无法核验", "事项选择有误，重新办理", "其他原因"];
  const REFUSE_REASONS = ["申请人不同意承诺事项", "申请人决定暂不办理", "申请人对受理内容有异议", "其他原因"];

  K.closeDialog = function () {
    if (open) { open.remove(); open = null; }
  };

  // {id, title, body (nodes), reasons (optional: one must be picked), confirm, dismiss, run}
  K.dialog = function (d) {
    K.closeDialog();
    let chosen = null;
    const ok = el("button", { class: "primary", id: "btn-dialog-ok", disabled: !!d.reasons, onclick: async () => {
      const doc = await d.run(chosen);
      if (doc && !doc.error) K.closeDialog();
    } }, d.confirm);
    const picks = d.reasons ? el("div", { class: "reasons", id: "dialog-reasons" }) : null;
    for (const r of d.reasons || []) {
      const b = el("button", { "data-reason": r, onclick: () => {
        chosen = r;
        for (const x of picks.children) x.classList.toggle("on", x === b);
        ok.disabled = false;
      } }, r);
      picks.append(b);
    }
    open = el("div", { class: "dialog", id: d.id, role: "dialog" },
      el("div", { class: "dialog-card" }, el("h2", {}, d.title), d.body, picks,
        el("div", { class: "actions bar" },
          el("button", { id: "btn-dialog-no", onclick: K.closeDialog }, d.dismiss || "返回修改"), ok)));
    document.body.append(open);
  };

  K.cancelButton = function () {
    return el("button", { id: "btn-cancel", onclick: () => K.dialog({
      id: "dialog-cancel", title: "取消办件",
      body: el("p", { class: "lead" }, "取消后本次办件结束，已办理的步骤都会留有记录。请选择取消原因："),
      reasons: CANCEL_REASONS, confirm: "确认取消办件", dismiss: "不取消，继续办理",
      run: (reason) => act("cancel", { reason }),
    }) }, "取消办件");
  };

  K.backButton = function () {
    return el("button", { id: "btn-back", onclick: () => act("back") }, "返回");
  };

  function list(id, names) {
    return el("ul", { class: "owed", id }, names.map((n) => el("li", {}, n)));
  }

  // 容缺受理: what will be owed, in how many working days, before the applicant signs
  K.confirmDefer = function (owed, days, run) {
    K.dialog({
      id: "dialog-defer", title: "确认容缺受理",
      body: [el("p", { class: "lead" }, "以下材料可容缺，申请人须在受理后" + days + "个工作日内补齐：", ), list("defer-owed", owed),
        el("p", {}, "申请人签名承诺后即受理；逾期未补齐的，本次办件撤回。")],
      confirm: "确认容缺受理", run,
    });
  };

  // 不予受理: the list the 一次性告知书 will print
  K.confirmDecline = function (missing, run) {
    K.dialog({
      id: "dialog-decline", title: "确认不予受理",
      body: [el("p", { class: "lead" }, "本次不予受理，将打印一次性告知书，一次告知申请人尚缺的全部材料："), list("decline-missing", missing)],
      confirm: "确认不予受理，打印告知书", run,
    });
  };

  K.refuseSignButton = function (v) {
    const owed = (v.case && v.case.owed) || [];
    return el("button", { id: "btn-refuse-sign", onclick: () => K.dialog({
      id: "dialog-refuse", title: "申请人不签名",
      body: [el("p", { class: "lead" }, "申请人不签名，本次不予受理，并打印一次性告知书" + (owed.length ? "，列明尚缺材料：" : "。")),
        owed.length ? list("refuse-owed", owed) : null, el("p", {}, "请选择原因：")],
      reasons: REFUSE_REASONS, confirm: "确认不予受理", dismiss: "返回签名",
      run: (reason) => act("refuse_sign", { reason }),
    }) }, "申请人不签名");
  };
})(window.K);

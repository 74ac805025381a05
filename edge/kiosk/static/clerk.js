// Signing in (name, then a 6-digit PIN on the on-screen keypad), the home screen, and an
// agent's list of forwarded cases still to carry to the town (待送件).
"use strict";
(function (K) {
  const el = K.el;
  const act = K.act;
  const local = K.local;
  const PIN_KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "清空", "0", "⌫"];

  Object.assign(K.SCREENS, {
    signin(v) {
      const c = v.clerk;
      const out = [el("h1", {}, "工作人员登录")];
      if (c.locked_s > 0) {
        out.push(el("div", { class: "notice", id: "signin-locked" },
          "PIN输入错误次数过多，登录已锁定，请约" + Math.ceil(c.locked_s / 60) + "分钟后再试。"));
      }
      const choices = c.choices || [];
      if (!choices.some((x) => x.id === local.clerk)) local.clerk = null;
      out.push(el("p", { class: "lead" }, local.clerk ? "请输入6位PIN：" : "请选择您的姓名："));
      out.push(el("div", { class: "tabs", id: "clerk-choices" }, choices.map((x) =>
        el("button", { class: x.id === local.clerk ? "on" : "", "data-clerk": x.id,
          onclick: () => { local.clerk = x.id; local.pin = ""; K.rerender(); } }, x.name + "（" + x.role_label + "）"))));
      if (!local.clerk) return out;
      const dots = el("div", { class: "idnum pin", id: "pin-dots" }, "●".repeat(local.pin.length) || "　");
      const show = () => { dots.textContent = "●".repeat(local.pin.length) || "　"; };
      const pad = K.keypad("pin-keypad", PIN_KEYS, () => local.pin, (p) => { local.pin = p; }, show, 6);
      const signIn = async () => {
        const pin = local.pin;
        local.pin = "";
        show();
        await act("sign_in", { clerk: local.clerk, pin });
      };
      out.push(dots, el("div", { class: "row keyrow" }, pad,
        el("div", { class: "side" }, el("button", { class: "primary big", id: "btn-sign-in", disabled: c.locked_s > 0, onclick: signIn }, "登录"))));
      return out;
    },
    home(v) {
      if (!v.config) {
        return [el("h1", {}, "等待县中心下发配置"),
          el("p", { class: "lead muted" }, "终端已启动，尚未收到本村（社区）的事项目录，收到后即可办件。")];
      }
      if (v.no_roster) {
        return [el("h1", {}, "暂不能办件"), el("div", { class: "notice", id: "no-roster" }, v.no_roster)];
      }
      const out = [el("h1", {}, v.window || "便民服务窗口"),
        el("p", { class: "lead" }, "本窗口可办理 " + v.config.matters + " 项便民服务事项。"),
        el("div", { class: "actions" },
          el("button", { class: "primary big", id: "btn-open", onclick: () => act("open") },
            v.clerk && v.clerk.on_duty && v.clerk.on_duty.role === "agent" ? "开始代办" : "开始办件"),
          ...K.extras("home", v))];
      const pending = v.clerk && v.clerk.pending;
      if (pending) out.push(pendingList(pending));
      return out;
    },
  });

  function pendingList(pending) {
    const box = el("div", { class: "card", id: "agent-pending" },
      el("h2", {}, "待送件（" + pending.length + "件）"),
      el("p", { class: "muted" }, "以下代办件已报送，请携带申请人的纸质材料送交镇（街道）或县直部门。"));
    if (!pending.length) box.append(el("p", {}, "暂无待送件。"));
    for (const p of pending) {
      box.append(el("div", { class: "mat", "data-case": p.case_ref },
        el("div", { class: "name" }, p.matter || "", el("small", {},
          "受理编号 " + p.case_ref + "　申请人 " + p.applicant + "　送交" + (p.to || "") +
          "　受理 " + (p.accepted_on || "") + "　承诺办结 " + (p.promised_due || "")))));
    }
    return box;
  }
})(window.K);

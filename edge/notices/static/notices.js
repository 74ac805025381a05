// The kiosk's notices from the town or department (办结通知 / 补正通知 / 不予受理通知): a
// button in the top bar with how many wait to be handed over, and a panel listing them with
// "打印并交付" for the applicant. Independent of kiosk.js: it polls its own /api/notices.
"use strict";
(function () {
  const style = document.createElement("style");
  style.textContent = `
    #notices-button { margin-left: auto; font-size: 18px; padding: 6px 14px; }
    #notices-button b { background: #cf222e; color: #fff; border-radius: 10px; padding: 0 7px; margin-left: 4px; }
    #notices-panel { position: fixed; top: 70px; right: 16px; width: min(620px, 92vw); max-height: 75vh;
      overflow: auto; background: #fff; border: 1px solid #d0d7de; border-radius: 10px;
      box-shadow: 0 8px 24px rgba(0,0,0,.2); padding: 12px 16px; z-index: 10; }
    #notices-panel h2 { margin: 0 0 8px; font-size: 20px; }
    #notices-panel .notice-item { border-top: 1px solid #d8dee4; padding: 8px 0; }
    #notices-panel .notice-item p { margin: 2px 0; }
    #notices-panel .done { color: #1a7f37; }
    #notices-panel .error { color: #cf222e; }`;
  document.head.append(style);

  let data = { notices: [], waiting: 0 };
  let open = false;
  let error = null;
  let busy = false;

  const button = document.createElement("button");
  button.id = "notices-button";
  button.type = "button";
  button.addEventListener("click", () => { open = !open; render(); });
  document.getElementById("top").append(button);
  const panel = document.createElement("section");
  panel.id = "notices-panel";
  panel.hidden = true;
  panel.setAttribute("aria-label", "办件通知");
  document.body.append(panel);

  function text(tag, value, cls) {
    const node = document.createElement(tag);
    node.textContent = value;
    if (cls) node.className = cls;
    return node;
  }

  function render() {
    button.replaceChildren("办件通知");
    if (data.waiting) button.append(text("b", String(data.waiting)));
    panel.hidden = !open;
    if (!open) return;
    const items = data.notices.map((n) => {
      const item = document.createElement("div");
      item.className = "notice-item";
      item.dataset.notice = n.id;
      item.dataset.delivered = n.delivered ? "1" : "0";
      item.append(text("p", n.label + "　受理编号 " + n.case_ref));
      item.append(text("p", (n.matter || "") + "　" + n.office, "muted"));
      if (n.asked.length) item.append(text("p", "需补正：" + n.asked.join("、")));
      if (n.text) item.append(text("p", (n.step === "completed" ? "办理结果：" : n.step === "rejected" ? "理由：" : "说明：") + n.text));
      item.append(text("p", n.delivered ? "已交付申请人（" + (n.delivered_at || "").slice(0, 16).replace("T", " ") + "）" : "收到于 " + n.received_at + "，待交付申请人", n.delivered ? "done" : ""));
      const act = text("button", n.delivered ? "补打一份" : "打印并交付申请人");
      act.type = "button";
      act.className = n.delivered ? "secondary" : "primary";
      act.dataset.deliver = n.id;
      act.disabled = busy || data.printing === n.id;
      act.addEventListener("click", () => deliver(n.id));
      item.append(act);
      return item;
    });
    panel.replaceChildren(text("h2", "办件通知（镇、部门办理结果）"));
    if (error) panel.append(text("p", error, "error"));
    if (!items.length) panel.append(text("p", "暂无通知。", "muted"));
    panel.append(...items);
  }

  async function deliver(id) {
    if (busy) return;
    busy = true; error = null; render();
    try {
      const res = await fetch("/api/notices/" + id + "/deliver", { method: "POST", headers: { "x-kiosk": "1" } });
      const doc = await res.json();
      if (doc.error) error = doc.error.message; else data = doc;
    } catch (err) {
      error = "无法连接终端服务，请稍候重试";
    }
    busy = false;
    render();
  }

  async function poll() {
    try {
      const res = await fetch("/api/notices", { cache: "no-store" });
      data = await res.json();
      render();
    } catch (err) { /* the kiosk's own poll reports a lost connection */ }
    setTimeout(poll, 2000);
  }

  poll();
})();

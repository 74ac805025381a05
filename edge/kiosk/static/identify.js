// Consent (with the resident's 委托授权 on an agent's case) and identification: the ID number
// on a keypad, 1:1 face verification, the ID card, and the 1:N search whose candidates the
// clerk confirms (or rejects): the search never identifies anyone by itself.
"use strict";
(function (K) {
  const el = K.el;
  const act = K.act;
  const local = K.local;
  const ID_KEYS = ["1", "2", "3", "⌫", "4", "5", "6", "清空", "7", "8", "9", "X", "0"];

  Object.assign(K.SCREENS, {
    consent(v) {
      const agent = v.authorization;
      const out = [el("h1", {}, agent ? "委托授权与身份核验方式" : "身份核验方式")];
      if (agent) {
        const name = v.clerk && v.clerk.on_duty ? v.clerk.on_duty.name : "代办员";
        out.push(el("div", { class: "card", id: "authorization" },
          el("h2", {}, "委托授权（代办）"),
          el("p", {}, "本人委托代办员 " + name + " 代为办理本次事项，并携带材料报送镇（街道）或县直部门。请申请人在签字板上签名确认。"),
          el("canvas", { id: "ink", width: 900, height: 360 }),
          el("div", { class: "actions" }, el("button", { id: "btn-auth-clear", onclick: () => act("sign_clear") }, "重签"))));
      }
      const consent = (face) => {
        const attrs = { class: "secondary big", id: face ? "btn-consent-face" : "btn-consent-card", onclick: () => act("consent", { face }) };
        if (agent) attrs["data-needs-ink"] = true;
        return el("button", attrs, face ? "同意人脸核验" : "不同意，使用身份证核验");
      };
      if (!v.face_available) {
        // no face verification on this unit: nothing to consent to, the ID card it is
        const card = el("button", { class: "primary big", id: "btn-consent-card", onclick: () => act("consent", { face: false }) }, "使用身份证核验");
        if (agent) card.setAttribute("data-needs-ink", "");
        out.push(el("div", { class: "card", id: "no-face" },
          el("p", { class: "lead" }, "本终端未启用人脸核验，请工作人员核验申请人的身份证原件。")),
          el("div", { class: "actions bar" }, card, K.cancelButton()));
        return out;
      }
      out.push(el("div", { class: "card" },
          el("h2", {}, "人脸核验告知（须申请人单独同意）"),
          el("p", {}, "人脸核验仅用于本次办件核实申请人身份：与本人登记的人脸比对，或在本终端已登记人脸的居民中查找后由工作人员确认。人脸图像只在本终端内处理，比对后立即删除，不上传、不保存；县中心只收到核验结果。"),
          el("p", {}, "申请人也可以不使用人脸核验，改由工作人员核验身份证原件，两种方式效力相同，不影响办理。不满十四周岁的申请人请使用身份证核验。")),
        el("div", { class: "actions bar" }, consent(true), consent(false), K.cancelButton()));
      return out;
    },
    identify(v) {
      const id = v.identify;
      if (id.mode === "face") return faceScreen(v, id);
      if (id.mode === "search") return searchScreen(v, id);
      if (id.mode === "card") return cardScreen(v, id);
      return numberScreen(v);
    },
  });

  function numberScreen(v) {
    const shown = el("div", { class: "idnum", id: "id-number" }, local.number || "　");
    const show = () => { shown.textContent = local.number || "　"; };
    const pad = K.keypad("keypad", ID_KEYS, () => local.number, (n) => { local.number = n; }, show, 18);
    const side = [el("button", { class: "primary big", id: "btn-id-ok", onclick: () => act("id_number", { number: local.number }) }, "确定")];
    if (v.identify.reader) side.push(readButton(v.identify.card));
    if (v.identify.face_consent && v.face_available) {
      side.push(el("button", { class: "secondary", id: "btn-face-search", onclick: () => act("face_search") }, "刷脸查找（无需输入号码）"));
    }
    const face = v.identify.face_consent && v.face_available;
    return [el("h1", {}, "输入身份证号码"),
      el("p", { class: "lead" }, face ? "输入号码后进行人脸核验，或刷脸查找已登记的居民。" : "请工作人员核对身份证原件，并输入号码。"),
      cardNotice(v.identify.card), shown, el("div", { class: "row keyrow" }, pad, el("div", { class: "side" }, side)),
      el("div", { class: "actions bar" }, v.case && v.case.agent ? null : K.backButton(), K.cancelButton())];
  }

  // 读卡: the reader waits for a card; its number fills the ID reference
  function readButton(card) {
    const busy = card && card.busy;
    return el("button", { class: "secondary", id: "btn-card-read", disabled: !!busy, onclick: () => act("card_read") },
      busy ? "请将身份证放在读卡器上……" : "读卡（二代身份证）");
  }

  function cardNotice(card) {
    if (!card || !card.error) return null;
    return el("div", { class: "notice", id: "card-error" }, card.error);
  }

  const COMPARE = { match: "现场人脸与证件照片比对一致", no_match: "现场人脸与证件照片比对不一致（不予通过）" };

  function cardScreen(v, id) {
    const read = id.card && id.card.read;
    const out = [el("h1", {}, "核验身份证"), cardNotice(id.card)];
    if (!read) {
      out.push(el("p", { class: "lead" }, "请工作人员核对申请人身份证原件与本人一致。"));
    } else {
      out.push(el("div", { class: "card", id: "card-read" },
        el("p", { class: "lead" }, "已读取身份证：" + read.name + "，有效期至 " + read.valid_until)));
      if (read.compare === "busy" || id.busy) {
        out.push(el("h2", {}, "与证件照片比对"), ...challenge(id));
      } else {
        const lines = [];
        if (read.liveness) lines.push(livenessText(read.liveness));
        if (COMPARE[read.compare]) lines.push(COMPARE[read.compare]);
        out.push(el("div", { class: "card", id: "card-compare", "data-compare": read.compare },
          lines.length ? el("p", { class: "lead" }, lines.join("；")) : null,
          read.distance !== null ? el("p", { class: "muted" }, "比对距离 " + read.distance.toFixed(3) + "（证件照阈值 " + read.threshold + "）") : null,
          read.note ? el("p", { class: "notice" }, read.note) : null));
      }
    }
    out.push(el("div", { class: "idnum", id: "id-masked" }, id.id_masked || ""));
    const acts = [];
    if (read && read.compare === "match" && read.liveness !== "passed") {
      acts.push(el("button", { class: "primary", id: "btn-card-presence", onclick: () => act("card_confirm_presence") }, "工作人员确认本人在场"));
    }
    acts.push(el("button", { class: read && read.compare === "match" ? "secondary" : "primary", id: "btn-card-ok", onclick: () => act("card_checked", { method: "id_card" }) }, "已核验身份证原件"),
      el("button", { class: "secondary", id: "btn-clerk-check", onclick: () => act("card_checked", { method: "clerk_check" }) }, "无证件，人工核验"));
    if (id.reader) acts.push(readButton(id.card));
    acts.push(editNumber(), K.cancelButton());
    out.push(el("div", { class: "actions bar" }, acts));
    return out;
  }

  // 修改: the number typed was wrong; nothing was recorded yet
  function editNumber() {
    return el("button", { id: "btn-edit-number", onclick: () => { local.number = ""; act("edit_number"); } }, "修改号码");
  }

  const WHY = { no_motion: "未检测到动作，疑似照片或静止画面", flat_face: "疑似平面照片",
    timeout: "未在规定时间内完成动作", face_changed: "前后人脸不一致" };

  function livenessText(liveness) {
    const why = WHY[(liveness || "").split(":")[1]];
    return liveness === "passed" ? "活体检测通过" : "活体检测未通过" + (why ? "（" + why + "）" : "");
  }

  function challenge(id) {
    return [el("div", { class: "prompt", id: "face-prompt" }, id.prompt || "请正对摄像头"),
      el("p", { class: "muted" }, "请按提示眨眼、转头。人脸图像只在本机处理，不保存、不上传。")];
  }

  function faceScreen(v, id) {
    const out = [el("h1", {}, "人脸核验"), el("p", { class: "lead" }, "身份证号码：" + (id.id_masked || ""))];
    const o = id.outcome;
    if (!o || id.busy) {
      out.push(...challenge(id));
    } else {
      const match = o.error ? o.error : o.match ? "人脸比对一致" : "人脸比对不一致";
      out.push(el("div", { class: "card", id: "face-result" },
        el("p", { class: "lead" }, livenessText(o.liveness) + "；" + match),
        o.distance !== null ? el("p", { class: "muted" }, "比对距离 " + o.distance.toFixed(3) + "（阈值 " + o.threshold + "）") : null));
      const acts = [el("button", { id: "btn-face-retry", onclick: () => act("face_retry") }, "重新核验")];
      if (o.match && o.liveness !== "passed" && !o.error) {
        acts.push(el("button", { class: "primary", id: "btn-confirm-presence", onclick: () => act("face_confirm_presence") }, "工作人员确认本人在场"));
      }
      acts.push(el("button", { class: "secondary", id: "btn-use-card", onclick: () => act("use_card") }, "改用身份证核验"));
      out.push(el("div", { class: "actions" }, acts));
    }
    out.push(el("div", { class: "actions bar" }, editNumber(), K.cancelButton()));
    return out;
  }

  function searchScreen(v, id) {
    const out = [el("h1", {}, "刷脸查找（须工作人员确认）")];
    const s = id.search;
    if (!s || id.busy) {
      out.push(...challenge(id), el("div", { class: "actions end" }, K.cancelButton()));
      return out;
    }
    const live = s.liveness === "passed";
    out.push(el("p", { class: "lead", id: "search-liveness" }, livenessText(s.liveness) +
      (live ? "。请核对申请人本人与候选人，确认其一，或都不是。" : "。确认候选人即表示工作人员确认本人在场。")));
    if (s.error) out.push(el("div", { class: "notice", id: "search-error" }, s.error));
    if (s.offers.length) {
      out.push(el("div", { class: "card", id: "candidates" }, s.offers.map((o) =>
        el("div", { class: "mat candidate", "data-rank": o.rank },
          el("div", { class: "name" }, "第" + o.rank + "位　" + o.id_masked,
            el("small", {}, "比对距离 " + o.distance.toFixed(3) + "（阈值 " + o.threshold + "）" +
              (o.margin !== null ? "，与下一位相差 " + o.margin.toFixed(3) : "") + (o.match ? "" : "，超出阈值"))),
          el("button", { class: o.match ? "primary" : "", disabled: !o.match, "data-pick": o.rank,
            onclick: () => act("face_pick", { rank: o.rank }) }, "确认是此人")))));
    }
    out.push(el("div", { class: "actions" },
      el("button", { class: "secondary", id: "btn-face-none", onclick: () => act("face_none") }, "都不是，输入身份证号码"),
      el("button", { id: "btn-search-again", onclick: () => act("face_search") }, "重新查找"),
      K.cancelButton()));
    return out;
  }

  K.enrollBox = function (v) {
    const e = v.enroll;
    if (!v.face_available || !e || !v.case || v.case.method === "face") return null;
    if (e.status === "done" || e.enrolled) return el("p", { class: "notice ok", id: "enroll-done" }, "已登记人脸，下次办理可刷脸核验。");
    if (e.status === "busy") return el("p", { class: "notice ok" }, "正在采集人脸，请申请人正对摄像头……");
    return el("div", { class: "card row", id: "enroll-box" },
      el("div", { class: "grow" }, el("b", {}, "登记人脸（可选）"),
        el("p", { class: "muted" }, "下次办理可刷脸核验。须申请人另行单独同意；人脸特征加密保存在本终端，不上传，可随时申请删除。"),
        e.status ? el("p", { class: "notice" }, e.status) : null),
      el("button", { class: "secondary", id: "btn-enroll", onclick: () => act("enroll", { consent: true }) }, "申请人同意，登记人脸"));
  };
})(window.K);

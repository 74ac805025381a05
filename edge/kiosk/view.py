"""What the kiosk shows: one JSON document per poll, built from the window's case, its draft
and the devices. Chinese labels are made here, so the page stays a thin renderer."""

from __future__ import annotations

from typing import Any

from edge.window.clerks import NO_ROSTER
from edge.window.parts import Draft
from edge.window.window import Window
from edge.workflow.documents import SLIP_NAMES, slips_for
from edge.workflow.machine import STATE_LABELS, green_channel
from edge.workflow.materials import checklist
from edge.workflow.model import Case
from protocol.case import CaseState, GreenChannel
from protocol.catalog import APPROVAL_LABELS, LIFE_AREA_LABELS, Approval, Matter
from protocol.clerks import CLERK_ROLE_LABELS
from protocol.labels import DEVICE_LABELS, PAPER_LABELS, RATING_LABELS
from protocol.messages import DeviceStatus

S = CaseState
REASONS = ("等候时间太长", "工作人员态度不好", "材料要求太多", "办理速度慢", "结果不满意", "其他")
GREEN_CHANNEL_ZH = {
    GreenChannel.REFUSED_BLACKLIST: (
        "该申请人已列入诚信黑名单（曾提供虚假材料），不适用容缺受理等绿色通道，请补齐材料后再办理。"
    ),
    GreenChannel.REFUSED_PENDING_REFERENCE: (
        "县级平台暂时无法连接，申请人身份证号码尚待核验，无法核对诚信名单，"
        "不适用容缺受理；信息一库也无法查询，证明材料须申请人出示。请补齐材料后再办理。"
    ),
    GreenChannel.REFUSED_NO_BLACKLIST: (
        "本终端尚未收到诚信名单，暂不能容缺受理，请补齐材料后再办理。"
    ),
}
SCREENS = {
    S.OPENED: "consent", S.CONSENTED: "identify", S.IDENTIFIED: "matter",
    S.MATTER_SELECTED: "materials", S.MATERIALS_CHECKED: "materials", S.ACCEPTED: "sign",
    S.DEFICIENCY_ACCEPTED: "sign", S.SIGNED: "route", S.APPROVED: "print", S.FORWARDED: "print",
    S.PRINTED: "rate", S.NOT_ACCEPTED: "print", S.RATED: "rate",
}  # fmt: skip
TO_LABELS = {"town": "镇（街道）", "department": "县直部门"}


def device_state(name: str, s: DeviceStatus, face: bool) -> tuple[str, str]:
    """What the device bar says, truthfully: absent, error, paper, disabled (a camera on a
    unit without face verification) or ok; and the Chinese text."""
    if not s.present:
        return "absent", "未连接"
    if s.paper in ("out", "near_end"):
        return "paper", PAPER_LABELS[s.paper]
    if not s.ok:
        return "error", "故障" + (f"（{s.detail}）" if s.detail else "")
    if name == "camera" and not face:
        return "disabled", "人脸核验未启用"
    return "ok", "正常"


def _device(name: str, s: DeviceStatus, face: bool) -> dict[str, Any]:
    state, text = device_state(name, s, face)
    return {
        "name": name, "label": DEVICE_LABELS.get(name, name), "present": s.present, "ok": s.ok,
        "detail": s.detail, "paper": s.paper, "paper_label": PAPER_LABELS.get(s.paper or ""),
        "state": state, "text": text,
    }  # fmt: skip


def summary(case: Case) -> dict[str, Any]:
    a = case.applicant
    d = case.deadlines
    return {
        "case_ref": case.case_ref, "state": case.state.value,
        "state_label": STATE_LABELS[case.state],
        "clerk": case.clerk_name, "agent": case.agent is not None,
        "applicant": a.id_masked if a else None,
        "method": a.method.value if a else None,
        "matter": case.matter_name, "matter_code": case.matter_code,
        "instant": case.instant, "promised_days": case.promised_days,
        "legal_days": case.legal_days,
        "route": APPROVAL_LABELS[case.route] if case.route else None,
        "legal_due": d.legal_due.isoformat() if d else None,
        "promised_due": d.promised_due.isoformat() if d else None,
        "supply_by": d.supply_by.isoformat() if d and d.supply_by else None,
        "owed": list(case.owed), "slips": [SLIP_NAMES.get(s, s) for s in case.slips],
        "rating": case.rating_label, "outcome": case.outcome.value if case.outcome else None,
        "face_distance": a.face.distance if a and a.face else None,
    }  # fmt: skip


def _matters(matters: list[Matter]) -> list[dict[str, Any]]:
    areas: dict[str, dict[str, Any]] = {}
    for m in matters:
        area = areas.setdefault(
            m.area.value, {"area": m.area.value, "label": LIFE_AREA_LABELS[m.area], "matters": []}
        )
        area["matters"].append(
            {
                "code": m.code,
                "name": m.name,
                "instant": m.instant,
                "time": m.time_limit_text(),
                "approval": APPROVAL_LABELS[m.approval],
            }
        )
    return list(areas.values())


def explain(ground: str | None, note: str | None) -> str | None:
    """A material's waiver ground and the catalog's note as one line, the ground said once
    (a note often begins with it: 无法律法规依据，不再要求提供)."""
    if not ground or not note:
        return ground or note
    bare = ground.split("（")[0]
    return note if note.startswith(bare) else f"{ground}：{note}"


def _materials(w: Window, case: Case) -> dict[str, Any]:
    assert case.applicant is not None
    matter = w.matter_of(case)
    draft = w.draft
    found = draft.registry if draft.registry_state == "answered" else None
    lines = checklist(matter, found)
    cfg = w.running()
    channel = green_channel(case.applicant.ref, w.blacklist())
    return {
        "registry": draft.registry_state or "pending",
        "registry_reason": draft.registry_reason,
        "lines": [
            {
                "name": ln.name,
                "status": ln.status.value,
                "ground": ln.ground_label,
                "note": ln.note,
                "explain": explain(ln.ground_label, ln.note),
                "critical": ln.critical,
                "deferrable": ln.deferrable,
                "showable": ln.showable,
                "lookup": ln.lookup.value if ln.lookup else None,
            }
            for ln in lines
        ],
        "green_channel": channel.value,
        "green_channel_text": GREEN_CHANNEL_ZH.get(channel),
        "approval": APPROVAL_LABELS[matter.approval],
        "time": matter.time_limit_text(),
        "legal_days": matter.legal_days,
        "deferred_days": cfg.thresholds.deferred_material_days,
        "missing": [m.name for m in case.materials if m.status == "missing"],
        "photo": case.photo,  # None: the matter takes no ID photo
    }


def _clerk(w: Window) -> dict[str, Any]:
    """Who is signed in, or whom the sign-in screen offers; never a PIN hash."""
    desk = w.clerks
    roster = desk.roster()
    on = desk.current()
    doc: dict[str, Any] = {
        "roster": roster is not None, "locked_s": desk.locked_s() if roster else 0,
        "on_duty": None if on is None else {
            "id": on.id, "name": on.name, "role": on.role.value,
            "role_label": CLERK_ROLE_LABELS[on.role],
        },
    }  # fmt: skip
    if roster is not None and on is None:
        doc["choices"] = [
            {"id": c.id, "name": c.name, "role_label": CLERK_ROLE_LABELS[c.role]}
            for c in roster.clerks
        ]
    if on is not None and on.role.value == "agent":
        doc["pending"] = [
            {**p, "to": TO_LABELS.get(p.get("to") or "", p.get("to"))}
            for p in w.p.store.agent_pending(on.id)
        ]
    return doc


def face_available(w: Window) -> bool:
    """Face verification is offered only when this unit has both the models and a camera."""
    return w.p.face is not None and w.p.camera is not None


def build(w: Window, devices: dict[str, DeviceStatus]) -> dict[str, Any]:
    cfg = w.p.config()
    clerk = _clerk(w)
    face = face_available(w)
    view: dict[str, Any] = {
        "unit": w.p.unit,
        "window": w.p.info.window.name,
        "config": {"version": cfg.version, "matters": len(cfg.catalog.matters)} if cfg else None,
        "devices": [_device(n, devices[n], face) for n in DEVICE_LABELS if n in devices],
        "message": w.message,
        "face_available": face,
        "clerk": clerk,
        "no_roster": NO_ROSTER if cfg is not None and not clerk["roster"] else None,
    }  # fmt: skip
    case = w.case
    if clerk["roster"] and clerk["on_duty"] is None:
        view["screen"] = "signin"  # over any case: the kiosk is locked until a clerk signs in
        return view
    if case is None:
        view["screen"] = "done" if w.last_closed else "home"
        if w.last_closed:
            view["case"] = summary(w.last_closed)
            view["reprint"] = _reprint(w)
        return view
    view["case"] = summary(case)
    view["reprint"] = _reprint(w)
    screen = SCREENS[case.state]
    view["screen"] = screen
    d = w.draft
    if screen == "consent" and case.agent is not None:
        view["authorization"] = _ink(w)
    if screen == "identify":
        outcome = d.face
        view["identify"] = {
            "mode": d.mode, "id_masked": d.id_masked, "face_consent": case.face_consent,
            "pending": d.id_pending,  # the hub was away: the reference comes later
            "prompt": d.face_prompt, "busy": d.face_busy,
            "reader": w.p.devices.idcard is not None, "card": _card(d),
            "outcome": None if outcome is None else {
                "liveness": outcome.liveness, "match": outcome.match, "error": outcome.error,
                "distance": outcome.distance, "threshold": outcome.threshold,
            },
            "search": None if d.offers is None else {
                "liveness": d.search_liveness, "error": d.search_error,
                "offers": [
                    {"rank": o.rank, "id_masked": o.id_masked, "distance": o.distance,
                     "threshold": o.threshold, "margin": o.margin, "match": o.match}
                    for o in d.offers
                ],
            },
        }  # fmt: skip
    elif screen == "matter":
        view["matters"] = _matters(list(w.running().catalog.matters))
        ref = case.applicant.ref if case.applicant else None
        enrolled = w.p.residents.template_for(ref) if ref else None
        view["enroll"] = {"status": d.enroll, "enrolled": enrolled is not None}
    elif screen == "materials":
        view["materials"] = _materials(w, case)
    elif screen == "sign":
        view["sign"] = _ink(w)
    elif screen == "route":
        view["route"] = {
            "window": case.approval is Approval.WINDOW, "instant": case.instant,
            "label": APPROVAL_LABELS[case.approval] if case.approval else "",
        }  # fmt: skip
    elif screen == "print":
        matter = case.matter or w.matters().get(case.matter_code or "")
        kinds = slips_for(case, tuple(s.value for s in matter.slips) if matter else ())
        done = w.p.store.progress().get(str(case.case_id), [])
        view["print"] = {
            "slips": [{"kind": k, "name": SLIP_NAMES[k], "done": k in done,
                       "skipped": f"-{k}" in done, "printing": d.printing == k} for k in kinds],
            "error": d.print_error, "back": d.printer_back,
        }  # fmt: skip
    elif screen == "rate":
        r = d.rating
        view["rate"] = {
            "waiting": d.rating_waiting, "level": r.level if r else None,
            "label": r.label if r else None, "needs_reason": bool(r and r.needs_reason),
            "reasons": list(REASONS), "levels": RATING_LABELS,
        }  # fmt: skip
    return view


def _card(d: Draft) -> dict[str, Any]:
    """The ID-card reader's part of the identify screen: waiting, the card (masked), the chip
    photo's comparison; never the number, the name or a photo."""
    c = d.card
    o = c.outcome if c else None
    return {
        "busy": d.card_busy, "error": d.card_error,
        "read": None if c is None else {
            "name": c.name_masked, "valid_until": c.valid_until, "compare": c.compare,
            "note": c.note, "liveness": o.liveness if o else None,
            "distance": o.distance if o else None, "threshold": o.threshold if o else None,
        },
    }  # fmt: skip


def _reprint(w: Window) -> list[dict[str, str]]:
    """The slips the clerk may print again (补打), once they have been printed."""
    found = w.reprintable()
    return [{"kind": k, "name": SLIP_NAMES[k]} for k in found[1]] if found else []


def _ink(w: Window) -> dict[str, Any]:
    session = w.steps.signing
    if session is None:
        return {"ready": False, "strokes": [], "aspect": 1.6}
    strokes = [*session.strokes]
    current = session.current_stroke
    if current:
        strokes.append(current)
    scale = 10_000
    return {
        "ready": True,
        "strokes": [[[round(p.x / scale, 4), round(p.y / scale, 4)] for p in s] for s in strokes],
        "count": len(session.strokes),
        "pen_down": session.pen_down,
    }

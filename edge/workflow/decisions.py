"""The decision at the materials: the checklist recorded, then acceptance (or 容缺 acceptance)
with its deadlines, or 不予受理 with everything missing named once. Pure; called by
edge.workflow.machine."""

from __future__ import annotations

from edge.workflow import errors as e
from edge.workflow.context import Changes, Context, case_matter, green_channel, local_date
from edge.workflow.materials import assess, checklist
from edge.workflow.model import Accept, Case, CheckMaterials, Deadlines, Decline, MaterialOutcome
from protocol.case import CaseState, GreenChannel
from protocol.messages import DataValue, JsonScalar

S = CaseState
PENDING_NO_GREEN = (
    "县级平台暂时无法连接，申请人身份证号码尚待核验，无法核对诚信名单，"
    "不适用容缺受理，请补齐材料后再办理"
)


def check(case: Case, cmd: CheckMaterials, ctx: Context) -> Changes:
    assert case.applicant is not None
    m = case_matter(case, ctx.matters)
    lines = checklist(m, cmd.registry_found)
    a = assess(lines, cmd.received, cmd.shown)
    outcomes = [
        MaterialOutcome(name=n, status="waived", ground=_ground(lines, n)) for n in a.waived
    ]
    outcomes += [MaterialOutcome(name=n, status="received") for n in a.received]
    outcomes += [MaterialOutcome(name=n, status="shown", ground="document_shown") for n in a.shown]
    outcomes += [MaterialOutcome(name=n, status="window") for n in a.window]
    outcomes += [MaterialOutcome(name=n, status="missing") for n in a.missing_blocking]
    outcomes += [
        MaterialOutcome(name=n, status="missing", deferrable=True) for n in a.missing_deferrable
    ]
    channel = GreenChannel.NOT_NEEDED
    if a.deferrable_only:
        channel = green_channel(case.applicant.ref, ctx.blacklist)
    registry = "n/a"
    asked = [ln for ln in lines if ln.lookup is not None]
    if asked:
        registry = "unreachable" if cmd.registry_found is None else "answered"
    data: dict[str, DataValue] = {
        "waived": len(a.waived), "received": len(a.received), "shown": len(a.shown),
        "window": len(a.window), "missing": len(a.missing_blocking),
        "deferrable_missing": len(a.missing_deferrable), "registry": registry,
        "registry_waived": sum(1 for ln in asked if ln.lookup == "found"),
        "green_channel": channel.value, "home_visit": a.home_visit,
        # names for the hub's case record (hub.cases): a waived one as "name|ground"
        "given": [*a.received, *a.shown],
        "waived_as": [f"{n}|{_ground(lines, n) or ''}" for n in a.waived],
        "missing_materials": [*a.missing_blocking, *a.missing_deferrable],
    }  # fmt: skip
    changes: dict[str, object] = {
        "state": S.MATERIALS_CHECKED, "materials": tuple(outcomes), "green_channel": channel,
        "home_visit": a.home_visit,
    }  # fmt: skip
    if case.photo is not None:  # the matter takes an ID photo: 1-inch unless the clerk chose
        photo = cmd.photo or case.photo
        changes["photo"] = photo
        data["photo"] = photo
    return changes, data


def _ground(lines: tuple[object, ...], name: str) -> str | None:
    for line in lines:
        if getattr(line, "name", None) == name:
            ground = getattr(line, "ground", None)
            return str(ground.value) if ground is not None else None
    return None


def _missing(case: Case) -> tuple[list[str], list[str]]:
    blocking = [m.name for m in case.materials if m.status == "missing" and not m.deferrable]
    deferrable = [m.name for m in case.materials if m.status == "missing" and m.deferrable]
    return blocking, deferrable


def accept(case: Case, cmd: Accept, ctx: Context) -> Changes:
    blocking, deferrable = _missing(case)
    if blocking:
        raise e.MaterialsIncomplete(f"缺少必需材料：{'、'.join(blocking)}，不能受理")
    if deferrable and not cmd.defer:
        raise e.MaterialsIncomplete(f"缺少材料：{'、'.join(deferrable)}，可选择容缺受理")
    if cmd.defer and not deferrable:
        raise e.NothingMissing("材料齐全，无需容缺受理")
    assert case.legal_days is not None
    assert case.promised_days is not None
    cal, today = ctx.calendar, local_date(ctx.now)
    data: dict[str, DataValue] = {}
    if cmd.defer:
        if case.green_channel is GreenChannel.REFUSED_BLACKLIST:
            raise e.GreenChannelRefused("该申请人已列入诚信黑名单，不适用容缺受理等绿色通道")
        if case.green_channel is GreenChannel.REFUSED_PENDING_REFERENCE:
            raise e.GreenChannelRefused(PENDING_NO_GREEN)
        if case.green_channel is not GreenChannel.ALLOWED:
            raise e.GreenChannelRefused("本终端尚未收到诚信名单，暂不能容缺受理")
        supply_by = cal.add_working_days(today, ctx.deferred_days)
        start = supply_by  # the time limit runs from the day the materials are complete
        materials = tuple(
            m.model_copy(update={"status": "deferred"}) if m.status == "missing" else m
            for m in case.materials
        )
        owed: list[JsonScalar] = list(deferrable)
        data |= {"owed": len(deferrable), "owed_materials": owed,
                 "supply_by": supply_by.isoformat()}  # fmt: skip
        changes: dict[str, object] = {
            "state": S.DEFICIENCY_ACCEPTED, "materials": materials, "owed": tuple(deferrable),
        }  # fmt: skip
    else:
        supply_by, start = None, today
        changes = {"state": S.ACCEPTED}
    deadlines = Deadlines(
        accepted_on=today,
        legal_due=cal.add_working_days(start, case.legal_days),
        promised_due=cal.add_working_days(start, case.promised_days),
        supply_by=supply_by,
        supply_days=ctx.deferred_days if cmd.defer else None,
        calendar_known=cal.known(today) and cal.known(start),
        calendar_version=cal.version,
    )
    changes["deadlines"] = deadlines
    data |= {"legal_due": deadlines.legal_due.isoformat(),
             "promised_due": deadlines.promised_due.isoformat(),
             "calendar_version": cal.version, "calendar_source": ctx.calendar_source,
             "calendar_known": deadlines.calendar_known}  # fmt: skip
    return changes, data


def decline(case: Case, cmd: Decline, ctx: Context) -> Changes:
    blocking, deferrable = _missing(case)
    if not blocking and not deferrable:
        raise e.NothingMissing("材料齐全，应予受理")
    missing: list[JsonScalar] = [*blocking, *deferrable]
    return {"state": S.NOT_ACCEPTED}, {"missing": missing}

"""Write protocol/seed/catalog.json, the illustrative catalog, from tools/seed_catalog_table.py.

Run: python tools/make_seed_catalog.py   (the output is committed; rerunning reproduces it and
prints the indicators the data yields). The indicators are computed from the before/after
fields by hub.catalog.indicators; nothing here stores them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]  # run as a script from anywhere

from hub.catalog.indicators import compute  # noqa: E402
from protocol.catalog import Catalog, Matter  # noqa: E402
from tools.seed_catalog_table import ROWS, Row  # noqa: E402

OUT = ROOT / "protocol" / "seed" / "catalog.json"
VERSION = 1

NOTE = (
    "Illustrative data: an invented county's matter catalog (望山县), shaped like the source's "
    "139 matters with 69 delegated to village windows. Names, departments, materials and time "
    "limits are plausible, not an official list; indicators are computed from these fields."
)

GROUNDS = {
    "law": "not_required_by_law",
    "db": "county_database",
    "visit": "home_visit_or_joint_review",
    "unverifiable": "unverifiable",
    "shown": "document_shown",
}
GROUND_NOTES = {
    "law": "无法律法规依据，不再要求提供",
    "db": "窗口通过信息一库在线核验",
    "visit": "由村（社区）入户核查或部门联审确认",
    "unverifiable": "任何部门均无法核实，改为申请人书面承诺",
    "shown": "窗口查验原件，不再收取复印件",
}

PRESETS: dict[str, dict[str, Any]] = {
    "form": {"name": "申请表（窗口打印，本人签字）", "critical": True},
    "photo": {"name": "近期免冠证件照片（窗口现场拍摄）"},
    "account": {"name": "补贴发放银行账户信息", "deferrable": True},
    "invoice": {"name": "费用票据原件", "critical": True},
    "medrec": {"name": "病历及出院小结", "deferrable": True},
    "housephoto": {"name": "房屋现状照片", "deferrable": True},
    "id": {"name": "居民身份证复印件", "ground": "shown"},
    "hukou": {"name": "户口簿复印件", "ground": "db"},
    "vcert": {"name": "村（居）委会出具的相关证明", "ground": "law"},
    "income": {"name": "家庭收入证明", "ground": "visit"},
    "property": {"name": "家庭财产证明（房产、车辆）", "ground": "db"},
    "jobless": {"name": "无业证明", "ground": "unverifiable"},
    "disab": {"name": "残疾人证复印件", "ground": "db"},
    "sscard": {"name": "社会保障卡复印件", "ground": "shown"},
    "license": {"name": "营业执照复印件", "ground": "db"},
    # Payments go to the social security card's bank account, which the county database knows.
    "bank": {"name": "本人银行账户信息", "ground": "db"},
}


# Where an applicant gets a material the window may find missing (开具单位或获取途径); the
# window prints it on the 一次性告知书. Only where the answer is the same for everyone.
OBTAIN_AT: dict[str, str] = {
    "户口簿复印件": "户籍所在地派出所（户籍窗口）",
    "户口簿原件": "申请人家中留存；遗失的向户籍所在地派出所申请补领",
    "家庭财产证明（房产、车辆）": "县不动产登记中心、县公安局交通管理大队",
    "残疾人证复印件": "县残疾人联合会",
    "营业执照复印件": "县市场监督管理局",
    "本人银行账户信息": "社会保障卡开户银行网点",
    "补贴发放银行账户信息": "任一银行网点开立，或使用社会保障卡金融账户",
    "费用票据原件": "就诊医疗机构收费处",
    "病历及出院小结": "就诊医院病案室",
    "结婚证复印件": "县民政局婚姻登记处",
    "纠纷相关证据": "申请人自行收集（书证、照片、证人联系方式等）",
    "房屋租赁合同": "与出租人签订；可向村（社区）索取示范文本",
}


# An agent (代办员) may file any delegated matter for a resident, with a signed authorisation;
# asked only then, so it counts in no indicator.
PROXY: dict[str, Any] = {"name": "授权委托书（代办员代办时提供）", "required": False}


def _material(token: str) -> dict[str, Any]:
    spec = _spec(token)
    if spec["name"] in OBTAIN_AT:
        spec["obtain_at"] = OBTAIN_AT[spec["name"]]
    return spec


def _spec(token: str) -> dict[str, Any]:
    if token in PRESETS:
        spec = dict(PRESETS[token])
        ground = spec.pop("ground", None)
        if ground is None:
            return spec
        return _waived(spec["name"], ground)
    kind, body = token[0], token[1:]
    if kind == "-":
        name, _, ground = body.partition("@")
        return _waived(name, ground)
    if kind == "?":
        return {"name": body, "required": False}
    if kind == "+":
        name = body.rstrip("!~")
        return {"name": name, "critical": body.endswith("!"), "deferrable": body.endswith("~")}
    raise ValueError(f"unknown material token {token!r}")


def _waived(name: str, ground: str) -> dict[str, Any]:
    return {
        "name": name,
        "waived": True,
        "waiver_ground": GROUNDS[ground],
        "waiver_note": GROUND_NOTES[ground],
    }


def _steps_before(level: str, delegated: bool) -> list[str]:
    """The path a case took before the reform."""
    if level == "village":
        return ["村级受理", "村委会审核", "村民代表会议讨论", "作出决定"]
    if level == "town":
        return ["村级初审", "镇（街道）受理", "镇（街道）审查", "镇（街道）决定", "送达"]
    if delegated:
        return ["村级代收", "镇（街道）初审", "县直部门受理", "部门审查", "部门决定", "送达"]
    return ["窗口受理", "科室初审", "分管领导审核", "部门决定", "送达"]


def _steps_after(delegated: bool, approval: str, instant: bool) -> list[str]:
    """The path after the reform: the window decides, or passes the case up in one step."""
    if instant:
        return ["窗口受理", "即时办结"]
    if approval == "window":
        return ["窗口受理", "窗口审查决定", "办结送达"]
    if approval == "town":
        return ["窗口受理", "镇（街道）审批", "办结送达"]
    if delegated:
        return ["窗口受理", "部门审批", "办结送达"]
    return ["窗口受理", "审查", "决定", "办结送达"]


# Matters whose post-reform path keeps a step the templates do not have.
EXTRA_STEPS_AFTER: dict[str, tuple[int, str]] = {
    "HOU-001": (1, "现场踏勘"),  # the town still inspects the plot before approving
}


def _matter(row: Row) -> dict[str, Any]:
    code, name, department, level, delegated, legal, promised, approval, materials = row
    instant = promised == 0
    mats = [_material(t) for t in materials.split()]
    if delegated:
        mats.append(PROXY)
    steps_after = _steps_after(delegated, approval, instant)
    if code in EXTRA_STEPS_AFTER:
        at, step = EXTRA_STEPS_AFTER[code]
        steps_after.insert(at, step)
    slips = ["acceptance_receipt"]
    if any(m.get("deferrable") for m in mats):
        slips.append("deficiency_slip")
    slips.append("completion_notice")
    data: dict[str, Any] = {
        "code": code,
        "name": name,
        "department": department,
        "level": level,
        "delegated": delegated,
        "area": AREAS[code[:3]],
        "legal_days": legal,
        "promised_days": promised,
        "instant": instant,
        "approval": approval,
        "steps_before": _steps_before(level, delegated),
        "steps_after": steps_after,
        "materials": mats,
        "slips": slips,
        "result_by_post": delegated and not instant,
    }
    if code in FEES:
        data["fees"] = FEES[code]
    return data


AREAS = {
    "BIR": "birth",
    "EDU": "school",
    "MED": "medical",
    "MAR": "marriage",
    "EMP": "employment",
    "SOC": "social_insurance",
    "BUS": "business",
    "HOU": "housing",
    "AGR": "agriculture",
    "ELD": "elderly",
    "AST": "social_assistance",
    "DIS": "disability",
    "HHR": "household",
    "VET": "veterans",
    "LAW": "legal",
}

_ID_FEE_BASIS = "居民身份证工本费收费标准"
FEES: dict[str, list[dict[str, Any]]] = {
    "HHR-001": [{"item": "居民身份证工本费", "amount_fen": 2000, "basis": _ID_FEE_BASIS}],
    "HHR-002": [{"item": "居民身份证工本费（补领）", "amount_fen": 4000, "basis": _ID_FEE_BASIS}],
    "HHR-003": [{"item": "临时居民身份证工本费", "amount_fen": 1000, "basis": _ID_FEE_BASIS}],
    "HHR-011": [{"item": "机动车驾驶证工本费", "amount_fen": 1000}],
    "HHR-012": [{"item": "往来港澳通行证证件费", "amount_fen": 6000}],
    "HOU-005": [{"item": "不动产登记费（住宅）", "amount_fen": 8000}],
    "HOU-006": [{"item": "不动产登记费（住宅）", "amount_fen": 8000}],
}


def build() -> Catalog:
    data = {
        "_note": NOTE,
        "schema_version": 1,
        "version": VERSION,
        "title": "望山县政务服务事项目录（示例）",
        "matters": [_matter(r) for r in ROWS],
    }
    return Catalog.model_validate(data)


def dump(catalog: Catalog) -> str:
    data = catalog.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data["schema_version"] = catalog.schema_version  # keep the header explicit
    ordered = {k: data[k] for k in ("_note", "schema_version", "version", "title", "matters")}
    return json.dumps(ordered, ensure_ascii=False, indent=2) + "\n"


def main() -> None:
    catalog = build()
    OUT.write_text(dump(catalog), encoding="utf-8")
    matters: tuple[Matter, ...] = catalog.matters
    print(json.dumps(compute(matters).rounded(), ensure_ascii=False))
    print(json.dumps(compute(catalog.delegated()).rounded(), ensure_ascii=False))


if __name__ == "__main__":
    main()

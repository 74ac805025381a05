"""The workbook's layout: one sheet per entity, Chinese headers, and how each column maps to a
field of the catalog. The writer, the reader and the README sheet all read these tables, so
the three cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from protocol.catalog import (
    APPROVAL_LABELS,
    LIFE_AREA_LABELS,
    SLIP_LABELS,
    WAIVER_GROUND_LABELS,
)


class Kind(StrEnum):
    TEXT = "text"  # a string cell
    INT = "int"  # a whole number
    BOOL = "bool"  # 是 / 否
    CHOICE = "choice"  # one Chinese label of a fixed list
    SLIPS = "slips"  # several labels separated by 、
    YUAN = "yuan"  # money in yuan with at most two decimals, stored as integer fen


@dataclass(frozen=True)
class Column:
    header: str
    field: str  # the catalog field; "" for a column only read by people (仅供核对)
    kind: Kind
    required: bool  # a blank cell is an error (otherwise the schema's default applies)
    help: str  # the README sheet's explanation
    choices: tuple[tuple[str, str], ...] = ()  # (label, value)

    @property
    def reference_only(self) -> bool:
        return not self.field


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: tuple[Column, ...]
    help: str
    max_rows: int

    def column(self, field: str) -> Column:
        return next(c for c in self.columns if c.field == field)


YES, NO = "是", "否"
LEVEL_LABELS = {"county": "县级", "town": "镇（街道）级", "village": "村级"}
STAGE_BEFORE, STAGE_AFTER = "改革前", "改革后"


def _choices(labels: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple((label, str(value)) for value, label in labels.items())


CODE = Column("事项编码", "code", Kind.TEXT, True, "三个大写字母、短横线、三位数字，如 HHR-001")

INFO = Sheet(
    "清单",
    (
        Column("版本", "version", Kind.INT, True, "目录版本号；审核通过后由平台自动加一，无需修改"),
        Column("标题", "title", Kind.TEXT, True, "目录标题，不超过60字"),
        Column("说明", "_note", Kind.TEXT, True, "目录说明（自由文字）"),
    ),
    "目录的版本、标题和说明：A列为项目，B列为内容，每项一行。",
    max_rows=10,
)

MATTERS = Sheet(
    "事项",
    (
        CODE,
        Column("事项名称", "name", Kind.TEXT, True, "不超过60字，全目录不得重复"),
        Column("主管部门", "department", Kind.TEXT, True, "事项所属部门"),
        Column(
            "事项层级",
            "level",
            Kind.CHOICE,
            True,
            "县级、镇（街道）级或村级",
            _choices(LEVEL_LABELS),
        ),
        Column(
            "下沉村级",
            "delegated",
            Kind.BOOL,
            True,
            "是：在村（社区）便民服务站办理；村级事项必须为是",
        ),
        Column(
            "生命周期",
            "area",
            Kind.CHOICE,
            True,
            "出生、上学、就医……（下拉选择）",
            _choices({k.value: v for k, v in LIFE_AREA_LABELS.items()}),
        ),
        Column("法定时限（工作日）", "legal_days", Kind.INT, True, "0至250的整数"),
        Column(
            "承诺时限（工作日）", "promised_days", Kind.INT, True, "不得超过法定时限；即办事项为0"
        ),
        Column(
            "即办", "instant", Kind.BOOL, True, "是：当场办结（承诺时限为0，审批方式为窗口直审）"
        ),
        Column(
            "审批方式",
            "approval",
            Kind.CHOICE,
            True,
            "窗口直审、报镇（街道）审批或报县直部门审批",
            _choices({k.value: v for k, v in APPROVAL_LABELS.items()}),
        ),
        Column(
            "打印单据",
            "slips",
            Kind.SLIPS,
            True,
            "受理回执、容缺受理单、办结通知，多项用顿号“、”分隔；有可容缺材料时必须包含容缺受理单",
            _choices({k.value: v for k, v in SLIP_LABELS.items()}),
        ),
        Column(
            "结果可邮寄", "result_by_post", Kind.BOOL, False, "是：办理结果可邮寄送达；留空为否"
        ),
        Column(
            "容缺宽限（工作日）",
            "deficiency_grace_days",
            Kind.INT,
            False,
            "容缺规则：补交期限过后再等多少个工作日撤回办件（0至60）；留空按全县统一规定；"
            "仅适用于有可容缺材料的事项",
        ),
    ),
    "每个事项一行。",
    max_rows=2000,
)

MATERIALS = Sheet(
    "材料",
    (
        CODE,
        Column("材料名称", "name", Kind.TEXT, True, "同一事项内不得重复"),
        Column(
            "必需",
            "required",
            Kind.BOOL,
            False,
            "否：仅特定情形需要（如代办时的授权委托书），不计入指标；留空为是",
        ),
        Column("已免交", "waived", Kind.BOOL, False, "是：改革后不再收取；留空为否"),
        Column(
            "免交依据",
            "waiver_ground",
            Kind.CHOICE,
            False,
            "已免交时必填，五种依据之一（见“免交依据”表）",
            _choices({k.value: v for k, v in WAIVER_GROUND_LABELS.items()}),
        ),
        Column(
            "免交说明",
            "waiver_note",
            Kind.TEXT,
            False,
            "已免交时可填：窗口如何代为核实，不超过200字",
        ),
        Column(
            "关键材料", "critical", Kind.BOOL, False, "是：缺少时不能受理，也不能容缺；留空为否"
        ),
        Column(
            "可容缺",
            "deferrable",
            Kind.BOOL,
            False,
            "容缺规则：是：缺少时可先受理、事后补交；不能是关键材料或已免交材料；留空为否",
        ),
        Column(
            "获取途径", "obtain_at", Kind.TEXT, False, "开具单位或获取途径，打印在一次性告知书上"
        ),
    ),
    "每份材料一行，按事项编码归属事项；同一事项的材料按行的先后排列。",
    max_rows=30000,
)

FEES = Sheet(
    "收费",
    (
        CODE,
        Column("收费项目", "item", Kind.TEXT, True, "同一事项内不得重复"),
        Column("金额（元）", "amount_fen", Kind.YUAN, True, "大于0，最多两位小数"),
        Column("收费依据", "basis", Kind.TEXT, False, "收费文件，可留空"),
    ),
    "每个收费项目一行；不收费的事项不填。",
    max_rows=5000,
)

STEPS = Sheet(
    "办理环节",
    (
        CODE,
        Column(
            "阶段",
            "stage",
            Kind.CHOICE,
            True,
            "改革前或改革后",
            ((STAGE_BEFORE, "steps_before"), (STAGE_AFTER, "steps_after")),
        ),
        Column("环节名称", "step", Kind.TEXT, True, "如 窗口受理；按行的先后排列"),
    ),
    "每个环节一行；每个事项改革前、改革后各至少一个环节。",
    max_rows=30000,
)

EXCLUDED = Sheet(
    "村级不办理",
    (
        Column(
            "村（社区）编码", "unit_id", Kind.TEXT, True, "村（社区）的终端编号，如 nanmen-shequ"
        ),
        Column("村（社区）名称（仅供核对）", "", Kind.TEXT, False, "导入时不读取"),
        Column("事项编码", "code", Kind.TEXT, True, "该村（社区）不办理的下沉事项"),
    ),
    "下沉事项默认在所有村（社区）办理；某村（社区）不办理的，在此每项一行。"
    "整张表删除时沿用当前的设置。",
    max_rows=20000,
)

DATA_SHEETS = (INFO, MATTERS, MATERIALS, FEES, STEPS, EXCLUDED)
README = "说明"
GROUNDS = "免交依据"

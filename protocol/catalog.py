"""The matter catalog (事项目录): the schema units and the hub share.

Pure models, no I/O: a unit receives a slice of the catalog inside its signed configuration,
so edge code must import this without the hub. Cross-field validators report each problem on
its own line as ``field: reason`` so that loaders can point at the field.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    StringConstraints,
    model_validator,
)

from protocol.bounds import TEXT_PATTERN, PositiveInt64

CATALOG_SCHEMA_VERSION: Literal[1] = 1

# An area prefix and a number, e.g. HHR-001; readable on a receipt and short enough for
# CaseTransition.matter_code (32 characters).
MATTER_CODE_PATTERN = r"^[A-Z]{3}-[0-9]{3}$"
MatterCode = Annotated[str, StringConstraints(pattern=MATTER_CODE_PATTERN)]
# printable only (protocol/bounds.py): a catalog is stored by the hub and shown at windows
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=60, pattern=TEXT_PATTERN),
]
Note = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=TEXT_PATTERN),
]
# Working days; the longest legal limit in the county's list is well under a year.
WorkingDays = Annotated[NonNegativeInt, Field(le=250)]


class LifeArea(StrEnum):
    """The stage of a resident's life a matter belongs to (the source's life-cycle grouping)."""

    BIRTH = "birth"
    SCHOOL = "school"
    MEDICAL = "medical"
    MARRIAGE = "marriage"
    EMPLOYMENT = "employment"
    SOCIAL_INSURANCE = "social_insurance"
    BUSINESS = "business"
    HOUSING = "housing"
    ELDERLY = "elderly"
    SOCIAL_ASSISTANCE = "social_assistance"
    DISABILITY = "disability"
    HOUSEHOLD = "household"
    AGRICULTURE = "agriculture"
    VETERANS = "veterans"
    LEGAL = "legal"


LIFE_AREA_LABELS: dict[LifeArea, str] = {
    LifeArea.BIRTH: "出生",
    LifeArea.SCHOOL: "上学",
    LifeArea.MEDICAL: "就医",
    LifeArea.MARRIAGE: "婚姻",
    LifeArea.EMPLOYMENT: "就业",
    LifeArea.SOCIAL_INSURANCE: "社会保险",
    LifeArea.BUSINESS: "经营",
    LifeArea.HOUSING: "建房住房",
    LifeArea.ELDERLY: "养老",
    LifeArea.SOCIAL_ASSISTANCE: "社会救助",
    LifeArea.DISABILITY: "助残",
    LifeArea.HOUSEHOLD: "户籍证件",
    LifeArea.AGRICULTURE: "农业生产",
    LifeArea.VETERANS: "退役军人",
    LifeArea.LEGAL: "法律服务",
}


class Level(StrEnum):
    """The level of government that owns the matter (事项层级)."""

    COUNTY = "county"
    TOWN = "town"
    VILLAGE = "village"


class Approval(StrEnum):
    """Who decides after the reform: the accepting window itself (窗口直审) or a level above."""

    WINDOW = "window"
    TOWN = "town"
    DEPARTMENT = "department"


APPROVAL_LABELS: dict[Approval, str] = {
    Approval.WINDOW: "窗口直审",
    Approval.TOWN: "报镇（街道）审批",
    Approval.DEPARTMENT: "报县直部门审批",
}


class WaiverGround(StrEnum):
    """The five conditions under which the reform stops asking for a material."""

    NOT_REQUIRED_BY_LAW = "not_required_by_law"
    COUNTY_DATABASE = "county_database"
    HOME_VISIT_OR_JOINT_REVIEW = "home_visit_or_joint_review"
    UNVERIFIABLE = "unverifiable"
    DOCUMENT_SHOWN = "document_shown"


WAIVER_GROUND_LABELS: dict[WaiverGround, str] = {
    WaiverGround.NOT_REQUIRED_BY_LAW: "无法律法规依据",
    WaiverGround.COUNTY_DATABASE: "信息一库可查（无证明）",
    WaiverGround.HOME_VISIT_OR_JOINT_REVIEW: "入户核查或联审可确认",
    WaiverGround.UNVERIFIABLE: "任何部门均无法核实",
    WaiverGround.DOCUMENT_SHOWN: "窗口出示证照即可证明",
}


class Slip(StrEnum):
    """What the window's receipt printer prints for a matter."""

    ACCEPTANCE_RECEIPT = "acceptance_receipt"
    DEFICIENCY_SLIP = "deficiency_slip"
    COMPLETION_NOTICE = "completion_notice"


SLIP_LABELS: dict[Slip, str] = {
    Slip.ACCEPTANCE_RECEIPT: "受理回执",
    Slip.DEFICIENCY_SLIP: "容缺受理单",
    Slip.COMPLETION_NOTICE: "办结通知",
}


def format_yuan(fen: int) -> str:
    """Money for Chinese display text, always with the full-width sign: 2000 -> '￥20.00'."""
    return f"￥{fen // 100}.{fen % 100:02d}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _raise_if(problems: Iterable[str]) -> None:
    found = list(problems)
    if found:
        raise ValueError("\n".join(found))


class Material(_Model):
    """One material of a matter as listed before the reform, and what the reform did to it."""

    name: Text
    # False for a material asked only in some cases (e.g. a power of attorney for an agent);
    # such materials count in no indicator.
    required: bool = True
    waived: bool = False
    waiver_ground: WaiverGround | None = None
    waiver_note: Note | None = None  # how the window gets the fact instead, for the clerk
    # Without a critical material the window cannot accept the case at all, not even 容缺.
    critical: bool = False
    # 容缺受理: the case is accepted and goes on; the material is supplied later.
    deferrable: bool = False
    # where the applicant gets it (开具单位或获取途径), printed on the 一次性告知书 when it is
    # missing; left out of the JSON when unset, so older units still read the catalog
    obtain_at: Note | None = Field(default=None, exclude_if=lambda v: v is None)

    @model_validator(mode="after")
    def _consistent(self) -> Material:
        _raise_if(self._problems())
        return self

    def _problems(self) -> Iterable[str]:
        if self.waived and self.waiver_ground is None:
            yield "waiver_ground: a waived material needs one of the five waiver grounds"
        if not self.waived and self.waiver_ground is not None:
            yield "waiver_ground: set, but the material is not waived"
        if not self.waived and self.waiver_note is not None:
            yield "waiver_note: set, but the material is not waived"
        if self.waived and self.deferrable:
            yield "deferrable: a waived material is not supplied at all, not even later"
        if self.waived and self.critical:
            yield "critical: a waived material cannot be critical"
        if self.deferrable and self.critical:
            yield "deferrable: 容缺 applies only to non-critical materials"

    @property
    def counts_before(self) -> bool:
        """Counted in 'materials before the reform'."""
        return self.required

    @property
    def counts_after(self) -> bool:
        """Counted in 'materials still required after the reform'."""
        return self.required and not self.waived


class Fee(_Model):
    item: Text
    amount_fen: PositiveInt64  # integer fen (分): money never goes through a float
    basis: Note | None = None  # the pricing document

    def display(self) -> str:
        return f"{self.item} {format_yuan(self.amount_fen)}"


StepName = Text


class Matter(_Model):
    """One service matter (事项) with its before/after figures for the reform indicators."""

    code: MatterCode
    name: Text
    department: Text
    level: Level
    delegated: bool  # handled at the village window (下沉村级便民服务站)
    area: LifeArea
    legal_days: WorkingDays
    promised_days: WorkingDays
    instant: bool  # 即办: decided and finished while the applicant waits
    approval: Approval
    steps_before: tuple[StepName, ...] = Field(min_length=1)
    steps_after: tuple[StepName, ...] = Field(min_length=1)
    materials: tuple[Material, ...] = ()
    fees: tuple[Fee, ...] = ()
    slips: tuple[Slip, ...] = Field(min_length=1)
    result_by_post: bool = False  # the result can be mailed (common with 容缺)
    # 容缺: a case whose owed materials never came is withdrawn (撤回, its materials returned)
    # this many working days after its supply date; None: the county's grace period (the
    # hub's deficiency_grace_days). Only for a matter with a deferrable material.
    deficiency_grace_days: Annotated[int, Field(ge=0, le=60)] | None = Field(
        default=None,
        exclude_if=lambda v: v is None,  # older units refuse unknown fields
    )

    @model_validator(mode="after")
    def _consistent(self) -> Matter:
        _raise_if(self._problems())
        return self

    def _problems(self) -> Iterable[str]:
        if self.promised_days > self.legal_days:
            yield (
                f"promised_days: {self.promised_days} exceeds the legal time limit "
                f"legal_days={self.legal_days}"
            )
        if self.instant and self.promised_days != 0:
            yield f"promised_days: an instant (即办) matter promises 0, not {self.promised_days}"
        if not self.instant and self.promised_days == 0:
            yield "instant: a matter promised in 0 days is instant (即办); set instant to true"
        if self.instant and self.approval is not Approval.WINDOW:
            yield "approval: an instant matter is decided at the window"
        if self.level is Level.VILLAGE and not self.delegated:
            yield "delegated: a village-level matter is always handled at the village window"
        yield from _duplicates("materials", [m.name for m in self.materials], "name")
        yield from _duplicates("fees", [f.item for f in self.fees], "item")
        if len(set(self.slips)) != len(self.slips):
            yield "slips: a slip is listed twice"
        deferrable = any(m.deferrable for m in self.materials)
        prints_deficiency = Slip.DEFICIENCY_SLIP in self.slips
        if deferrable and not prints_deficiency:
            yield "slips: a matter with a deferrable (容缺) material prints the deficiency_slip"
        if prints_deficiency and not deferrable:
            yield "slips: deficiency_slip listed, but no material is deferrable"
        if self.deficiency_grace_days is not None and not deferrable:
            yield "deficiency_grace_days: set, but no material is deferrable (容缺)"

    @property
    def materials_before(self) -> int:
        return sum(m.counts_before for m in self.materials)

    @property
    def materials_after(self) -> int:
        return sum(m.counts_after for m in self.materials)

    @property
    def deferrable_materials(self) -> tuple[Material, ...]:
        return tuple(m for m in self.materials if m.deferrable)

    def time_limit_text(self) -> str:
        """The promised time limit as the kiosk shows it."""
        return "即办" if self.instant else f"{self.promised_days}个工作日"


def _duplicates(field: str, keys: list[str], key_name: str) -> Iterable[str]:
    seen: set[str] = set()
    for i, key in enumerate(keys):
        if key in seen:
            yield f"{field}[{i}].{key_name}: duplicate {key!r}"
        seen.add(key)


class Catalog(_Model):
    """A whole catalog version, as the hub loads it and the operator edits it."""

    model_config = ConfigDict(populate_by_name=True)

    note: str = Field(alias="_note")
    schema_version: Literal[1] = CATALOG_SCHEMA_VERSION
    version: PositiveInt64  # grows with every published change; units compare it
    title: Text
    matters: tuple[Matter, ...]

    @model_validator(mode="after")
    def _consistent(self) -> Catalog:
        problems = []
        if not self.matters:
            problems.append("matters: the catalog lists no matter")
        problems += _duplicates("matters", [m.code for m in self.matters], "code")
        problems += _duplicates("matters", [m.name for m in self.matters], "name")
        _raise_if(problems)
        return self

    @cached_property
    def _by_code(self) -> dict[str, Matter]:
        return {m.code: m for m in self.matters}

    def get(self, code: str) -> Matter | None:
        return self._by_code.get(code)

    def delegated(self) -> tuple[Matter, ...]:
        return tuple(m for m in self.matters if m.delegated)


class CatalogSlice(_Model):
    """The matters one village window handles, as a unit receives them in its configuration."""

    catalog_version: PositiveInt64
    matters: tuple[Matter, ...]

    @model_validator(mode="after")
    def _consistent(self) -> CatalogSlice:
        problems = list(_duplicates("matters", [m.code for m in self.matters], "code"))
        for i, m in enumerate(self.matters):
            if not m.delegated:
                problems.append(f"matters[{i}].delegated: {m.code} is not delegated to villages")
        _raise_if(problems)
        return self


def registry_materials(matter: Matter) -> tuple[str, ...]:
    """The materials of a matter that the county data registry may confirm (信息一库): the
    window asks for these, and the hub answers a unit about no others."""
    return tuple(
        m.name
        for m in matter.materials
        if m.required and m.waived and m.waiver_ground is WaiverGround.COUNTY_DATABASE
    )

"""The catalog as the office's Excel workbook: export then import gives the same catalog and
exclusions; every bad cell is reported with its sheet, row and column; oversized and bomb
workbooks are refused before openpyxl opens them."""

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from hub.catalog.errors import WorkbookInvalid, WorkbookUnreadable
from hub.catalog.loader import load_catalog
from hub.catalog.offered import registry_exclusions
from hub.catalog.villages import load_villages
from hub.catalog.workbook.guard import WorkbookLimits
from hub.catalog.workbook.validate import parse_workbook
from hub.catalog.workbook.write import catalog_workbook
from protocol.catalog import Catalog
from tests.support.catalog import matter_data

SEED = load_catalog()
REGISTRY = load_villages()
EXCLUSIONS = registry_exclusions(REGISTRY)


def edited(data: bytes, changes: dict[tuple[str, str], object]) -> bytes:
    """The workbook with cells changed: {(sheet, "G3"): value}; None clears a cell."""
    wb = load_workbook(io.BytesIO(data))
    for (sheet, ref), value in changes.items():
        wb[sheet][ref].value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def found(exc: WorkbookInvalid) -> set[tuple[str | None, int | None, str | None, str | None]]:
    return {(i.sheet, i.row, i.column, i.code) for i in exc.issues}


def test_the_seed_catalog_and_its_exclusions_survive_export_and_import_unchanged():
    data = catalog_workbook(SEED, EXCLUSIONS, REGISTRY)
    catalog, exclusions = parse_workbook(data, REGISTRY)
    assert catalog == SEED
    assert exclusions == EXCLUSIONS


def test_the_workbook_has_a_readme_and_one_sheet_per_entity_with_chinese_headers():
    wb = load_workbook(io.BytesIO(catalog_workbook(SEED, EXCLUSIONS, REGISTRY)))
    assert wb.sheetnames == [
        "说明",
        "清单",
        "事项",
        "材料",
        "收费",
        "办理环节",
        "村级不办理",
        "免交依据",
    ]
    headers = [c.value for c in wb["事项"][1]]
    assert headers[:3] == ["事项编码", "事项名称", "主管部门"]
    readme = " ".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    for word in ("可容缺", "免交依据", "村级不办理"):
        assert word in readme


def test_a_workbook_without_the_exclusions_sheet_leaves_the_exclusions_to_the_caller():
    wb = load_workbook(io.BytesIO(catalog_workbook(SEED, EXCLUSIONS, REGISTRY)))
    del wb["村级不办理"]
    out = io.BytesIO()
    wb.save(out)
    assert parse_workbook(out.getvalue(), REGISTRY) == (SEED, None)


def test_text_that_looks_like_a_formula_stays_text():
    matter = matter_data(name="=HYPERLINK(1)", steps_after=["+1", "-2", "@3"])
    catalog = Catalog.model_validate(
        {"_note": "n", "version": 3, "title": "=t", "matters": [matter]}
    )
    data = catalog_workbook(catalog, {}, REGISTRY)
    assert parse_workbook(data, REGISTRY) == (catalog, {})
    cell = load_workbook(io.BytesIO(data))["事项"]["B2"]
    assert cell.data_type == "s"


_texts = (
    st.text(
        alphabet=st.sampled_from("事项材料证明=+-@0123456789 AZaz（）《》、·"),
        min_size=1,
        max_size=12,
    )
    .map(str.strip)
    .filter(bool)
)


@st.composite
def catalogs(draw):
    """Seed matters with generated names, materials flags, fees and steps: every field kind
    the workbook maps (labels, 是/否, yuan, blanks that mean a default) varies."""
    picked = draw(
        st.lists(st.sampled_from(SEED.matters), min_size=1, max_size=6, unique_by=lambda m: m.code)
    )
    matters = []
    names = draw(st.lists(_texts, min_size=len(picked), max_size=len(picked), unique=True))
    for m, name in zip(picked, names, strict=True):
        data = m.model_dump(mode="json")
        data["name"] = name
        data["steps_after"] = draw(st.lists(_texts, min_size=1, max_size=4))
        fees = draw(st.lists(st.integers(1, 10**12), max_size=3))
        data["fees"] = [
            {"item": f"收费{i}", "amount_fen": f, "basis": None if i % 2 else "依据"}
            for i, f in enumerate(fees)
        ]
        data["result_by_post"] = draw(st.booleans())
        matters.append(data)
    version = draw(st.integers(1, 2**63 - 1))
    note = draw(_texts)
    return Catalog.model_validate(
        {"_note": note, "version": version, "title": "目录", "matters": matters}
    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogs())
def test_any_catalog_survives_export_and_import_unchanged(catalog):
    delegated = [m.code for m in catalog.delegated()]
    exclusions = {"nanmen-shequ": tuple(sorted(delegated[:2]))} if delegated else {}
    data = catalog_workbook(catalog, exclusions, REGISTRY)
    assert parse_workbook(data, REGISTRY) == (catalog, exclusions)


def test_every_bad_cell_is_reported_with_its_sheet_row_and_column():
    """GIVEN the seed's workbook with mistakes typed into known cells
    WHEN it is imported
    THEN exactly those cells are reported, each with a code and a Chinese reason."""
    data = catalog_workbook(SEED, EXCLUSIONS, REGISTRY)
    bad = edited(
        data,
        {
            ("事项", "G3"): "二十",  # legal_days of the 2nd matter: not a number
            ("事项", "H4"): 200,  # promised_days of the 3rd: over its legal limit
            ("事项", "D5"): "省级",  # level: not a choice
            ("事项", "E6"): "也许",  # delegated: not 是/否
            ("材料", "B2"): None,  # a material's name left blank
            ("收费", "C2"): 1.234,  # three decimals of a yuan
            ("办理环节", "A3"): "ZZZ-999",  # a step of no matter
            ("村级不办理", "A2"): "nowhere-cun",  # an unknown village
        },
    )
    with pytest.raises(WorkbookInvalid) as caught:
        parse_workbook(bad, REGISTRY)
    assert found(caught.value) == {
        ("事项", 3, "法定时限（工作日）", "not_integer"),
        ("事项", 4, "承诺时限（工作日）", "promised_over_legal"),
        ("事项", 5, "事项层级", "unknown_choice"),
        ("事项", 6, "下沉村级", "not_yes_no"),
        ("材料", 2, "材料名称", "required"),
        ("收费", 2, "金额（元）", "bad_amount"),
        ("办理环节", 3, "事项编码", "unknown_matter"),
        ("村级不办理", 2, "村（社区）编码", "unknown_unit"),
    }
    issue = next(i for i in caught.value.issues if i.code == "promised_over_legal")
    assert issue.cell == "H4"
    assert "超过了法定时限" in (issue.reason_zh or "")
    assert issue.where == "事项 row 4, column 承诺时限（工作日）"


def test_a_rule_across_sheets_names_the_cell_it_concerns():
    """A material made deferrable on the 材料 sheet, its matter not printing the 容缺 slip:
    the rule is the matter's, so the 打印单据 cell of the matter's row is named."""
    data = catalog_workbook(SEED, EXCLUSIONS, REGISTRY)
    wb = load_workbook(io.BytesIO(data))
    no_slip = {
        r[0].value: r[10]
        for r in wb["事项"].iter_rows(min_row=2)
        if "容缺受理单" not in r[10].value
    }
    row = next(
        r
        for r in wb["材料"].iter_rows(min_row=2)
        if r[0].value in no_slip and (r[3].value, r[6].value) == ("否", "否")
    )
    row[7].value = "是"
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(WorkbookInvalid) as caught:
        parse_workbook(out.getvalue(), REGISTRY)
    slips = no_slip[row[0].value]
    assert found(caught.value) == {("事项", slips.row, "打印单据", "deficiency_slip_missing")}


def test_a_renamed_header_and_a_missing_sheet_are_reported():
    wb = load_workbook(io.BytesIO(catalog_workbook(SEED, EXCLUSIONS, REGISTRY)))
    wb["材料"]["B1"].value = "材料名"
    del wb["办理环节"]
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(WorkbookInvalid) as caught:
        parse_workbook(out.getvalue(), REGISTRY)
    assert {
        ("材料", 1, "材料名", "unknown_column"),
        ("材料", 1, "材料名称", "missing_column"),
        ("办理环节", None, None, "missing_sheet"),
    } <= found(caught.value)


def test_an_oversized_file_is_refused_before_it_is_opened():
    data = catalog_workbook(SEED, EXCLUSIONS, REGISTRY)
    with pytest.raises(WorkbookUnreadable, match="over the limit"):
        parse_workbook(data, REGISTRY, limits=WorkbookLimits(max_bytes=len(data) - 1))


def test_a_file_that_is_not_a_workbook_is_refused():
    with pytest.raises(WorkbookUnreadable, match="not a zip"):
        parse_workbook(b"PK\x03\x04 not really", REGISTRY)
    with pytest.raises(WorkbookUnreadable, match="cannot open"):
        parse_workbook(_zip({"hello.txt": b"hi"}), REGISTRY)


def test_a_zip_bomb_of_shared_strings_is_refused_from_the_directory_alone():
    # 200 MB of one repeated byte packs to about 200 KB
    bomb = _zip({"xl/sharedStrings.xml": b"<" * (200 * 1024 * 1024), "[Content_Types].xml": b""})
    assert len(bomb) < 1024 * 1024
    with pytest.raises(WorkbookUnreadable) as caught:
        parse_workbook(bomb, REGISTRY)
    assert "zip bomb" in str(caught.value) or "shared strings" in str(caught.value)


def test_too_many_rows_are_refused_with_the_row_where_the_limit_was_passed():
    wb = load_workbook(io.BytesIO(catalog_workbook(SEED, EXCLUSIONS, REGISTRY)))
    ws = wb["收费"]
    for i in range(5001):
        ws.append(["BIR-001", f"项目{i}", 1])
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(WorkbookInvalid) as caught:
        parse_workbook(out.getvalue(), REGISTRY)
    assert ("收费", 5002, None, "too_many_rows") in found(caught.value)


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in parts.items():
            z.writestr(name, content)
    return out.getvalue()

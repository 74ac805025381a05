"""The seed catalog: its shape, the matters the source names, and the figures it yields."""

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

from hub.catalog.loader import load_catalog
from hub.catalog.service import SOURCE_FIGURES, check_registry, indicators
from hub.catalog.villages import load_villages
from protocol.catalog import LifeArea, Slip
from protocol.seed import SEED_CATALOG, SEED_VILLAGES

ROOT = Path(__file__).resolve().parents[3]


def test_seed_has_139_matters_69_delegated_42_instant():
    catalog = load_catalog()
    assert len(catalog.matters) == 139
    assert len(catalog.delegated()) == 69
    assert sum(m.instant for m in catalog.matters) == 42
    assert "illustrative" in catalog.note.lower()


def test_seed_covers_the_life_cycle_areas_of_the_source():
    areas = {m.area for m in load_catalog().matters}
    for area in (
        LifeArea.BIRTH,
        LifeArea.SCHOOL,
        LifeArea.MEDICAL,
        LifeArea.MARRIAGE,
        LifeArea.EMPLOYMENT,
        LifeArea.BUSINESS,
        LifeArea.HOUSING,
    ):
        assert area in areas


def test_seed_includes_the_matters_the_source_names():
    names = {m.name for m in load_catalog().matters}
    for fragment in (
        "居民身份证",
        "低保",
        "失业登记",
        "老年人优待证",
        "就业创业证",
        "社会保障卡",
        "农村危房改造",
        "农机购置补贴",
    ):
        assert any(fragment in n for n in names), fragment


def test_seed_figures_match_the_source_to_one_decimal_of_a_percent():
    figures = indicators(load_catalog())
    for key in ("material_reduction", "step_reduction", "time_compression"):
        assert round(getattr(figures, key), 3) == SOURCE_FIGURES[key], key
    assert figures.instant == SOURCE_FIGURES["instant"]


def test_seed_uses_every_waiver_ground_and_some_deficiency_acceptance():
    catalog = load_catalog()
    grounds = {x.waiver_ground for m in catalog.matters for x in m.materials if x.waived}
    assert len(grounds) == 5
    assert any(Slip.DEFICIENCY_SLIP in m.slips for m in catalog.delegated())


def test_seed_files_never_use_the_half_width_yuan_sign():
    for path in (SEED_CATALOG, SEED_VILLAGES):
        assert "¥" not in path.read_text(encoding="utf-8")


def test_seed_registry_fits_the_seed_catalog():
    check_registry(load_villages(), load_catalog())


def _run_generator(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    saved = list(sys.path)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved
    return module


def test_generators_reproduce_the_committed_seed_files():
    catalog_tool = _run_generator("make_seed_catalog")
    assert catalog_tool.dump(catalog_tool.build()) == SEED_CATALOG.read_text(encoding="utf-8")
    villages_tool = _run_generator("make_seed_villages")
    text = json.dumps(villages_tool.build(), ensure_ascii=False, indent=2) + "\n"
    assert text == SEED_VILLAGES.read_text(encoding="utf-8")

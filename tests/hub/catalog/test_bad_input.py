"""A bad catalog file is refused with the file, the field or line/column, and the reason;
the store keeps serving the last good catalog."""

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.catalog.errors import (
    CatalogError,
    CatalogInvalid,
    CatalogNotNewer,
    CatalogSyntaxError,
    CatalogUnreadable,
)
from hub.catalog.loader import load_catalog, parse_catalog_text
from hub.catalog.store import CatalogStore
from tests.support.catalog import catalog, catalog_data, matter_data


def write(tmp_path: Path, data: object, name: str = "catalog.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def test_syntax_error_names_file_line_and_column(tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text('{\n  "_note": "x",\n  "version": 1,,\n}', encoding="utf-8")
    with pytest.raises(CatalogSyntaxError) as caught:
        load_catalog(path)
    assert str(caught.value).startswith(f"{path}: line 3, column 16: not valid JSON")
    assert caught.value.code == "catalog_syntax"


def test_duplicate_key_is_refused_rather_than_silently_overwritten():
    text = '{"_note": "x", "version": 1,\n "version": 2, "title": "t", "matters": []}'
    with pytest.raises(CatalogSyntaxError, match="line 1, column 1: duplicate key 'version'"):
        parse_catalog_text(text, "upload.json")


def test_invalid_field_is_named_with_the_matters_code(tmp_path):
    bad = matter_data("TST-002", legal_days=3, promised_days=5)
    path = write(tmp_path, catalog_data(matter_data(), bad))
    with pytest.raises(CatalogInvalid) as caught:
        load_catalog(path)
    (issue,) = caught.value.issues
    assert issue.where == "matters[1](TST-002).promised_days"
    assert "exceeds the legal time limit" in issue.reason
    assert str(path) in str(caught.value)


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    first = matter_data("TST-001", area="outer_space")
    second = matter_data("TST-002", materials=[{"name": "证明", "waived": True}])
    with pytest.raises(CatalogInvalid) as caught:
        load_catalog(write(tmp_path, catalog_data(first, second)))
    wheres = [i.where for i in caught.value.issues]
    assert wheres == [
        "matters[0](TST-001).area",
        "matters[1](TST-002).materials[0](证明).waiver_ground",
    ]


def test_missing_file_and_non_utf8_file_are_refused(tmp_path):
    with pytest.raises(CatalogUnreadable, match="cannot read"):
        load_catalog(tmp_path / "absent.json")
    path = tmp_path / "latin1.json"
    path.write_bytes('{"title": "café"}'.encode("latin-1"))
    with pytest.raises(CatalogSyntaxError, match="not UTF-8"):
        load_catalog(path)


def test_store_keeps_the_last_good_catalog_when_a_new_file_is_invalid(tmp_path):
    """GIVEN a store serving version 1 WHEN a broken version 2 is loaded THEN it is refused,
    version 1 keeps being served, and the refusal is kept for the operator."""
    store = CatalogStore.from_file(write(tmp_path, catalog_data(version=1), "v1.json"))
    broken = tmp_path / "v2.json"
    broken.write_text('{"version": 2', encoding="utf-8")
    with pytest.raises(CatalogSyntaxError):
        store.load(broken)
    assert store.current.version == 1
    assert isinstance(store.last_error, CatalogSyntaxError)
    store.load(write(tmp_path, catalog_data(matter_data("TST-009"), version=2), "v2.json"))
    assert store.current.version == 2
    assert store.last_error is None


def test_store_refuses_different_content_under_a_version_that_is_not_newer():
    store = CatalogStore(catalog(version=3))
    with pytest.raises(CatalogNotNewer, match="version 3 is not newer"):
        store.replace(catalog(matter_data("TST-002"), version=3))
    with pytest.raises(CatalogNotNewer):
        store.replace(catalog(matter_data("TST-002"), version=2))
    assert store.current == catalog(version=3)


def test_store_accepts_the_same_catalog_again_as_a_no_op():
    store = CatalogStore(catalog(version=3))
    assert store.replace(catalog(version=3)) is store.current


def test_store_from_the_seed():
    assert CatalogStore.from_file().current.version >= 1


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_either_a_catalog_or_a_catalog_error(text):
    with contextlib.suppress(CatalogError):
        parse_catalog_text(text)


@pytest.mark.parametrize("text", ["[" * 100_000, '{"version": ' + "9" * 5000 + "}"])
def test_pathological_json_is_a_syntax_error_not_a_crash(text):
    with pytest.raises(CatalogSyntaxError):
        parse_catalog_text(text)

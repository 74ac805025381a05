"""`bianmin catalog check|villages`: one JSON line on success, file/field/reason on failure."""

import json

from typer.testing import CliRunner

from bianmin.cli import app

runner = CliRunner()


def test_check_prints_one_json_line_for_the_seed():
    result = runner.invoke(app, ["catalog", "check"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    figures = json.loads(lines[0])
    assert figures["matters"] == 139
    assert figures["delegated"] == 69
    assert figures["instant"] == 42
    assert figures["version"] == 1
    for key in ("material_reduction", "step_reduction", "time_compression"):
        assert 0 < figures[key] < 1


def test_check_of_an_invalid_file_exits_non_zero_naming_file_field_and_reason(tmp_path):
    from tests.support.catalog import catalog_data, matter_data

    path = tmp_path / "bad.json"
    bad = matter_data(
        "TST-001", materials=[{"name": "户口簿", "critical": True, "deferrable": True}]
    )
    path.write_text(json.dumps(catalog_data(bad), ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(app, ["catalog", "check", str(path)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"{path}: matters[0](TST-001).materials[0](户口簿).deferrable:" in result.stderr
    assert "容缺 applies only to non-critical materials" in result.stderr


def test_check_of_broken_json_names_the_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{\n\n  oops\n}", encoding="utf-8")
    result = runner.invoke(app, ["catalog", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}: line 3, column 3" in result.stderr


def test_check_with_villages_verifies_the_registry_fits():
    result = runner.invoke(app, ["catalog", "check", "--villages", "protocol/seed/villages.json"])
    assert result.exit_code == 0, result.stderr


def test_villages_prints_a_summary():
    result = runner.invoke(app, ["catalog", "villages"])
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["divisions"], summary["villages"], summary["with_agent"]) == (10, 76, 51)

"""`bianmin calendar check FILE` (one JSON line, or the file, field and reason and exit 1) and
`bianmin hub calendar upload | show` on the hub's machine, the upload in the audit log under
the login of whoever ran it."""

import getpass
import json

from sqlmodel import Session
from typer.testing import CliRunner

from bianmin.cli import app
from hub import audit
from hub.calendar import current_calendar
from protocol.seed import SEED_CALENDAR
from tests.hub.calendar.helpers import text, with_2027

runner = CliRunner()


def test_check_prints_one_json_line_for_the_seed():
    result = runner.invoke(app, ["calendar", "check", str(SEED_CALENDAR)])
    assert result.exit_code == 0, result.stderr
    (line,) = result.stdout.splitlines()
    summary = json.loads(line)
    assert (summary["version"], summary["years"]) == (1, [2025, 2026])
    assert [y["days_off"] for y in summary["per_year"]] == [28, 33]
    assert [y["workdays"] for y in summary["per_year"]] == [5, 6]
    assert summary["per_year"][0]["notice"] == "国办发明电〔2024〕12号"


def test_check_of_an_invalid_file_exits_non_zero_naming_file_field_and_reason(tmp_path):
    bad = with_2027()
    bad["years"][1]["holidays"][2]["last"] = "2026-04-02"  # 清明节 ends before it starts
    path = tmp_path / "bad.json"
    path.write_text(text(bad), encoding="utf-8")
    result = runner.invoke(app, ["calendar", "check", str(path)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "error (calendar_invalid)" in result.stderr
    assert (
        f"{path}: years[1](2026).holidays[2](清明节).last: 2026-04-02 is before the first day "
        "2026-04-04" in result.stderr
    )


def test_check_of_broken_or_missing_files_names_the_line_or_the_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "version": 2,\n  oops\n}', encoding="utf-8")
    broken = runner.invoke(app, ["calendar", "check", str(path)])
    assert broken.exit_code == 1
    assert f"{path}: line 3, column 3" in broken.stderr
    missing = runner.invoke(app, ["calendar", "check", str(tmp_path / "none.json")])
    assert missing.exit_code == 1
    assert "error (calendar_unreadable)" in missing.stderr


def test_upload_and_show_on_the_hubs_machine_with_audit(database_url, engine, tmp_path):
    shown = runner.invoke(app, ["hub", "calendar", "show", "--database", database_url])
    assert json.loads(shown.stdout)["source"] == "seed"
    path = tmp_path / "calendar.json"
    path.write_text(text(with_2027()), encoding="utf-8")
    done = runner.invoke(app, ["hub", "calendar", "upload", str(path), "--database", database_url])
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["years"] == [2025, 2026, 2027]
    cli = f"cli:{getpass.getuser()}"
    shown = runner.invoke(app, ["hub", "calendar", "show", "--database", database_url])
    assert json.loads(shown.stdout)["source"] == f"upload by {cli}"
    document = runner.invoke(
        app, ["hub", "calendar", "show", "--document", "--database", database_url]
    )
    assert json.loads(document.stdout)["years"][-1]["year"] == 2027
    again = runner.invoke(
        app, ["hub", "calendar", "upload", str(SEED_CALENDAR), "--database", database_url]
    )
    assert again.exit_code == 1
    assert "error (calendar_not_newer)" in again.stderr
    with Session(engine) as s:
        (entry,) = audit.recent(s, action="calendar.upload")
        assert current_calendar(s).version == 2
    assert (entry.actor, entry.role, entry.target) == (cli, "admin", "calendar/2")

"""A hub process upgrades the schema by itself when it starts only where that is safe (an empty
database, or revisions that only add); otherwise it refuses to start and names `bianmin hub
migrate`, which then upgrades (SQLite and PostgreSQL)."""

import threading
from pathlib import Path

import pytest
from alembic import command

from hub.app import create_app
from hub.db import create_tables, make_engine
from hub.errors import SettingsProblem
from hub.migrations import runner, safety
from hub.settings import HubSettings
from tests.conftest import _postgres_schema_url

PREVIOUS = f"{int(runner.head()) - 1:04d}"


def _at(engine) -> str | None:
    with engine.connect() as conn:
        return runner.current(conn)


def _revision(tmp_path: Path, body: str) -> str:
    path = tmp_path / "9999_x.py"
    path.write_text(
        f"from alembic import op\nimport sqlalchemy as sa\n\n\ndef upgrade():\n{body}\n"
    )
    return str(path)


def test_creating_tables_and_indexes_and_adding_columns_only_adds(tmp_path):
    path = _revision(
        tmp_path,
        "    op.create_table('t', sa.Column('id', sa.Integer()))\n"
        "    with op.batch_alter_table('t') as batch_op:\n"
        "        batch_op.create_index(op.f('ix_t_id'), ['id'])\n"
        "        batch_op.add_column(sa.Column('n', sa.Integer(), nullable=True))\n",
    )
    assert safety.operations(path) - safety.ADDITIVE_OPS == set()


@pytest.mark.parametrize(
    "body",
    [
        "    op.drop_column('unit', 'name')",
        "    with op.batch_alter_table('unit') as batch_op:\n        batch_op.alter_column('name')",
        "    op.execute('UPDATE unit SET name = NULL')",
        "    op.rename_table('unit', 'units')",
    ],
)
def test_dropping_altering_renaming_or_changing_data_is_not_additive(tmp_path, body):
    assert safety.operations(_revision(tmp_path, body)) - safety.ADDITIVE_OPS


def test_a_revision_may_declare_why_its_other_operations_are_safe_at_start(tmp_path):
    path = _revision(tmp_path, "    op.execute('UPDATE account SET area_town = NULL')")
    assert safety.declared_safe(path) is None
    file = Path(path)
    file.write_text('SAFE_AT_START = "fills only the column it adds"\n' + file.read_text())
    assert safety.declared_safe(path) == "fills only the column it adds"


def test_an_empty_database_is_created_whatever_the_revisions_do(database_url, monkeypatch):
    monkeypatch.setattr(safety, "ADDITIVE_OPS", frozenset())
    monkeypatch.setattr(safety, "declared_safe", lambda path: None)
    engine = make_engine(database_url)
    try:
        create_tables(engine)
        assert _at(engine) == runner.head()
    finally:
        engine.dispose()


def test_a_start_runs_a_pending_additive_upgrade_by_itself(database_url, monkeypatch):
    # the newest revision counted as only adding, whatever it does (the rule itself is tested
    # above): a start then runs it by itself
    monkeypatch.setattr(safety, "declared_safe", lambda path: "counted safe by this test")
    engine = make_engine(database_url)
    try:
        create_tables(engine)
        with engine.begin() as conn:
            command.downgrade(runner.config(conn), PREVIOUS)
        create_tables(engine)
        assert _at(engine) == runner.head()
        assert runner.drift(engine) == []
    finally:
        engine.dispose()


def test_a_start_refuses_an_upgrade_that_changes_tables_and_names_hub_migrate(
    database_url, tmp_path, monkeypatch
):
    engine = make_engine(database_url)
    try:
        create_tables(engine)
        with engine.begin() as conn:
            command.downgrade(runner.config(conn), PREVIOUS)
        # pretend creating tables and adding columns changed existing ones: the newest
        # revision is unsafe
        monkeypatch.setattr(safety, "ADDITIVE_OPS", frozenset({"f", "batch_alter_table"}))
        monkeypatch.setattr(safety, "declared_safe", lambda path: None)
        with pytest.raises(SettingsProblem, match="bianmin hub migrate"):
            create_tables(engine)
        assert _at(engine) == PREVIOUS
        settings = HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path)
        with pytest.raises(SettingsProblem, match=f"at revision {PREVIOUS}"):
            create_app(settings)
        create_tables(engine, only_safe=False)  # what `hub migrate` does
        assert _at(engine) == runner.head()
    finally:
        engine.dispose()


def test_hub_migrate_runs_the_upgrade_a_start_refused(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from hub.cli import app

    url = f"sqlite:///{tmp_path / 'h.db'}"
    engine = make_engine(url)
    create_tables(engine)
    with engine.begin() as conn:
        command.downgrade(runner.config(conn), PREVIOUS)
    monkeypatch.setattr(safety, "ADDITIVE_OPS", frozenset())
    monkeypatch.setattr(safety, "declared_safe", lambda path: None)
    with pytest.raises(SettingsProblem):
        create_tables(engine)
    engine.dispose()
    done = CliRunner().invoke(app, ["migrate", "--database", url])
    assert done.exit_code == 0, done.output
    assert f'"before": "{PREVIOUS}"' in done.stdout
    assert f'"after": "{runner.head()}"' in done.stdout


def test_processes_starting_together_on_postgresql_upgrade_once(postgres_database):
    """GIVEN an empty PostgreSQL schema WHEN four processes start at once THEN one creates
    the schema under the advisory lock and the others find it done."""
    for url in _postgres_schema_url(postgres_database):
        engines = [make_engine(url) for _ in range(4)]
        errors: list[BaseException] = []

        def start(engine, errors=errors) -> None:
            try:
                create_tables(engine)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=start, args=(e,)) for e in engines]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert errors == []
        assert _at(engines[0]) == runner.head()
        for e in engines:
            e.dispose()

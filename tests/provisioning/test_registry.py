import json

import pytest
from typer.testing import CliRunner

from bianmin.cli import app
from protocol.seed import SEED_VILLAGES
from provisioning.registry import RegistryUnreadable, load_registry, unit_ids


def test_the_seed_registry_gives_the_countys_76_units_in_file_order():
    ids = unit_ids(load_registry())
    assert len(ids) == 76
    assert ids[0] == json.loads(SEED_VILLAGES.read_text())["villages"][0]["unit_id"]


def test_load_runs_get_synthetic_units_after_the_registrys():
    ids = unit_ids(load_registry(), 80)
    assert ids[:76] == unit_ids(load_registry())
    assert ids[76:] == ["sim-00000", "sim-00001", "sim-00002", "sim-00003"]
    assert unit_ids(load_registry(), 3) == ids[:3]


def test_a_negative_count_is_refused():
    with pytest.raises(ValueError, match="negative"):
        unit_ids(load_registry(), -1)


def test_a_broken_registry_names_the_file_and_the_field(tmp_path):
    data = json.loads(SEED_VILLAGES.read_text())
    data["villages"][2]["unit_id"] = "Not A Slug"
    bad = tmp_path / "villages.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(RegistryUnreadable, match=r"villages\.json: villages\.2\.unit_id"):
        load_registry(bad)
    with pytest.raises(RegistryUnreadable, match="cannot read it"):
        load_registry(tmp_path / "missing.json")


def test_broker_refuses_a_broken_registry_before_writing_credentials(tmp_path):
    bad = tmp_path / "villages.json"
    bad.write_text("{not json")
    result = CliRunner().invoke(
        app, ["broker", "--registry", str(bad), "--data-dir", str(tmp_path / "b")]
    )
    assert result.exit_code == 2
    assert "villages.json" in result.output
    assert not (tmp_path / "b" / "credentials.json").exists()

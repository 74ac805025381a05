"""`--simulated-devices` without provisioned keys does not fall back to a key anyone can
compute: the template key (which also keys the signature archive) is random per unit, kept
0600 in its data directory and the same after a restart; references come from the unit's hub
(blinded), or, with no hub to ask, from a random key of the unit's own."""

from __future__ import annotations

import hashlib
import stat

from edge.settings import EdgeSettings
from simulators.cases import DEMO_ID_KEY
from simulators.kit import ID_KEY_FILE, TEMPLATE_KEY_FILE, SimulatedKit


def _keys(data_dir, unit="t001"):
    return SimulatedKit(EdgeSettings(unit_id=unit, data_dir=data_dir, event_rate=0)).keys()


def test_a_simulated_unit_without_keys_makes_its_own_random_template_key(tmp_path):
    first = _keys(tmp_path / "a")
    public = hashlib.sha256(b"bianmin-demo-template-key/t001").digest()
    assert len(first.template_key) == 32
    assert first.template_key != public  # what the unit id alone once gave anyone
    assert _keys(tmp_path / "b").template_key != first.template_key  # another unit, same id
    assert _keys(tmp_path / "a").template_key == first.template_key  # a restart keeps it
    kept = tmp_path / "a" / TEMPLATE_KEY_FILE
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600


def test_a_simulated_window_never_uses_the_public_demo_key_for_references(tmp_path, caplog):
    """GIVEN `--simulated-devices` and no provisioned ID-reference key
    WHEN the unit has a hub to ask (its URL and a unit token) THEN it asks it, blinded (no key)
    WHEN it has none THEN it makes a random key of its own, kept 0600, and says so loudly."""
    asked = SimulatedKit(
        EdgeSettings(unit_id="t001", data_dir=tmp_path / "h", event_rate=0,
                     hub_url="http://127.0.0.1:8000", hub_token="bmu_" + "x" * 43)
    ).keys()  # fmt: skip
    assert asked.id_key is None
    assert not (tmp_path / "h" / ID_KEY_FILE).exists()
    hubless = _keys(tmp_path / "a").id_key
    assert hubless is not None
    assert len(hubless) == 32
    assert hubless != DEMO_ID_KEY
    assert DEMO_ID_KEY not in hubless
    assert "SIMULATED UNIT WITHOUT AN ID-REFERENCE KEY" in caplog.text
    assert _keys(tmp_path / "a").id_key == hubless  # a restart keeps it
    assert _keys(tmp_path / "b").id_key != hubless
    assert stat.S_IMODE((tmp_path / "a" / ID_KEY_FILE).stat().st_mode) == 0o600
    given = SimulatedKit(
        EdgeSettings(unit_id="t001", data_dir=tmp_path / "c", event_rate=0, id_key="ab" * 16)
    ).keys()
    assert given.id_key == bytes.fromhex("ab" * 16)

"""`--simulated-devices` without provisioned keys does not fall back to a key anyone can
compute: the template key (which also keys the signature archive) is random per unit, kept
0600 in its data directory and the same after a restart."""

from __future__ import annotations

import hashlib
import stat

from edge.settings import EdgeSettings
from simulators.kit import TEMPLATE_KEY_FILE, SimulatedKit


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

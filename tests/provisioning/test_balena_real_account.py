"""Opt-in, never in CI: the balena backend against a real balena account.

Collected only when BIANMIN_BALENA_REAL_ORG names an organization and BALENA_API_KEY holds a
key of a user in it (a user's key: device registration needs a user actor), and CI is unset
(tests/provisioning/conftest.py). It creates (or reuses)
the fleet BIANMIN_BALENA_REAL_FLEET (default bianmin-provisioning-test, raspberrypi4-64),
pre-registers one unit, reads its status back, and deletes the device again.
"""

import json
import os

from provisioning.balena_client import connect
from provisioning.state import StateFile
from tests.provisioning.helpers import init, run, small_registry

ORG = os.environ.get("BIANMIN_BALENA_REAL_ORG")


def test_one_unit_is_pre_registered_in_a_real_balena_fleet(tmp_path):
    fleet = os.environ.get("BIANMIN_BALENA_REAL_FLEET", "bianmin-provisioning-test")
    state = tmp_path / "provision"
    init(
        state, "--backend", "balena", "--balena-organization", str(ORG), "--balena-fleet", fleet,
        "--registry", str(small_registry(tmp_path / "villages.json", 1)),
    )  # fmt: skip
    first = run("apply", "--state-dir", str(state))
    uuid = StateFile(state).state.backend("balena").units["qingshui-shequ"].uuid
    try:
        assert json.loads(first.output.strip().splitlines()[-1])["delivered"] == 1, first.output
        second = run("apply", "--state-dir", str(state))
        assert json.loads(second.output.strip().splitlines()[-1])["delivered"] == 0
        status = json.loads(run("status", "--state-dir", str(state), "--json").output)
        assert status["units"][0]["balena"].endswith("offline")  # never booted
    finally:
        if uuid is not None:
            connect(None).models.device.remove(uuid)

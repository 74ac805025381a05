"""A unit flashed by hand: `provision apply` writes its bundle, Mosquitto runs on the broker
credentials provisioning generated, and `bianmin edge run --bundle DIR` (a real process) joins
the fleet with nothing else given: its cases reach the hub's database."""

import asyncio
import subprocess

import pytest

from hub.fleet.events import all_event_ids
from provisioning.credentials import load as load_credentials
from provisioning.mosquitto import MosquittoConfig, MosquittoProcess, free_port
from provisioning.store import IdentityStore
from tests.conftest import Broker
from tests.integration.helpers import running_hub
from tests.provisioning.helpers import init, run, small_registry
from tests.support.brokers import require_mosquitto
from tests.support.processes import BIANMIN, stop
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
UNIT = "qingshui-shequ"  # the seed registry's first village


def test_a_unit_started_from_its_bundle_joins_the_fleet_and_its_cases_arrive(
    database_url, tmp_path
):
    require_mosquitto()
    port = free_port()
    state = tmp_path / "provision"
    init(
        state, "--registry", str(small_registry(tmp_path / "villages.json", 3)),
        broker_url=f"mqtt://127.0.0.1:{port}",
    )  # fmt: skip
    assert run("apply", "--state-dir", str(state)).exit_code == 0
    creds = load_credentials(IdentityStore(state).broker_credentials)
    process = MosquittoProcess(
        MosquittoConfig(data_dir=tmp_path / "mosquitto", port=port, credentials=creds)
    )
    process.start()
    broker = Broker(process, creds)
    log_path = tmp_path / "unit.log"
    with open(log_path, "wb") as log_file:
        unit = subprocess.Popen(
            [BIANMIN, "edge", "run", "--bundle", str(state / "bundles" / UNIT),
             "--data-dir", str(tmp_path / "unit"), "--simulated-devices",
             "--rate", "20", "--max-events", "5", "--no-durable", "--health-interval", "1"],
            stdout=subprocess.DEVNULL, stderr=log_file,
        )  # fmt: skip

    async def scenario():
        async with running_hub(broker, database_url) as hub:

            def arrived():
                with hub.engine.connect() as conn:
                    rows = all_event_ids(conn, units=[UNIT])
                return len(rows) >= 5 and rows

            return await eventually(arrived, 30, f"5 events from {UNIT} in the hub")

    try:
        rows = asyncio.run(scenario())
    finally:
        stop(unit)
        process.stop()
    assert {u for u, _id, _seq in rows} == {UNIT}
    assert sorted(seq for _u, _id, seq in rows)[:5] == [1, 2, 3, 4, 5]
    log = log_path.read_text()
    for secret in (creds.units[UNIT], creds.hub_password):
        assert secret not in log

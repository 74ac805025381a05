"""What the operator sees of a misbehaving unit, on both databases: a config version the hub
never issued (in the API and on the fleet pages) next to the rollout that isolated it."""

from fastapi.testclient import TestClient

from hub.app import create_app
from hub.settings import HubSettings
from protocol.bounds import INT64_MAX
from tests.support.rollouts import QINGSHUI, drive, heartbeat


def test_a_config_version_the_hub_never_issued_shows_in_the_api_and_on_the_dashboard(
    database_url, tmp_path
):
    settings = HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        heartbeat(engine, QINGSHUI[0], INT64_MAX)
        drive(engine)  # the driver's tick records it
        (config,) = client.get("/api/config/units").json()
        page = client.get("/").text
        fleet = client.get("/fleet", params={"limit": 500}).text
    assert config["unit"] == QINGSHUI[0]
    assert (config["anomaly"], config["anomaly_version"]) == (True, INT64_MAX)
    assert config["anomaly_source"] == "heartbeat"
    assert f'data-anomaly="{INT64_MAX}"' in fleet
    assert "⚠ 版本异常" in fleet
    assert 'id="config-anomalies" class="alarm">1<' in page

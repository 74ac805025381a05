"""Bad hub settings stop the process with a message that says what to fix."""

import pytest
from pydantic import ValidationError

from hub.settings import HubSettings


def test_an_unsupported_database_url_is_refused_with_the_accepted_forms():
    with pytest.raises(ValidationError, match="postgresql\\+psycopg"):
        HubSettings(database_url="mysql://x")


def test_a_broker_url_without_mqtt_scheme_is_refused():
    with pytest.raises(ValidationError, match="mqtt://"):
        HubSettings(broker_url="http://localhost")


def test_the_hub_connects_as_the_hub_user_by_default():
    url = HubSettings(broker_url="mqtt://127.0.0.1:1884", broker_password="pw").broker()
    assert url is not None
    assert (url.username, url.password, url.port) == ("hub", "pw", 1884)


def test_a_clustered_brokers_nodes_all_carry_the_hubs_credentials_in_order():
    nodes = ("mqtt://127.0.0.1:1884", "mqtt://127.0.0.1:1885")
    settings = HubSettings(broker_url=nodes[0], broker_urls=nodes, broker_password="pw")
    assert [(u.port, u.username, u.password) for u in settings.brokers()] == [
        (1884, "hub", "pw"),
        (1885, "hub", "pw"),
    ]
    with pytest.raises(ValidationError, match="broker_url must be the first"):
        HubSettings(broker_url=nodes[1], broker_urls=nodes)


def test_ingest_on_nats_needs_the_nodes_native_addresses():
    with pytest.raises(ValidationError, match="nats_urls"):
        HubSettings(broker_engine="nats")
    with pytest.raises(ValidationError, match="no user"):
        HubSettings(broker_engine="nats", nats_urls=("nats://hub:pw@127.0.0.1:4223",))
    assert HubSettings(broker_engine="nats", nats_urls=("nats://127.0.0.1:4223",)).nats_urls

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

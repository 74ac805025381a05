"""Broker URLs: parsed strictly, printed without secrets."""

import pytest

from mqttio import BrokerUrl


def test_defaults_and_tls_port():
    assert BrokerUrl.parse("mqtt://h").port == 1883
    url = BrokerUrl.parse("mqtts://h")
    assert (url.port, url.tls) == (8883, True)


def test_credentials_are_parsed_and_hidden_when_printed():
    url = BrokerUrl.parse("mqtt://unit%2Fx:p%40ss@h:1900")
    assert (url.username, url.password) == ("unit/x", "p@ss")
    assert "p@ss" not in str(url)
    assert BrokerUrl.parse(url.with_secret()) == url


@pytest.mark.parametrize("bad", ["http://h", "mqtt://", "mqtt://h:notaport", "h:1883"])
def test_bad_urls_are_refused_with_a_reason(bad):
    with pytest.raises(ValueError, match="broker URL"):
        BrokerUrl.parse(bad)

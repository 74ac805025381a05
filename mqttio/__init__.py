"""The one place that drives paho-mqtt: an asyncio client for unit links, hub ingest and
simulators. Paho's own network thread is never started, so thousands of clients share one
event loop (the fleet simulator), and a consumer can stop reading to apply back-pressure."""

from mqttio.backoff import Backoff
from mqttio.client import AsyncMqttClient
from mqttio.errors import ConnectRefused, InvalidBrokerUrl, NotConnected
from mqttio.models import Publication, Received, Will
from mqttio.tls import ClientTls
from mqttio.url import BrokerUrl

__all__ = [
    "AsyncMqttClient",
    "Backoff",
    "BrokerUrl",
    "ClientTls",
    "ConnectRefused",
    "InvalidBrokerUrl",
    "NotConnected",
    "Publication",
    "Received",
    "Will",
]

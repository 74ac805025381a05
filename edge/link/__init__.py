"""The unit's link to the hub: the MQTT side (unit_link) and the pure send window it owns."""

from edge.link.send_window import SendWindow
from edge.link.unit_link import LinkSettings, LinkStats, UnitLink

__all__ = ["LinkSettings", "LinkStats", "SendWindow", "UnitLink"]

"""The unit's event log: every case event is committed here before the clerk is told a step
is done, and stays until the hub's ack names it. One contract (EventLog), two backends: SQLite
on a unit, memory for tests and simulations."""

from edge.eventlog.interface import EventLog, EventReader, StateRows, StoredEvent, Unsubscribe
from edge.eventlog.memory import MemoryEventLog
from edge.eventlog.sqlite import SqliteEventLog, read_committed

__all__ = [
    "EventLog",
    "EventReader",
    "MemoryEventLog",
    "SqliteEventLog",
    "StateRows",
    "StoredEvent",
    "Unsubscribe",
    "read_committed",
]

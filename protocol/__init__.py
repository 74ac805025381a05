"""The wire contract shared by units and the hub: topics, messages, canonical JSON, signatures.

Pure code: nothing here opens a socket, and the only file it reads is its own seed calendar
(protocol/seed/calendar.json, for `WorkCalendar.seed()`).
"""

PROTOCOL_VERSION = 1

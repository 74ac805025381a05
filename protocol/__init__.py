"""The wire contract shared by units and the hub: topics, messages, canonical JSON, signatures.

Pure code: nothing here opens a socket or a file.
"""

PROTOCOL_VERSION = 1

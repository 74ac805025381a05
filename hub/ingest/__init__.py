"""Ingest: units' messages from the broker into the database, acknowledged after the commit.

``consumer`` owns the MQTT side, ``intake`` turns messages into a batch (pure), ``batch``
writes one batch in one transaction, and ``sql`` is the dialect-specific hot path under it.
"""

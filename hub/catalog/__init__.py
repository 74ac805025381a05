"""The matter catalog and the village registry on the hub side: loading, checking, indicators.

The catalog's schema lives in ``protocol.catalog`` because units receive slices of it.
Nothing here imports FastAPI or a database, so the CLI and the tests stay light.
"""

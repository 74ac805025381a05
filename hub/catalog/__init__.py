"""The matter catalog and the village registry on the hub side: loading, checking, indicators,
the versions uploaded through the API, and the catalog routes.

The catalog's schema lives in ``protocol.catalog`` because units receive slices of it. Only
``versions`` (the database) and ``api`` (FastAPI) reach past pydantic, so the CLI and the
tests of the rest stay light.
"""

"""Artifacts addressed by SHA-256 (catalog slices, model bundles, the blacklist): the store in
the database, serving to units with HTTP Range, and the operator's routes."""

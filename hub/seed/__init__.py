"""Seed data shipped with the hub: the illustrative catalog and village registry (JSON files)."""

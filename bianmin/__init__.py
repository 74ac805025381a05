"""The `bianmin` command line: one entry point for every role (unit, hub, operator, developer)."""

__version__ = "0.1.0"

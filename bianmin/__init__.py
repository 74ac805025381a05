"""The `bianmin` command line: one entry point for every role (unit, hub, operator, developer).
The top of the import layers: it may import every package, and none imports it."""

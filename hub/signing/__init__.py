"""The hub's signing-key ring: rotation with key ids, announced to units in their configs
(docs/config.md#rotating-the-signing-key). ``ring`` is the pure state machine, ``store`` keeps
it in the database beside the private key files, ``trust`` reads what units say they trust,
``api`` and the CLI (hub/cli.py: `bianmin hub key`) are the operator's way in."""

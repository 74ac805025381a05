"""Signed configuration rollouts: per-unit desired configs, staged rollouts with a failure
threshold, pause, resume and rollback, driven from the database so any number of hub
processes can run beside each other."""

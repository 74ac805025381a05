"""The window's case workflow as pure code: the state machine, the case model, materials,
slips, the working-day calendar and the refusals. No devices, no I/O, no tasks."""

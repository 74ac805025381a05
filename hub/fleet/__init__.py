"""The hub's view of its units: registration, what each last reported (presence, heartbeat,
devices), the events and dead letters it holds, and the fleet's routes."""

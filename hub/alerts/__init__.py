"""Alerts the hub raises by its own timers (a unit silent too long, a printer out of paper,
an outbox near full, a drifting clock, a rollout paused by failures): raised on time, cleared
by themselves when the cause ends, repeated on an escalation policy until acknowledged."""

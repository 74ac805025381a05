"""What many tests need: waiting for a condition, stopping processes, building messages."""

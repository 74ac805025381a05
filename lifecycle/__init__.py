"""What every long-running process of any role needs and nothing else: orderly shutdown on
SIGINT/SIGTERM, and the version it runs. The bottom of the import layers (docs/layers.md)."""

from lifecycle.signals import restore_signals, stop_on_signals
from lifecycle.version import version

__all__ = ["restore_signals", "stop_on_signals", "version"]

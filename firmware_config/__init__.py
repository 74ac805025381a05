"""Hardware profiles of unit models: what a unit has and how to drive it, as validated data."""

from firmware_config.loader import ProfileError, builtin_profiles, load_profile, parse_profile
from firmware_config.schema import HardwareProfile

__all__ = ["HardwareProfile", "ProfileError", "builtin_profiles", "load_profile", "parse_profile"]

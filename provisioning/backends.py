"""The backend a provisioning run delivers through, chosen by the settings."""

from __future__ import annotations

from pathlib import Path

from firmware_config.schema import HardwareProfile
from provisioning.apply import Backend
from provisioning.balena_backend import BalenaBackend
from provisioning.balena_client import connect
from provisioning.bundle import BundleBackend
from provisioning.settings import ProvisionSettings, ProvisionSettingsError

BUNDLES_DIR = "bundles"


def make_backend(
    settings: ProvisionSettings, state_dir: Path, profiles: dict[str, HardwareProfile]
) -> Backend:
    if settings.backend == "bundle":
        return BundleBackend(state_dir / BUNDLES_DIR)
    if settings.balena is None:
        raise ProvisionSettingsError("backend balena needs `provision init --balena-organization`")
    board = profiles[settings.default_profile].board
    return BalenaBackend(settings.balena, connect, board)

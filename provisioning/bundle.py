"""The offline backend: a folder per unit, ready to copy to a Raspberry Pi OS boot partition,
for units flashed by hand. `bianmin edge run --bundle DIR` starts from such a folder.

``BUNDLES/<unit>/`` holds ``identity.json`` (0600), the Pi's ``config.txt`` lines from the
hardware profile (``config.txt.bianmin``), the systemd units of the agent and the kiosk
browser, ``install.sh`` that puts them in place, a README for the technician and
``bundle.json`` naming what is inside. A folder is built beside the old one and swapped in,
so a unit's bundle is always whole.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from firmware_config.schema import HardwareProfile
from protocol.unit_identity import FILE_NAME as IDENTITY_FILE
from provisioning.files import PUBLIC, fsync_dir, private_dir, write_atomic, write_private
from provisioning.plan import Target
from provisioning.state import BackendState, UnitState

FORMAT = 1
CONFIG_TXT = "config.txt.bianmin"
MANIFEST = "bundle.json"
STATIC_FILES = (
    "bianmin-agent.service",
    "bianmin-kiosk.service",
    "install.sh",
    "README.txt",
    "50-bianmin-reboot.rules",
)


def config_txt_lines(profile: HardwareProfile) -> list[str]:
    """The profile's config.txt settings as lines (a list value gives one line per item)."""
    lines = []
    for key, value in profile.pi.config_txt.items():
        for item in value if isinstance(value, list) else [value]:
            lines.append(f"{key}={item}")
    return lines


def _static(name: str) -> str:
    return resources.files("provisioning.unit_files").joinpath(name).read_text(encoding="utf-8")


class BundleBackend:
    name = "bundle"

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir

    def path(self, unit: str) -> Path:
        return self.out_dir / unit

    def shape(self, target: Target) -> str:
        parts = [f"bundle/{FORMAT}", *config_txt_lines(target.profile)]
        parts += [_static(name) for name in STATIC_FILES]
        return "\n".join(parts)

    def prepare(self, state: BackendState, save: Callable[[], None]) -> None:
        private_dir(self.out_dir)  # every bundle holds a unit's secrets

    def deliver(
        self, target: Target, fingerprint: str, unit_state: UnitState, save: Callable[[], None]
    ) -> None:
        final = self.path(target.unit)
        building = self.out_dir / f".{target.unit}.building"
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        # each file synced, the folder once: it only counts once renamed into place
        write_private(building / IDENTITY_FILE, target.identity.to_json(), sync_dir=False)
        config_txt = "\n".join(config_txt_lines(target.profile)) + "\n"
        write_atomic(building / CONFIG_TXT, config_txt, sync_dir=False)
        for name in STATIC_FILES:
            mode = 0o755 if name.endswith(".sh") else PUBLIC
            write_atomic(building / name, _static(name), mode, sync_dir=False)
        manifest = {
            "format": FORMAT,
            "unit": target.unit,
            "window_name": target.identity.window_name,
            "hardware_profile": target.profile.name,
            "generation": target.identity.generation,
            "fingerprint": fingerprint,
            "files": [*sorted(p.name for p in building.iterdir()), MANIFEST],
        }
        write_atomic(
            building / MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False), sync_dir=False
        )
        fsync_dir(building)
        old = self.out_dir / f".{target.unit}.old"
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            final.rename(old)
        building.rename(final)
        fsync_dir(self.out_dir)
        shutil.rmtree(old, ignore_errors=True)

    def withdraw(self, unit: str, unit_state: UnitState) -> None:
        """A revoked unit's bundle holds credentials nobody should install any more."""
        shutil.rmtree(self.path(unit), ignore_errors=True)

    def status(self, unit: str, unit_state: UnitState | None) -> str:
        manifest = self.path(unit) / MANIFEST
        if not manifest.exists():
            return "no bundle"
        found = json.loads(manifest.read_text(encoding="utf-8"))
        if unit_state is None or found.get("fingerprint") != unit_state.delivered:
            return "bundle out of date"
        return f"bundle ready (generation {found.get('generation')})"

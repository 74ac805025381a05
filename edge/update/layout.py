"""The unit's software directory and its state file, shared by the agent (which installs and
switches) and the supervisor (which judges a new version and rolls back).

    DATA/software/
      versions/<version>-<sha12>/   an installed release: the wheel unpacked (pure Python)
      current -> versions/...       the version the supervisor starts; absent: the provisioned
                                    install (/opt/bianmin/venv)
      state.json                    a pending trial, refused versions, the last outcome
      healthy                       written by a version on trial once it is healthy

The link is replaced with rename(2), so a power cut leaves the old or the new one, never none.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edge.config.files import fsync_dir, write_atomic

SOFTWARE_DIR = "software"
MAX_REFUSED = 32


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Trial(_Model):
    """A version switched to and not yet judged."""

    version: str
    path: str  # the directory `current` points to now
    previous: str | None  # the directory to go back to; None: the provisioned install
    config_version: int  # the configuration that asked for it, for the report
    started_at: datetime


class Outcome(_Model):
    version: str
    status: Literal["installed", "rolled_back"]
    reason: str | None = None
    at: datetime


class UpdateState(_Model):
    trial: Trial | None = None
    # versions refused for good on this unit (rolled back, or not installable): version -> why
    refused: dict[str, str] = Field(default_factory=dict)
    last: Outcome | None = None

    def refuse(self, version: str, reason: str) -> None:
        self.refused[version] = reason
        while len(self.refused) > MAX_REFUSED:  # the oldest first: dicts keep insertion order
            self.refused.pop(next(iter(self.refused)))


class SoftwareDir:
    def __init__(self, data_dir: Path, *, durable: bool = True) -> None:
        self.root = data_dir / SOFTWARE_DIR
        self.versions = self.root / "versions"
        self.current_link = self.root / "current"
        self.state_file = self.root / "state.json"
        self.healthy_file = self.root / "healthy"
        self.durable = durable

    def ensure(self) -> None:
        self.versions.mkdir(parents=True, exist_ok=True)

    # -- state ---------------------------------------------------------------------------------

    def load(self) -> UpdateState:
        """The state file; a missing or unreadable one is a fresh state (the file is only ours,
        but a torn disk must not stop the unit from starting)."""
        try:
            return UpdateState.model_validate_json(self.state_file.read_bytes())
        except (OSError, ValidationError):
            return UpdateState()

    def save(self, state: UpdateState) -> None:
        self.ensure()
        write_atomic(self.state_file, state.model_dump_json().encode(), durable=self.durable)

    # -- the current link ----------------------------------------------------------------------

    def current(self) -> Path | None:
        """The installed version the supervisor starts, or None for the provisioned install."""
        if not self.current_link.is_symlink():
            return None
        target = self.current_link.parent / os.readlink(self.current_link)
        return target if target.is_dir() else None

    def switch(self, target: Path | None) -> None:
        """Point `current` at ``target`` (None: back to the provisioned install), atomically."""
        self.ensure()
        if target is None:
            with contextlib.suppress(FileNotFoundError):
                self.current_link.unlink()
        else:
            tmp = self.root / ".current.new"
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            tmp.symlink_to(os.path.relpath(target, self.root))
            os.replace(tmp, self.current_link)
        if self.durable:
            fsync_dir(self.root)

    # -- the health marker ---------------------------------------------------------------------

    def mark_healthy(self, version: str) -> None:
        write_atomic(self.healthy_file, version.encode(), durable=self.durable)

    def healthy_version(self) -> str | None:
        try:
            return self.healthy_file.read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def clear_healthy(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.healthy_file.unlink()

    def prune(self, keep: set[Path]) -> None:
        """Delete installed versions other than ``keep`` (the current and the previous)."""
        if not self.versions.is_dir():
            return
        kept = {p.resolve() for p in keep}
        for entry in self.versions.iterdir():
            if entry.resolve() not in kept:
                shutil.rmtree(entry, ignore_errors=True)


def now() -> datetime:
    return datetime.now(UTC)

"""The unit's broker password across a live rotation (docs/provisioning.md, "rotate UNIT").

The hub sends the new password in a signed `rotate_credentials` command; the unit stores it
here as *pending* (fsynced, 0600) before it answers, and keeps its *current* one. While a
password is pending, connection attempts alternate between the two, pending first: the broker
may take the new one at any moment (the operator switches it once the unit has answered), and
until then, or if the switch never happens, the old one still opens the door. The first time
the pending password is accepted it becomes the current one and the old one is forgotten, so
the old password works only until the new one has worked once. A unit that was offline through
the switch still holds both and gets in with the new one when it comes back.

The file (``broker-password.json`` in the data directory) outlives a restart; an identity with
a higher ``generation`` (a re-provisioned unit) replaces it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("bianmin.edge.link")
FILE_NAME = "broker-password.json"


@dataclass
class _State:
    current: str | None
    pending: str | None
    generation: int
    pending_generation: int


class BrokerCredentials:
    def __init__(
        self, path: Path | None, password: str | None, *, generation: int = 0, durable: bool = True
    ) -> None:
        self.path = path
        self.durable = durable
        self._lock = threading.Lock()
        self._state = _State(password, None, generation, 0)
        self._trying_pending = False
        self._next_pending = True  # the next attempt with a pending password tries it first
        self.switched = 0  # times a pending password was accepted and became current
        if path is not None and path.exists():
            self._load(path, password, generation)

    def _load(self, path: Path, password: str | None, generation: int) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            stored = _State(
                data.get("current"), data.get("pending"), int(data.get("generation", 0)),
                int(data.get("pending_generation", 0)),
            )  # fmt: skip
        except (OSError, ValueError) as exc:
            log.error("%s: unreadable, using the identity's password: %s", path, exc)
            return
        if stored.generation >= generation or stored.pending_generation > generation:
            self._state = stored  # a rotation newer than the identity the unit started from

    @property
    def pending(self) -> bool:
        return self._state.pending is not None

    @property
    def generation(self) -> int:
        return self._state.generation

    def password_for_attempt(self) -> str | None:
        """The password for the next connection attempt (alternating while one is pending)."""
        with self._lock:
            s = self._state
            if s.pending is None:
                self._trying_pending = False
                return s.current
            self._trying_pending = self._next_pending or s.current is None
            self._next_pending = not self._trying_pending
            return s.pending if self._trying_pending else s.current

    def connected(self) -> None:
        """The broker accepted the last attempt: a pending password that worked is current."""
        with self._lock:
            s = self._state
            self._next_pending = True
            if not self._trying_pending or s.pending is None:
                return
            self._state = _State(s.pending, None, s.pending_generation, 0)
            self._trying_pending = False
            self.switched += 1
            self._save()
        log.info("broker password of generation %d in use; the old one is forgotten",
                 self._state.generation)  # fmt: skip

    def store_pending(self, password: str, generation: int) -> bool:
        """Keep a new password until it has worked once; durable before it returns (blocking:
        call it from a worker thread). False when it is the password in use already."""
        with self._lock:
            s = self._state
            if password == s.current:
                return False
            self._state = _State(s.current, password, s.generation, generation)
            self._next_pending = True
            self._save()
            return True

    def _save(self) -> None:
        if self.path is None:
            return
        s = self._state
        data = json.dumps(
            {"current": s.current, "pending": s.pending, "generation": s.generation,
             "pending_generation": s.pending_generation}
        ).encode()  # fmt: skip
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.new")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if self.durable:
                os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        if self.durable:
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

"""The hub keys this unit trusts, kept durably: one trust list for configs and the `cmd`
channel alike (docs/config.md#rotating-the-signing-key).

It starts from the key pinned at provisioning. A config verified against it may carry the
hub's key list (``ConfigBody.keys``); the applier hands it to ``accept``, which moves the state
forward only (protocol/keyring.py) and writes it before the config counts as applied, so a
unit restarted in the middle of a rotation still trusts the announced key. Once a file exists
it is the truth: the pinned key is where a unit with no file begins, and is only added to the
file's keys when provisioning pinned one the file never heard of (a unit re-provisioned with
the hub's new key after it missed a rotation); a retired pinned key stays retired.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from protocol.keyring import KeyAnnouncement, KeyListRefused, TrustState
from protocol.messages import TrustReport
from protocol.signing import key_id, public_key_from_text

log = logging.getLogger("bianmin.edge.trust")
TRUST_FILE = "trusted_keys.json"


def _with_pinned(state: TrustState, pinned: str | None) -> TrustState:
    """The file's state, plus a pinned key it does not know and never retired: provisioning
    that pins the hub's current key again (`provision apply` after `provision init` with the
    new key) brings back a unit that missed a rotation. A retired pinned key stays retired."""
    if pinned is None:
        return state
    pinned_id = key_id(public_key_from_text(pinned))
    if pinned_id in state.keys or pinned_id in state.retired:
        return state
    log.warning("trusting the key %s pinned at provisioning beside the list", pinned_id)
    return TrustState(state.serial, {**state.keys, pinned_id: pinned}, state.retired)


class TrustStore:
    """A ``protocol.signing.DocumentVerifier`` over the unit's current trust state."""

    def __init__(self, state: TrustState, path: Path | None, *, durable: bool = True) -> None:
        self.state = state
        self.path = path
        self.durable = durable

    @classmethod
    def open(cls, path: Path, pinned: str | None, *, durable: bool = True) -> TrustStore | None:
        """The store kept at ``path``, or one starting from the pinned key; None when there is
        neither (the unit then refuses every signed message: no pinned key)."""
        if path.exists():
            try:
                state = TrustState.from_json(path.read_bytes())
                return cls(_with_pinned(state, pinned), path, durable=durable)
            except (ValueError, OSError) as exc:
                # a damaged file must not silently widen trust: fall back to the pinned key,
                # which the hub's next list moves forward again (retired ids come back with it)
                log.error("%s: unusable, starting from the pinned key: %s", path, exc)
        if pinned is None:
            return None
        return cls(TrustState.pinned(pinned), path, durable=durable)

    @property
    def ids(self) -> tuple[str, ...]:
        return self.state.ids

    def verify_signed(self, document: dict[str, Any]) -> str:
        return self.state.trusted.verify_signed(document)

    def accept(self, announced: KeyAnnouncement, *, signed_by: str) -> bool:
        """Take a key list that came in a document ``signed_by`` verified; True if the trust
        changed. Raises KeyListRefused (a config carrying it is refused with the reason)."""
        new = self.state.accept(announced, signed_by=signed_by)
        if new == self.state:
            return False
        if self.path is not None:
            # here, not at the top: edge.config's applier imports this module
            from edge.config.files import write_atomic

            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, new.to_json().encode(), durable=self.durable)
        old = self.state
        self.state = new  # written first: a crash between the two leaves the file ahead
        log.info(
            "trusted hub keys: list %d -> %d, %s (retired: %s)",
            old.serial, new.serial, ", ".join(new.ids), ", ".join(new.retired) or "none",
        )  # fmt: skip
        return True

    def report(self) -> TrustReport:
        return TrustReport(serial=self.state.serial, keys=self.state.ids)


__all__ = ["KeyListRefused", "TrustStore"]

"""The key ring as a pure state machine: which key signs, which one is announced next, which
one is still trusted while units move over, and which ids are retired for good.

    rotate:  {current}                 -> {current, next}          (next announced)
    promote: {current, next}           -> {current', previous}     (the hub signs with next)
    retire:  {current', previous}      -> {current'}, previous retired

Each step raises the ring's ``serial``; the units' key list carries it, and a unit never takes
a list with a lower one. One rotation at a time: a new key is refused while another is
announced or the previous one is not retired yet, so a unit never trusts more than two keys
of the hub's and the operator always knows which step comes next.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from hub.errors import HubError
from protocol.keyring import MAX_RETIRED, AnnouncedKey, KeyAnnouncement
from protocol.signing import key_id, public_key_from_text


class KeyState(StrEnum):
    NEXT = "next"  # announced to units; the hub does not sign with it yet
    CURRENT = "current"  # the hub signs configs and commands with it
    PREVIOUS = "previous"  # signed before the last promote; still trusted until retired
    RETIRED = "retired"  # never trusted again; units refuse what it signs


class RingStateError(HubError):
    """A step that does not follow from the ring's state (the message says what would)."""

    code = "key_ring_state"
    status = 409


@dataclass(frozen=True)
class RingKey:
    key_id: str
    public_key: str  # base64 of the raw 32 bytes
    state: KeyState
    serial: int  # the ring serial at which this key last changed state


@dataclass(frozen=True)
class Ring:
    keys: tuple[RingKey, ...]

    @classmethod
    def initial(cls, public_key: str) -> Ring:
        """The ring of a hub that never rotated: its one key, serial 0 (units pinned it)."""
        return cls((RingKey(key_id(public_key_from_text(public_key)), public_key,
                            KeyState.CURRENT, 0),))  # fmt: skip

    @property
    def serial(self) -> int:
        return max(k.serial for k in self.keys)

    def _one(self, state: KeyState) -> RingKey | None:
        found = [k for k in self.keys if k.state is state]
        return found[0] if found else None

    @property
    def current(self) -> RingKey:
        key = self._one(KeyState.CURRENT)
        if key is None:
            raise RingStateError("the key ring has no current key")
        return key

    @property
    def next(self) -> RingKey | None:
        return self._one(KeyState.NEXT)

    @property
    def previous(self) -> RingKey | None:
        return self._one(KeyState.PREVIOUS)

    def _move(self, changes: dict[str, KeyState], added: RingKey | None = None) -> Ring:
        serial = self.serial + 1
        keys = [
            replace(k, state=changes[k.key_id], serial=serial) if k.key_id in changes else k
            for k in self.keys
        ]
        if added is not None:
            keys.append(replace(added, serial=serial))
        return Ring(tuple(keys))

    def rotate(self, public_key: str) -> Ring:
        """Announce ``public_key`` as the next key."""
        if self.next is not None:
            raise RingStateError(
                f"key {self.next.key_id} is announced already: promote it when the units "
                f"trust it (bianmin hub key status)"
            )
        if self.previous is not None:
            raise RingStateError(
                f"key {self.previous.key_id} is not retired yet: retire it first "
                f"(bianmin hub key retire)"
            )
        kid = key_id(public_key_from_text(public_key))
        if any(k.key_id == kid for k in self.keys):
            raise RingStateError(f"key {kid} is in the ring already")
        return self._move({}, RingKey(kid, public_key, KeyState.NEXT, 0))

    def promote(self) -> Ring:
        """Sign with the announced key from now on; the old one stays trusted until retired."""
        nxt = self.next
        if nxt is None:
            raise RingStateError("no key is announced: rotate first (bianmin hub key rotate)")
        return self._move({self.current.key_id: KeyState.PREVIOUS, nxt.key_id: KeyState.CURRENT})

    def retire(self) -> Ring:
        """Announce the previous key as retired: units drop it and refuse what it signs."""
        prev = self.previous
        if prev is None:
            raise RingStateError(
                "no previous key to retire: the ring retires a key after a promote"
            )
        return self._move({prev.key_id: KeyState.RETIRED})

    def announcement(self) -> KeyAnnouncement | None:
        """The key list units get in their configs; None before the first rotation (units
        trust the key they pinned, and old agents are not sent a field they cannot read)."""
        if self.serial == 0:
            return None
        live = [k for k in (self.current, self.next, self.previous) if k is not None]
        retired = sorted(
            (k for k in self.keys if k.state is KeyState.RETIRED), key=lambda k: -k.serial
        )[:MAX_RETIRED]
        return KeyAnnouncement(
            serial=self.serial,
            keys=tuple(AnnouncedKey(key_id=k.key_id, public_key=k.public_key) for k in live),
            retired=tuple(k.key_id for k in retired),
        )

"""The hub's signing keys as a unit learns them: a versioned key list inside signed configs, and
the unit's trust state it moves (pure; the unit keeps the state in a file, edge/trust.py).

How a rotation reaches a unit (docs/config.md#rotating-the-signing-key):

1. ``rotate``: the hub announces list ``serial`` N+1 = {current, next} in every unit's next
   config, signed by the current key, which the unit already trusts. The unit now trusts both.
2. ``promote``: the hub signs with the next key; the list N+2 = {new current, previous}.
3. ``retire``: the list N+3 = {current} with the old id in ``retired``, signed by the new key.
   The unit drops the old key and refuses anything it signs, with the reason ``retired_key``.

A list is accepted only from a document the unit's trust list verified, only with a serial
above the one it holds (a replayed older config cannot bring a retired key back), and a
retired id stays retired forever. The key that signed the list must be on it: a hub never
retires the key it signs with, and a unit must never be left trusting nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from protocol.bounds import PositiveInt64
from protocol.errors import ProtocolError
from protocol.signing import TrustedKeys, key_id, public_key_from_text, public_key_to_text

KeyId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")]
PublicKeyText = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/]{43}=$")]
MAX_LIVE_KEYS = 4  # current, next, previous, and one to spare
MAX_RETIRED = 32  # the ids a list names as retired; older ones stay retired on the units


class KeyListRefused(ProtocolError):
    """A key list a unit will not take; the config that carried it is refused with it."""

    code = "key_list_refused"


class StaleKeyList(KeyListRefused):
    code = "stale_key_list"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AnnouncedKey(_Model):
    key_id: KeyId
    public_key: PublicKeyText

    @model_validator(mode="after")
    def _id_names_the_key(self) -> AnnouncedKey:
        if key_id(public_key_from_text(self.public_key)) != self.key_id:
            raise ValueError(f"key_id {self.key_id} is not the id of its public key")
        return self


class KeyAnnouncement(_Model):
    """The hub's key list at ``serial``: every key a unit should trust, and retired ids."""

    serial: PositiveInt64
    keys: tuple[AnnouncedKey, ...] = Field(min_length=1, max_length=MAX_LIVE_KEYS)
    retired: tuple[KeyId, ...] = Field(default=(), max_length=MAX_RETIRED)

    @model_validator(mode="after")
    def _consistent(self) -> KeyAnnouncement:
        ids = [k.key_id for k in self.keys]
        if len(set(ids)) != len(ids):
            raise ValueError("keys: a key is listed twice")
        if set(ids) & set(self.retired):
            raise ValueError("a key is both trusted and retired")
        return self


@dataclass(frozen=True)
class TrustState:
    """What a unit trusts: the key list serial it took last, the keys by id (base64), and every
    id ever retired. Serial 0 is the key pinned at provisioning, before any list."""

    serial: int
    keys: dict[str, str]
    retired: tuple[str, ...] = ()
    trusted: TrustedKeys = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeyListRefused("a trust state needs at least one key")
        parsed = {kid: public_key_from_text(text) for kid, text in self.keys.items()}
        object.__setattr__(self, "trusted", TrustedKeys(parsed, self.retired))

    @classmethod
    def pinned(cls, *public_keys: str) -> TrustState:
        """The state a unit starts from: the key(s) provisioning pinned."""
        keys = {key_id(public_key_from_text(p)): public_key_to_text(public_key_from_text(p))
                for p in public_keys}  # fmt: skip
        return cls(0, keys)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(sorted(self.keys))

    def accept(self, announced: KeyAnnouncement, *, signed_by: str) -> TrustState:
        """The state after a list that arrived in a document ``signed_by`` verified against
        this state. Raise KeyListRefused (StaleKeyList) instead of moving backwards."""
        if signed_by not in self.keys:
            raise KeyListRefused(f"key list signed by {signed_by!r}, a key not trusted here")
        if announced.serial < self.serial:
            raise StaleKeyList(
                f"key list {announced.serial} is older than the list {self.serial} held here"
            )
        if announced.serial == self.serial:
            if self._same(announced):
                return self
            raise KeyListRefused(
                f"key list {announced.serial} differs from the list {self.serial} held here"
            )
        if signed_by not in {k.key_id for k in announced.keys}:
            raise KeyListRefused(f"key list {announced.serial} drops the key that signed it")
        retired = tuple(dict.fromkeys((*self.retired, *announced.retired)))
        keys = {k.key_id: k.public_key for k in announced.keys if k.key_id not in retired}
        if not keys:
            raise KeyListRefused(f"key list {announced.serial} leaves no key to trust")
        return TrustState(announced.serial, keys, retired)

    def _same(self, announced: KeyAnnouncement) -> bool:
        keys = {k.key_id: k.public_key for k in announced.keys}
        return {k: v for k, v in keys.items() if k not in self.retired} == self.keys

    def to_json(self) -> str:
        data = {"serial": self.serial, "keys": self.keys, "retired": list(self.retired)}
        return json.dumps(data, sort_keys=True, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> TrustState:
        data: Any = json.loads(text)
        if not isinstance(data, dict):
            raise KeyListRefused("trust file: not an object")
        serial, keys, retired = data.get("serial"), data.get("keys"), data.get("retired", [])
        if not (isinstance(serial, int) and isinstance(keys, dict) and isinstance(retired, list)):
            raise KeyListRefused("trust file: serial, keys and retired are required")
        for kid, text_key in keys.items():
            if key_id(public_key_from_text(str(text_key))) != kid:
                raise KeyListRefused(f"trust file: {kid} is not the id of its key")
        return cls(serial, {str(k): str(v) for k, v in keys.items()}, tuple(map(str, retired)))

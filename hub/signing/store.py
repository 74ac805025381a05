"""The key ring in the database, the private keys in files, and the signer every hub process
asks for the key to sign with.

The ring's state is shared through the database, so every hub process signs with the same key
the moment an operator promotes one: the signer reads the ring in the transaction that signs
(one small query per chunk of configs or per notice), never from a cache that could sign with
a retired key. The private keys stay files, like the first one (``hub_signing_key.pem``): a
database dump never holds them. A rotated key is written beside the first as
``hub_signing_key.<key id>.pem`` (0600); every hub process needs the same files, as it needs
the first key. The first key never leaves its file: the pages' HMAC secrets are derived from
it (hub/casepage/guard.py), so signed-in sessions survive a rotation.

A step is one transaction that moves the ring's row from the serial it read to the next
(``UPDATE ... WHERE serial = old``), so two operators stepping at once cannot both succeed;
the loser is told to look again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, insert, select, update
from sqlmodel import Field, Session, SQLModel

from hub import audit
from hub.accounts.roles import Actor
from hub.errors import Conflict, SigningKeyError
from hub.keys import create_key_file, read_key_file
from hub.models import _utc
from hub.signing.ring import KeyState, Ring, RingKey
from protocol.signing import key_id, public_key_to_text

RING_ROW = 1


class SigningKey(SQLModel, table=True):
    """One key of the ring (public half only) and its state."""

    key_id: str = Field(primary_key=True, max_length=16)
    public_key: str = Field(max_length=64)
    state: str = Field(max_length=8)
    serial: int = Field(default=0)
    created_at: datetime = _utc(nullable=False)
    changed_at: datetime = _utc(nullable=False)
    changed_by: str = Field(max_length=64)


class SigningRing(SQLModel, table=True):
    """The ring's serial: one row, moved forward by each step (optimistic concurrency)."""

    id: int = Field(default=RING_ROW, primary_key=True)
    serial: int = Field(default=0)
    changed_at: datetime = _utc(nullable=False)


KEYS = SigningKey.__table__  # type: ignore[attr-defined]
RING = SigningRing.__table__  # type: ignore[attr-defined]


class HubKeys:
    """The hub's signing keys: the first key (its file), the ring (database) and the private
    key files of rotated keys, loaded once each."""

    def __init__(self, base: Ed25519PrivateKey, base_path: Path, *, strict: bool) -> None:
        self.base = base
        self.base_path = base_path
        self.strict = strict
        self._private: dict[str, Ed25519PrivateKey] = {key_id(base.public_key()): base}

    def key_path(self, kid: str) -> Path:
        return self.base_path.with_name(f"{self.base_path.stem}.{kid}{self.base_path.suffix}")

    def private(self, kid: str) -> Ed25519PrivateKey:
        key = self._private.get(kid)
        if key is None:
            path = self.key_path(kid)
            if not path.exists():
                raise SigningKeyError(
                    f"the ring's key {kid} has no private key here ({path}): copy it from the "
                    f"machine where `bianmin hub key rotate` ran to every hub process"
                )
            key = read_key_file(path, strict=self.strict)
            if key_id(key.public_key()) != kid:
                raise SigningKeyError(f"{path} holds another key than {kid}")
            self._private[kid] = key
        return key

    def ring(self, db: Connection | Session) -> Ring:
        rows = db.execute(select(KEYS)).all()
        if not rows:
            return Ring.initial(public_key_to_text(self.base.public_key()))
        return Ring(
            tuple(RingKey(r.key_id, r.public_key, KeyState(r.state), r.serial) for r in rows)
        )

    def signing_key(self, db: Connection | Session) -> tuple[Ed25519PrivateKey, Ring]:
        """The key to sign with now, and the ring it was read from (for the key list)."""
        ring = self.ring(db)
        return self.private(ring.current.key_id), ring

    # -- the operator's steps ------------------------------------------------------------------

    def rotate(self, session: Session, actor: Actor) -> Ring:
        ring = self.ring(session)
        key = _new_key_file(self)
        new = ring.rotate(public_key_to_text(key.public_key()))
        self._private[key_id(key.public_key())] = key
        return self._save(session, actor, ring, new, "key.rotate", new.next)

    def promote(self, session: Session, actor: Actor) -> Ring:
        ring = self.ring(session)
        new = ring.promote()
        self.private(new.current.key_id)  # refuse to promote a key this hub cannot sign with
        return self._save(session, actor, ring, new, "key.promote", new.current)

    def retire(self, session: Session, actor: Actor) -> Ring:
        ring = self.ring(session)
        old = ring.previous
        new = ring.retire()
        return self._save(session, actor, ring, new, "key.retire", old)

    def _save(
        self, session: Session, actor: Actor, old: Ring, new: Ring, action: str,
        subject: RingKey | None,
    ) -> Ring:  # fmt: skip
        now = datetime.now(UTC)
        if old.serial == 0:
            inserted = session.execute(select(RING.c.serial)).first()
            if inserted is not None:
                raise Conflict("the key ring changed meanwhile; look at `hub key status` again")
            session.execute(insert(RING).values(id=RING_ROW, serial=new.serial, changed_at=now))
        else:
            moved = session.execute(
                update(RING)
                .where(RING.c.id == RING_ROW, RING.c.serial == old.serial)
                .values(serial=new.serial, changed_at=now)
            )
            if moved.rowcount != 1:  # type: ignore[attr-defined]
                raise Conflict("the key ring changed meanwhile; look at `hub key status` again")
        known = {k.key_id: k for k in old.keys} if old.serial else {}
        for k in new.keys:
            if k.key_id not in known:
                session.execute(
                    insert(KEYS).values(
                        key_id=k.key_id, public_key=k.public_key, state=k.state.value,
                        serial=k.serial, created_at=now, changed_at=now,
                        changed_by=actor.name[:64],
                    )
                )  # fmt: skip
            elif known[k.key_id] != k:
                session.execute(
                    update(KEYS)
                    .where(KEYS.c.key_id == k.key_id)
                    .values(state=k.state.value, serial=k.serial, changed_at=now,
                            changed_by=actor.name[:64])
                )  # fmt: skip
        audit.record(
            session, actor=actor, action=action,
            target=f"key/{subject.key_id if subject else '-'}",
            detail={"serial": new.serial, "current": new.current.key_id},
        )  # fmt: skip
        session.commit()
        return new


def _new_key_file(keys: HubKeys) -> Ed25519PrivateKey:
    """A new key in its own file (0600), named by its id once the id is known."""
    tmp = keys.base_path.with_name(f".{keys.base_path.stem}.rotating.pem")
    tmp.unlink(missing_ok=True)
    key = create_key_file(tmp)
    final = keys.key_path(key_id(key.public_key()))
    tmp.rename(final)
    return key

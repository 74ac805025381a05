"""The identity store: every unit's identity and the county's shared secrets, on the operator's
machine, under ``STATE_DIR/secrets`` (0700, files 0600).

From it come the two files other parts read:

- ``STATE_DIR/broker/credentials.json``: every live unit's broker password and the hub's, in
  the format `bianmin broker --data-dir STATE_DIR/broker` serves (provisioning.credentials);
- ``STATE_DIR/hub-unit-tokens.json``: the SHA-256 of every live unit's API token and the list
  of revoked units, for `bianmin hub unit-token import` on the hub's machine (the hub keeps
  only hashes; the tokens themselves exist only here and on the units).

A revoked unit's identity is deleted and its id recorded, so `apply` never issues it again
from the registry. Rotating and revoking change these files at once; telling a running broker
is `bianmin broker`'s (it reads credentials.json at start), and doing it live through the
dynamic-security API is later work (issue 14, item 7).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from protocol.topics import check_unit_id
from protocol.unit_identity import KEY_BYTES, InvalidIdentity, UnitIdentity
from provisioning import credentials
from provisioning.credentials import Credentials
from provisioning.files import private_dir, write_private

UNIT_TOKEN_PREFIX = "bmu_"  # the hub's unit-token format (hub/window/tokens.py)
TOKENS_FILE = "hub-unit-tokens.json"


class StoreError(RuntimeError):
    code = "identity_store"


class UnknownIdentity(StoreError):
    code = "unknown_unit"


class CountySecrets(BaseModel):
    """What every unit shares (the ID-reference key) and the hub's broker password."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id_key: SecretStr
    hub_broker_password: SecretStr


def new_key() -> SecretStr:
    return SecretStr(secrets.token_hex(KEY_BYTES))


def new_unit_token() -> SecretStr:
    return SecretStr(UNIT_TOKEN_PREFIX + secrets.token_urlsafe(32))


def token_hash(token: SecretStr) -> str:
    return hashlib.sha256(token.get_secret_value().encode()).hexdigest()


def _reveal(model: BaseModel) -> str:
    data = {
        k: v.get_secret_value() if isinstance(v, SecretStr) else v
        for k, v in model.model_dump(mode="python").items()
    }
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


class IdentityStore:
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.secrets_dir = state_dir / "secrets"
        self.units_dir = self.secrets_dir / "units"
        self.broker_credentials = state_dir / "broker" / "credentials.json"
        self.tokens_file = state_dir / TOKENS_FILE
        self.revoked_file = state_dir / "revoked.json"

    # -- county --------------------------------------------------------------------------
    def county(self, *, create: bool = True) -> CountySecrets:
        """The county's secrets, made on first use (one ID key for the whole county)."""
        path = self.secrets_dir / "county.json"
        if path.exists():
            try:
                return CountySecrets.model_validate_json(path.read_bytes())
            except ValidationError:
                raise StoreError(f"{path} is damaged; restore it from the backup") from None
        if not create:
            raise StoreError(f"{path} does not exist yet: run `bianmin provision apply`")
        found = self.new_county()
        private_dir(self.secrets_dir)
        write_private(path, _reveal(found))
        return found

    def has_county(self) -> bool:
        return (self.secrets_dir / "county.json").exists()

    @staticmethod
    def new_county() -> CountySecrets:
        return CountySecrets(
            id_key=new_key(), hub_broker_password=SecretStr(credentials.new_password())
        )

    # -- units ---------------------------------------------------------------------------
    def _path(self, unit: str) -> Path:
        return self.units_dir / f"{check_unit_id(unit)}.json"

    def identity(self, unit: str) -> UnitIdentity | None:
        path = self._path(unit)
        try:
            return UnitIdentity.parse(path.read_bytes(), str(path))
        except FileNotFoundError:
            return None
        except InvalidIdentity as exc:
            raise StoreError(f"{exc}; restore it from the backup or revoke the unit") from None

    def identities(self) -> dict[str, UnitIdentity]:
        if not self.units_dir.exists():
            return {}
        found = {}
        for path in sorted(self.units_dir.glob("*.json")):
            identity = self.identity(path.stem)
            if identity is not None:
                found[identity.unit_id] = identity
        return found

    def save(self, identity: UnitIdentity) -> None:
        private_dir(self.secrets_dir)
        private_dir(self.units_dir)
        write_private(self._path(identity.unit_id), identity.to_json())

    def revoked(self) -> dict[str, str]:
        """Revoked unit ids and when (ISO 8601)."""
        if not self.revoked_file.exists():
            return {}
        data = json.loads(self.revoked_file.read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data.items()}

    def rotate(self, unit: str) -> UnitIdentity:
        """A new broker password and API token for ``unit`` (its keys stay: its enrolled
        templates are encrypted with them); the outputs are rewritten at once."""
        old = self.identity(unit)
        if old is None:
            raise UnknownIdentity(f"no identity for unit {unit!r} (revoked, or never applied)")
        new = old.model_copy(
            update={
                "broker_password": SecretStr(credentials.new_password()),
                "hub_token": new_unit_token(),
                "generation": old.generation + 1,
            }
        )
        self.save(new)
        self.write_outputs()
        return new

    def revoke(self, unit: str) -> None:
        """Forget the unit's identity for good and refuse it in the outputs."""
        if self.identity(unit) is None and unit not in self.revoked():
            raise UnknownIdentity(f"no identity for unit {unit!r} (never applied)")
        revoked = self.revoked()
        revoked.setdefault(unit, datetime.now(UTC).isoformat(timespec="seconds"))
        write_private(self.revoked_file, json.dumps(revoked, indent=1, sort_keys=True) + "\n")
        self._path(unit).unlink(missing_ok=True)
        self.write_outputs()

    # -- outputs -------------------------------------------------------------------------
    def write_outputs(self) -> None:
        """The broker's credentials and the hub's token hashes, from the live identities."""
        live = self.identities()
        county = self.county()
        creds = Credentials(
            hub_password=county.hub_broker_password.get_secret_value(),
            units={u: i.broker_password.get_secret_value() for u, i in live.items()},
        )
        write_private(self.broker_credentials, creds.model_dump_json(indent=1) + "\n")
        tokens = {
            "schema_version": 1,
            "units": {u: token_hash(i.hub_token) for u, i in sorted(live.items())},
            "revoked": sorted(self.revoked()),
        }
        write_private(self.tokens_file, json.dumps(tokens, indent=1) + "\n")

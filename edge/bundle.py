"""Starting a unit from its provisioning bundle (`bianmin edge run --bundle DIR`): the identity
file provisioning wrote (protocol.unit_identity) turned into the agent's settings.

The identity holds the unit's secrets, so a file others may read is refused, as the hub
refuses a readable signing key: on a unit it lives in /etc/bianmin (0700) as 0600, where the
bundle's install.sh puts it; the copy on the FAT boot partition is deleted there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edge.errors import SettingsError
from protocol.unit_identity import FILE_NAME, InvalidIdentity, UnitIdentity

CA_FILE = "county-ca.pem"


def load_identity(bundle: Path) -> UnitIdentity:
    path = bundle / FILE_NAME if bundle.is_dir() else bundle
    try:
        mode = path.stat().st_mode
        text = path.read_bytes()
    except OSError as exc:
        raise SettingsError(f"bundle {path}: cannot read it: {exc.strerror}") from None
    if mode & 0o077:
        raise SettingsError(
            f"bundle {path} is readable by other users (mode {mode & 0o777:o}): it holds this "
            f"unit's secrets; run install.sh from the bundle, or: chmod 600 {path}"
        )
    try:
        return UnitIdentity.parse(text, str(path))
    except InvalidIdentity as exc:
        raise SettingsError(str(exc)) from None


def identity_settings(identity: UnitIdentity, data_dir: Path) -> dict[str, Any]:
    """The EdgeSettings fields an identity gives. A county CA, when there is one, is written
    beside the unit's data for the TLS client to read."""
    fields: dict[str, Any] = {
        "unit_id": identity.unit_id,
        "broker_url": identity.broker_url,
        "broker_password": identity.broker_password,
        "hub_url": identity.hub_url,
        "hub_public_key": identity.hub_public_key,
        "hub_token": identity.hub_token,
        "id_key": identity.id_key,
        "template_key": identity.template_key,
        "window_name": identity.window_name,
        "hardware_profile": identity.hardware_profile,
        "identity_generation": identity.generation,
    }
    if identity.ca_pem is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        ca = data_dir / CA_FILE
        ca.write_text(identity.ca_pem, encoding="ascii")
        fields["tls_ca_file"] = ca
    return fields

"""Starting a unit from its provisioning bundle (`bianmin edge run --bundle DIR`): the identity
file provisioning wrote (protocol.unit_identity) turned into the agent's settings.

The identity holds the unit's secrets, so a file others may read is refused, as the hub
refuses a readable signing key: on a unit it lives in /etc/bianmin (0700) as 0600, where the
bundle's install.sh puts it; the copy on the FAT boot partition is deleted there.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from edge.errors import SettingsError
from protocol.unit_identity import FILE_NAME, InvalidIdentity, UnitIdentity

CA_FILE = "county-ca.pem"
CLIENT_CERT_FILE = "client-cert.pem"
CLIENT_KEY_FILE = "client-key.pem"


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
    """The EdgeSettings fields an identity gives. A county CA and a client certificate, when
    there are any, are written beside the unit's data for the TLS clients to read (Python's
    ssl takes a certificate and its key from files only); the key 0600."""
    fields: dict[str, Any] = {
        "unit_id": identity.unit_id,
        "broker_url": identity.broker_url,
        "broker_urls": identity.broker_urls or (),
        "broker_engine": identity.broker_engine,
        "broker_password": identity.broker_password,
        "hub_url": identity.hub_url,
        "hub_public_key": identity.hub_public_key,
        "hub_seal_key": identity.hub_seal_key,
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
    if identity.client_cert_pem is not None and identity.client_key_pem is not None:
        cert, key = data_dir / CLIENT_CERT_FILE, data_dir / CLIENT_KEY_FILE
        cert.write_text(identity.client_cert_pem, encoding="ascii")
        _write_private(key, identity.client_key_pem.get_secret_value())
        fields["tls_cert_file"], fields["tls_key_file"] = cert, key
    return fields


def _write_private(path: Path, text: str) -> None:
    """0600 from the first byte, and narrowed if an older file was wider."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(text)
    os.chmod(path, 0o600)

"""The county's certificates, made with `cryptography`: one CA, server certificates for the
broker and the hub carrying the names the county network reaches them by, and client
certificates (CN = unit id) for units when the operator wants them. Pure: keys, certificates
and PEM text in, the same out; where they are kept is provisioning.tls_files'.

Every key is ECDSA P-256: small enough for a balena device variable, fast on a Raspberry Pi,
and accepted by Mosquitto's OpenSSL, Python's ssl and every browser.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_NAME = "bianmin county CA"
# The CA outlives many server certificates; replacing it means re-delivering every identity.
CA_DAYS = 3650
# What browsers accept for a server certificate (398 days at most), and the same for units.
LEAF_DAYS = 397
# `provision apply` issues a certificate again once less than this is left of it.
RENEW_BEFORE = timedelta(days=30)
# Clocks on units and the broker may be a little behind the operator's machine.
BACKDATE = timedelta(minutes=5)

Key = ec.EllipticCurvePrivateKey
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class PkiError(ValueError):
    code = "invalid_certificate"


def new_key() -> Key:
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key: Key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def cert_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def load_key(pem: str | bytes) -> Key:
    raw = pem.encode("ascii") if isinstance(pem, str) else pem
    key = serialization.load_pem_private_key(raw, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise PkiError("not an EC private key")
    return key


def load_cert(pem: str | bytes) -> x509.Certificate:
    raw = pem.encode("ascii") if isinstance(pem, str) else pem
    try:
        return x509.load_pem_x509_certificate(raw)
    except ValueError as exc:
        raise PkiError(f"not a PEM certificate: {exc}") from None


@dataclass(frozen=True)
class Names:
    """What a server certificate must name: DNS names and IP addresses, in a stable order."""

    dns: tuple[str, ...] = ()
    ips: tuple[IpAddress, ...] = ()

    @classmethod
    def of(cls, hosts: list[str]) -> Names:
        """Sort host strings into DNS names and IP addresses, without repeats."""
        dns: list[str] = []
        ips: list[IpAddress] = []
        for host in hosts:
            try:
                ip = ipaddress.ip_address(host.strip("[]"))
            except ValueError:
                name = host.lower().rstrip(".")
                if name not in dns:
                    dns.append(name)
                continue
            if ip not in ips:
                ips.append(ip)
        return cls(tuple(dns), tuple(ips))

    def __bool__(self) -> bool:
        return bool(self.dns or self.ips)

    def general_names(self) -> list[x509.GeneralName]:
        return [x509.DNSName(d) for d in self.dns] + [x509.IPAddress(i) for i in self.ips]

    def common_name(self) -> str:
        return self.dns[0] if self.dns else str(self.ips[0])

    def shown(self) -> list[str]:
        return [*self.dns, *(str(i) for i in self.ips)]

    def same(self, other: Names) -> bool:
        """The same names in any order (reordering the settings issues nothing)."""
        return set(self.dns) == set(other.dns) and set(self.ips) == set(other.ips)


def names_in(cert: x509.Certificate) -> Names:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return Names()
    ips = [
        ip
        for ip in san.get_values_for_type(x509.IPAddress)
        if isinstance(ip, ipaddress.IPv4Address | ipaddress.IPv6Address)
    ]
    return Names(tuple(san.get_values_for_type(x509.DNSName)), tuple(ips))


def common_name(cert: x509.Certificate) -> str:
    found = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    value = found[0].value if found else ""
    return value if isinstance(value, str) else value.decode()


@dataclass(frozen=True)
class CountyCA:
    cert: x509.Certificate
    key: Key

    @property
    def pem(self) -> str:
        return cert_pem(self.cert)

    @classmethod
    def create(cls, now: datetime | None = None, days: int = CA_DAYS) -> CountyCA:
        now = now or datetime.now(UTC)
        key = new_key()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(now + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .sign(key, hashes.SHA256())
        )
        return cls(cert, key)

    def issue_server(self, names: Names, now: datetime | None = None) -> tuple[str, str]:
        """A server certificate for ``names`` and its key, as PEM."""
        if not names:
            raise PkiError("a server certificate needs at least one DNS name or IP address")
        return self._issue(
            names.common_name(), ExtendedKeyUsageOID.SERVER_AUTH, names.general_names(), now
        )

    def issue_client(self, identity: str, now: datetime | None = None) -> tuple[str, str]:
        """A client certificate whose CN is ``identity`` (a unit id, or the hub's user), and
        its key, as PEM."""
        return self._issue(identity, ExtendedKeyUsageOID.CLIENT_AUTH, [], now)

    def _issue(
        self,
        cn: str,
        usage: x509.ObjectIdentifier,
        alt_names: list[x509.GeneralName],
        now: datetime | None,
    ) -> tuple[str, str]:
        now = now or datetime.now(UTC)
        key = new_key()
        not_after = min(now + timedelta(days=LEAF_DAYS), self.cert.not_valid_after_utc)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(digital_signature=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
        )
        if alt_names:
            builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        return cert_pem(cert), key_pem(key)

    def signed(self, cert: x509.Certificate) -> bool:
        """True when this CA issued ``cert`` (its signature checks with the CA's key)."""
        if cert.issuer != self.cert.subject:
            return False
        try:
            cert.verify_directly_issued_by(self.cert)
        except (ValueError, TypeError, InvalidSignature):
            return False
        return True


def _key_usage(
    *, digital_signature: bool = False, key_cert_sign: bool = False, crl_sign: bool = False
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def renewal_reason(
    ca: CountyCA,
    pem: str | None,
    *,
    names: Names | None = None,
    cn: str | None = None,
    now: datetime | None = None,
) -> str | None:
    """Why the certificate ``pem`` must be issued again, or None when it may stay: missing,
    not by this CA, for other names or another CN, or close to its end."""
    if pem is None:
        return "missing"
    try:
        cert = load_cert(pem)
    except PkiError:
        return "unreadable"
    if not ca.signed(cert):
        return "issued by another CA"
    if names is not None and not names_in(cert).same(names):
        return "names changed"
    if cn is not None and common_name(cert) != cn:
        return "another common name"
    now = now or datetime.now(UTC)
    if cert.not_valid_after_utc - now < RENEW_BEFORE:
        return f"expires {cert.not_valid_after_utc.date().isoformat()}"
    return None

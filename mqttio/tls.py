"""How a client verifies the broker over TLS (mqtts://) and, when the broker asks, proves who it
is: the CA to trust (the county's, pinned at provisioning; the system's when none is given),
and optionally a client certificate and key."""

from __future__ import annotations

import ssl
from dataclasses import dataclass


@dataclass(frozen=True)
class ClientTls:
    ca_file: str | None = None  # None: the system's CAs
    cert_file: str | None = None
    key_file: str | None = None
    # Off only for a connection to a broker on the same machine by its loopback address,
    # whose certificate names the county network (the broker's own admin connection).
    check_hostname: bool = True

    def context(self) -> ssl.SSLContext:
        """A client context: TLS 1.2 or later, the server's certificate verified against the
        CA, and its name against the host connected to (a certificate for another name is
        refused as one from another CA is)."""
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=self.ca_file)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.check_hostname = self.check_hostname
        ctx.verify_mode = ssl.CERT_REQUIRED
        if self.cert_file is not None:
            ctx.load_cert_chain(self.cert_file, self.key_file)
        return ctx

"""Broker addresses as URLs: mqtt://[user[:password]@]host[:port], or mqtts:// for TLS."""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import quote, unquote, urlsplit

from mqttio.errors import InvalidBrokerUrl


def _shown(url: str) -> str:
    """The URL for an error message: a password in it is never repeated."""
    head, at, tail = url.rpartition("@")
    if not at:
        return url
    scheme, sep, userinfo = head.partition("://")
    user = userinfo.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{tail}" if ":" in userinfo else url


@dataclass(frozen=True)
class BrokerUrl:
    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> BrokerUrl:
        try:
            parts = urlsplit(url)
        except ValueError as exc:
            raise InvalidBrokerUrl(f"broker URL {_shown(url)!r}: {exc}") from None
        if parts.scheme not in ("mqtt", "mqtts"):
            raise InvalidBrokerUrl(
                f"broker URL {_shown(url)!r} must start with mqtt:// or mqtts://"
            )
        if not parts.hostname:
            raise InvalidBrokerUrl(f"broker URL {_shown(url)!r} has no host")
        tls = parts.scheme == "mqtts"
        try:
            port = parts.port or (8883 if tls else 1883)
        except ValueError:
            raise InvalidBrokerUrl(f"broker URL {_shown(url)!r} has an invalid port") from None
        return cls(
            host=parts.hostname,
            port=port,
            tls=tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def with_credentials(self, username: str | None, password: str | None) -> BrokerUrl:
        return replace(self, username=username, password=password)

    def __str__(self) -> str:
        """The URL without the password, safe for logs and pages."""
        user = f"{quote(self.username, safe='')}@" if self.username else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}"

    def with_secret(self) -> str:
        """The full URL including the password, for handing to a child process."""
        if not self.username:
            return str(self)
        secret = f":{quote(self.password, safe='')}" if self.password else ""
        return (
            f"{'mqtts' if self.tls else 'mqtt'}://{quote(self.username, safe='')}{secret}"
            f"@{self.host}:{self.port}"
        )

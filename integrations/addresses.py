"""Where a webhook may be sent: http(s) URLs of public addresses only (no SSRF).

The host name is resolved when the endpoint is saved and again at every delivery, and the
request goes to the very address that was checked (so a name that re-resolves to an inside
address between check and connection gets nowhere). Loopback addresses are allowed only with
``WEBHOOK_ALLOW_LOOPBACK`` (on outside production, for development and tests); private,
link-local (cloud metadata), multicast and reserved addresses never are.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

URL_MAX_LENGTH = 500


class AddressRefused(Exception):
    """The URL is not one a webhook may be sent to; the message says why."""


@dataclass(frozen=True)
class Target:
    """A checked webhook URL: scheme, host name, port, path and the address to connect to."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


# IPv6 ranges whose addresses carry an IPv4 address a gateway may deliver to: NAT64
# (RFC 6052, 64:ff9b::/96 and the local-use 64:ff9b:1::/48), IPv4-translated (SIIT, RFC 2765,
# ::ffff:0:0/96), 6to4 (2002::/16) and the deprecated IPv4-compatible ::/96. Such an address is
# allowed only as far as the IPv4 one is.
NAT64 = (
    ipaddress.ip_network("64:ff9b::/96"),
    ipaddress.ip_network("64:ff9b:1::/48"),
    ipaddress.ip_network("::ffff:0:0:0/96"),
)
COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries for a translator or tunnel, if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in network for network in NAT64) or ip in COMPATIBLE:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _allowed(address: str) -> bool:
    """Whether a webhook may connect to ``address`` (an IPv4 or IPv6 literal)."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(
        address.split("%", 1)[0]
    )
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            if ip.is_loopback:  # ::1 lies in ::/96 but is IPv6's own loopback
                return bool(settings.WEBHOOK_ALLOW_LOOPBACK)
            ip = embedded
    if ip.is_loopback:
        return bool(settings.WEBHOOK_ALLOW_LOOPBACK)
    return ip.is_global and not ip.is_multicast


def check_url(url: str) -> Target:
    """The checked target of ``url``; raises ``AddressRefused`` unless it is an http(s) URL
    without credentials whose host resolves only to addresses a webhook may reach."""
    if len(url) > URL_MAX_LENGTH:
        raise AddressRefused(f"The URL is longer than {URL_MAX_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise AddressRefused("The URL is not valid.") from error
    if parts.scheme not in ("http", "https"):
        raise AddressRefused("Webhook URLs start with https:// (or http://).")
    if parts.username or parts.password:
        raise AddressRefused("Webhook URLs may not carry a user name or password.")
    host = (parts.hostname or "").lower()
    if not host:
        raise AddressRefused("The URL has no host name.")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise AddressRefused(f"{host} cannot be found.") from error
    addresses = sorted({str(entry[4][0]) for entry in found})
    if not addresses or not all(_allowed(address) for address in addresses):
        raise AddressRefused(
            f"{host} is a private or local address; webhooks go to public addresses only."
        )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.scheme, host, port, path, addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.target = target

    def connect(self) -> None:
        self.sock = socket.create_connection((self.target.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self.target = target

    def connect(self) -> None:
        sock = socket.create_connection((self.target.address, self.port), self.timeout)
        # The certificate is checked against the host name, not the address connected to.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.target.host)  # type: ignore[attr-defined]


def post(target: Target, body: bytes, headers: dict[str, str], *, timeout: float) -> int:
    """POST ``body`` to the checked ``target``; the response's status code. Redirects are
    not followed. Raises ``OSError`` (connection, TLS, timeout) or ``http.client``'s errors."""
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)
        return int(response.status)
    finally:
        connection.close()

"""Where notifications may go: user-entered hosts are resolved once, checked, and connected to by address.

Refused unless allowed by ``MONITORX_ALERT_ALLOW_HOSTS``: loopback, private (RFC 1918, fc00::/7),
link-local (169.254/16 with the cloud metadata address, fe80::/10), carrier-grade NAT, multicast,
reserved and unspecified addresses, also in their IPv4-mapped IPv6 form. The allow-list holds IPs,
CIDRs or exact host names. Senders connect to the checked address (with the name kept for TLS and
the Host header), so a second DNS answer cannot point the request elsewhere.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from monitorx.errors import InvalidInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Refused(Exception):
    """The destination is not allowed (or cannot be resolved); never retried."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as the user wrote it (for TLS SNI, certificate checks and the Host header)
    port: int
    address: str  # the checked IP to connect to


@dataclass(frozen=True)
class AllowList:
    networks: tuple[IPNetwork, ...] = ()
    names: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, spec: str) -> AllowList:
        networks: list[IPNetwork] = []
        names: set[str] = set()
        for item in (s.strip() for s in spec.split(",")):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                names.add(item.lower().rstrip("."))
        return cls(tuple(networks), frozenset(names))

    def permits(self, host: str, address: IPAddress) -> bool:
        return host.lower().rstrip(".") in self.names or any(address in n for n in self.networks)


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def split_url(url: str, loc: list[str | int]) -> tuple[str, str, int]:
    """Scheme, host and port of an http(s) URL, or InvalidInput naming ``loc``."""

    def bad(why: str) -> InvalidInput:
        return InvalidInput(f"{'.'.join(map(str, loc))}: {why}", [{"loc": loc, "msg": why, "type": "value_error"}])

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise bad(f"not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise bad("the URL must start with http:// or https://")
    if not parts.hostname:
        raise bad("the URL has no host")
    if any(c in url for c in "\r\n\t "):
        raise bad("the URL may not contain whitespace")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def check_literal(host: str, allow: AllowList, loc: list[str | int]) -> None:
    """At configuration time: refuse a private IP literal (names are checked when resolved, at send time)."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        if host.lower().rstrip(".") in ("localhost", "localhost.localdomain"):
            address = ipaddress.ip_address("127.0.0.1")
        else:
            return
    if not is_public(address) and not allow.permits(host, address):
        why = f"{host} is a private, loopback or link-local address; allow it with MONITORX_ALERT_ALLOW_HOSTS"
        raise InvalidInput(f"{'.'.join(map(str, loc))}: {why}", [{"loc": loc, "msg": why, "type": "value_error"}])


def resolve(host: str, port: int, allow: AllowList) -> str:
    """The first address of ``host`` that may be reached, or Refused.

    Only that address is connected to, so a name that also resolves to a refused address is safe.
    """
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"cannot resolve {host}: {exc}") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise Refused(f"{host} has no address")
    for a in addresses:
        if is_public(a) or allow.permits(host, a):
            return str(a)
    raise Refused(
        f"{host} resolves to {addresses[0]}, a private, loopback or link-local address; "
        "allow it with MONITORX_ALERT_ALLOW_HOSTS"
    )


def target(url: str, allow: AllowList) -> Target:
    try:
        scheme, host, port = split_url(url, ["url"])
    except InvalidInput as exc:
        raise Refused(exc.message) from None
    return Target(scheme, host, port, resolve(host, port, allow))

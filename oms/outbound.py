"""Addresses the server may call on a user's say-so. A URL that a user types and the server
calls (a carrier's API, a webhook endpoint) could otherwise reach the internal network (SSRF):
every address its host resolves to must be public, not private, loopback, link-local (the
cloud metadata service), multicast, reserved or unspecified. Used by ``shipping.endpoints`` and
``oms.webhooks``."""

from __future__ import annotations

import ipaddress
import socket


def refused_address(address: str) -> str | None:
    """Why the address may not be called, or None."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind in ("loopback", "link_local", "private", "multicast", "reserved", "unspecified"):
        if getattr(ip, f"is_{kind}"):
            return f"{address} is a {kind.replace('_', '-')} address"
    return None


def is_loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to; raises ``OSError`` (or ``UnicodeError``) when it does not."""
    return [info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)]

"""Addresses the server may call on a user's say-so. A URL that a user types and the server
calls (a carrier's API, a webhook endpoint) could otherwise reach the internal network (SSRF):
every address its host resolves to must be public, not private, loopback, link-local (the
cloud metadata service), multicast, reserved or unspecified. Used by ``shipping.endpoints`` and
``oms.webhooks``."""

from __future__ import annotations

import ipaddress
import socket


def _ip(address: str):
    # an IPv4 address written as IPv6 (::ffff:10.0.0.1) is judged as the IPv4 address it is
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def refused_address(address: str) -> str | None:
    """Why the address may not be called, or None."""
    ip = _ip(address)
    for kind in ("loopback", "link_local", "private", "multicast", "reserved", "unspecified"):
        if getattr(ip, f"is_{kind}"):
            return f"{address} is a {kind.replace('_', '-')} address"
    return None


def first_refusal(addresses: list[str]) -> str | None:
    """Why the first address that may not be called may not be, or None when all may."""
    return next(filter(None, map(refused_address, addresses)), None)


def is_loopback(address: str) -> bool:
    return _ip(address).is_loopback


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to; raises ``OSError`` (or ``UnicodeError``) when it does not."""
    return [info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)]

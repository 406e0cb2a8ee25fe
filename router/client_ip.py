"""The customer's IP address, also behind the shop's reverse proxies (`server.trusted_proxies`)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from aiohttp import web

__all__ = ["Network", "client_ip", "proxy_networks"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def proxy_networks(entries: Iterable[str]) -> list[Network]:
    """Addresses or CIDR networks ("10.0.0.0/8") of proxies whose X-Forwarded-For is believed."""
    return [ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip()]


def _trusted(address: str, proxies: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def client_ip(request: web.Request, proxies: list[Network]) -> str:
    """The peer's address; when the peer is a trusted proxy, the nearest untrusted hop of
    X-Forwarded-For (read right to left: a client can put anything at the left end)."""
    peer = request.remote or ""
    if not proxies or not _trusted(peer, proxies):
        return peer
    forwarded = ",".join(request.headers.getall("X-Forwarded-For", []))
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop
    return hops[0] if hops else peer

"""The customer's IP address behind trusted proxies: lives in `router.client_ip` (the router's token guard
needs it too, and the router may not import the bot); re-exported here for the bot's channels."""

from __future__ import annotations

from router.client_ip import Network, client_ip, proxy_networks

__all__ = ["Network", "client_ip", "proxy_networks"]

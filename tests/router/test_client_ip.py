"""router/client_ip.py: the client's address behind trusted proxies, read from X-Forwarded-For right to left
(the per-client socket budget it feeds: tests/bot/test_connection_limit.py)."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import make_mocked_request

from config import ConfigError
from router.client_ip import client_ip, proxy_networks


def test_client_ip_reads_forwarded_hops_right_to_left_past_trusted_proxies() -> None:
    proxies = proxy_networks(["10.0.0.0/8", "192.0.2.1"])

    def ip(peer: str, forwarded: str | None) -> str:
        headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
        request = make_mocked_request("GET", "/ws/chat", headers=headers)
        monkey = request.clone(remote=peer)
        return client_ip(monkey, proxies)

    assert ip("203.0.113.5", "1.2.3.4") == "203.0.113.5"  # an untrusted peer: its header is ignored
    assert ip("10.1.2.3", "203.0.113.5") == "203.0.113.5"
    assert ip("10.1.2.3", "6.6.6.6, 203.0.113.5, 192.0.2.1") == "203.0.113.5"
    assert ip("10.1.2.3", "10.9.9.9") == "10.9.9.9"  # nothing untrusted: the farthest hop
    assert ip("10.1.2.3", None) == "10.1.2.3"
    assert ip("10.1.2.3", "") == "10.1.2.3"
    assert client_ip(make_mocked_request("GET", "/").clone(remote="203.0.113.5"), []) == "203.0.113.5"


def test_a_bad_trusted_proxy_is_a_config_error_that_names_it() -> None:
    from config import load_settings

    with pytest.raises(ConfigError, match="not-an-ip"):
        load_settings(environ={}, server={"trusted_proxies": ["not-an-ip"]})

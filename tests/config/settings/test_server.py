"""config/settings/server.py: trusted proxies must be addresses or networks."""

from __future__ import annotations

import pydantic
import pytest

from config import ServerSettings


def test_trusted_proxies_are_addresses_or_networks() -> None:
    assert (
        ServerSettings(trusted_proxies=["10.0.0.0/8", "::1", "192.168.1.7"]).trusted_proxies[0]
        == "10.0.0.0/8"
    )
    with pytest.raises(pydantic.ValidationError, match=r"server\.trusted_proxies: 'proxy\.local'"):
        ServerSettings(trusted_proxies=["proxy.local"])

"""The process: HTTP server limits, the database and logging."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import BaseModel, Field, field_validator


class ServerSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8080
    load_demo_kb: bool = True
    max_body_bytes: int = 1_048_576
    # Requests with a wrong API token a client address may make in a minute (HTTP API and agent socket);
    # past this every token from that address gets 429 until the minute is over. 0: no limit.
    bad_tokens_per_minute: int = 10
    # Reverse proxies (addresses or CIDR networks) in front of Kundresa whose X-Forwarded-For header is
    # believed when counting per-IP limits; empty: the TCP peer is the client.
    trusted_proxies: list[str] = Field(default_factory=list)

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                raise ValueError(
                    f"server.trusted_proxies: {entry!r} is not an IP address or network (like 10.0.0.0/8)"
                ) from None
        return entries


class DatabaseSettings(BaseModel):
    url: str = "sqlite+aiosqlite:///kundresa.db"
    echo: bool = False


class LoggingSettings(BaseModel):
    """What `kundresa serve` logs, to stderr (bot/logs.py)."""

    # "text": lines for people (the default, `make run`); "json": one JSON object a line, for a log
    # pipeline. Both carry the request id and conversation id of what is being handled.
    format: Literal["text", "json"] = "text"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # One line a request (query values redacted: no tokens or signatures in the log).
    access_log: bool = True


class GCSettings(BaseModel):
    """Python's garbage collector in the server process, set once start-up is done (infra/gc_policy.py).
    enabled = false leaves Python's defaults (no freeze, thresholds 700/10/10)."""

    enabled: bool = True
    freeze: bool = True  # gc.freeze() of the start-up heap: full collections no longer walk it
    # Allocations (net) between young collections, and young collections per older one (Python: 700/10/10).
    # gen2 100: a full collection (which walks every object not frozen, ~0.5 s under 5,000 open sockets) is
    # considered 10 times less often; Python's own rule (the old generation grew by 25 %) still applies, so
    # cycles are still freed. bench/idle_sockets.py --gc-pauses measured the three.
    gen0_threshold: int = Field(default=700, ge=1)
    gen1_threshold: int = Field(default=10, ge=1)
    gen2_threshold: int = Field(default=100, ge=1)
    # > 0: no automatic full collections; one every this many seconds, at a moment with no bot turn in
    # progress (or after a second interval whatever the load). 0: Python decides (gen2_threshold).
    full_every_seconds: float = Field(default=0.0, ge=0)

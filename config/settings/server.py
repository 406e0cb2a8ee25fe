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

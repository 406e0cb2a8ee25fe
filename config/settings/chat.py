"""Conversations: chat limits and identity, routing to teams, crash recovery, data retention."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class ChatSettings(BaseModel):
    max_message_bytes: int = 4096
    messages_per_minute: int = 30
    # New chat sockets per client IP a minute (0: no limit). Each new visitor id makes a customer and a
    # conversation: without this a flooder could mint ids and so dodge the per-conversation limit.
    connections_per_minute_per_ip: int = 120
    # Asks for a person (the widget's button, `{"type":"human"}`) per client IP a minute (0: no limit). Each
    # can open a ticket in the agents' queue: without this one address minting visitor ids could fill it.
    handoffs_per_minute_per_ip: int = 10
    # New chat sockets this process upgrades a second, on average, and at once (0: no pacing). A reconnect
    # storm waits its turn instead of slowing the answers of customers already chatting
    # (bench/idle_sockets.py: 5,000 sockets at once).
    new_sockets_per_second: float = Field(default=500.0, ge=0)
    new_sockets_burst: int = Field(default=100, ge=1)
    # While this process's event loop runs later than this (ms), new sockets go at a tenth of that pace:
    # answers queued behind handshakes come first (0: no such gate).
    new_sockets_max_loop_lag_ms: float = Field(default=5.0, ge=0)
    # `resume` frames one socket may send: a bucket of `resume_burst`, refilled at `resumes_per_minute`.
    # Each resume replays up to 500 stored frames; past the budget the socket gets `rate_limited`.
    resumes_per_minute: int = 20
    resume_burst: int = 5
    # Whether the shop signs users (`user` + `sig`). On (the default), `identity_secret` is required
    # outside demo mode; off, the chat is anonymous only and signed identities are refused.
    signed_users: bool = True
    identity_secret: SecretStr | None = None


class RoutingSettings(BaseModel):
    default_team: str = "support"
    reopen_window_hours: float = 72
    default_capacity: int = 3
    expected_wait_minutes: int = 5
    teams: dict[str, str] = Field(default_factory=dict)


class RecoverySettings(BaseModel):
    """Crash recovery (bot/recovery.py): customer messages stored but never answered are answered later."""

    # On start, messages up to this many hours old are looked at; older ones stay as they are.
    window_hours: float = 2.0
    # While another process of the deployment is alive, a message younger than this may still be in its
    # hands (being answered): it is left until it is this old. Longer than a slow answer takes.
    grace_seconds: float = 20.0
    # On SIGTERM: how long in-flight answers may take before the chat sockets are closed (code 1012).
    drain_seconds: float = 10.0


class RetentionSettings(BaseModel):
    """How long personal data is kept (router/privacy/retention.py); 0 = keep for ever."""

    # Conversations (messages, page contexts, their tickets and feedback) with no activity for this long
    # are erased; only anonymous counts for the statistics stay.
    conversations_days: int = Field(default=0, ge=0)
    # Resolved and closed tickets older than this lose their free text (question, context, bot attempts).
    tickets_days: int = Field(default=0, ge=0)
    # Knowledge-gap questions older than this are deleted.
    gaps_days: int = Field(default=0, ge=0)
    interval_minutes: float = Field(default=60.0, gt=0)  # how often the background task runs
    batch_size: int = Field(default=100, ge=1, le=10_000)  # rows per short transaction

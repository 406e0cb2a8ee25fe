"""Settings for tests, on any database URL: no environment leaking in, the in-process model, a test
identity secret, no demo mode; overrides as keyword arguments (nested groups as dicts)."""

from __future__ import annotations

from typing import Any

from config import Settings, load_settings


def settings_for(url: str, **overrides: Any) -> Settings:
    overrides["database"] = {"url": url, **overrides.get("database", {})}
    overrides.setdefault("demo", False)
    # Tests share one in-process model; tests/knowledge/test_model_worker.py covers the worker process.
    model = overrides.setdefault("model", {})
    if isinstance(model, dict):
        model.setdefault("worker", "thread")
    chat = overrides.setdefault("chat", {})
    if isinstance(chat, dict):
        chat.setdefault("identity_secret", "test-identity-secret")
        # Every test customer comes from 127.0.0.1 and apps are shared by modules: the per-address limit on
        # asks for a person is off unless a test sets it (tests/bot/channels/webchat/test_inbound.py does).
        chat.setdefault("handoffs_per_minute_per_ip", 0)
    return load_settings(environ={}, **overrides)

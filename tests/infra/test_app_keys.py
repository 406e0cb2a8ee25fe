"""infra/app_keys.py: the app-wide keys, each defined once; no two keys of the app (infra's, the router's,
the bot's) share a name, so a log or a debugger never confuses them (the keys filled by a started app:
tests/bot/test_app.py)."""

from __future__ import annotations

from aiohttp import web

import bot.app
import bot.app_keys
import infra.app_keys
import router.shop_events.http
import router.token_guard
import router.web


def keys_of(*modules: object) -> list[web.AppKey[object]]:
    return [v for m in modules for v in vars(m).values() if isinstance(v, web.AppKey)]


def name(key: web.AppKey[object]) -> str:
    return str(key._name).rsplit(".", 1)[-1]  # aiohttp prefixes the defining module


def test_app_wide_keys_are_the_ones_exported() -> None:
    assert {name(k) for k in keys_of(infra.app_keys)} == {"settings", "engine", "sessions"}
    assert sorted(infra.app_keys.__all__) == ["ENGINE", "SESSIONS", "SETTINGS"]


def test_no_two_keys_share_a_name_and_each_is_defined_once() -> None:
    keys = keys_of(
        infra.app_keys, router.web, router.token_guard, router.shop_events.http, bot.app_keys, bot.app
    )
    unique = {id(k): k for k in keys}.values()  # a module importing another's key holds the same object
    names = [name(k) for k in unique]
    assert len(names) == len(set(names)), sorted(names)
    assert router.web.SESSIONS is infra.app_keys.SESSIONS  # re-exported, not redefined

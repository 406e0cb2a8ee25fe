"""Structured logs: JSON or text lines carrying the request id and conversation id; an access log whose
query strings keep no secrets."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.app import create_app
from bot.logs import AccessLogger, configure_logging, conversation, redacted_path
from config import ConfigError, Settings, load_settings
from config.settings import LoggingSettings

TIMEOUT = 30
ANSWERABLE = "hur lång är leveranstiden?"
log = logging.getLogger("kundresa.test")


@pytest.fixture
def logs() -> Iterator[Callable[..., io.StringIO]]:
    """`logs(format=..., level=...)`: the root logger writes to a string; put back as it was afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, logging.getLogger("aiohttp.access").disabled)

    def configure(**settings: Any) -> io.StringIO:
        stream = io.StringIO()
        configure_logging(LoggingSettings(**settings), stream=stream)
        return stream

    yield configure
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])
    logging.getLogger("aiohttp.access").disabled = saved[2]


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_json_lines_carry_the_ids_and_the_traceback(logs: Callable[..., io.StringIO]) -> None:
    stream = logs(format="json")
    with conversation(42):
        log.info("hej %s", "världen")
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("it failed")
    first, second = lines(stream)
    assert first["message"] == "hej världen" and first["level"] == "info"
    assert first["logger"] == "kundresa.test" and first["conversation_id"] == 42
    assert first["time"].endswith("+00:00") and "request_id" not in first
    assert "conversation_id" not in second  # reset when the block ended
    assert second["level"] == "error" and "ValueError: boom" in second["exception"]


def test_text_lines_for_people(logs: Callable[..., io.StringIO]) -> None:
    stream = logs(format="text")
    with conversation(7):
        log.warning("careful")
    log.info("plain")
    first, second = stream.getvalue().splitlines()
    assert first.endswith("WARNING kundresa.test [conv=7]: careful")
    assert second.endswith("INFO kundresa.test: plain")


def test_the_level_setting_filters(logs: Callable[..., io.StringIO]) -> None:
    stream = logs(format="json", level="WARNING")
    log.info("not shown")
    log.warning("shown")
    assert [line["message"] for line in lines(stream)] == ["shown"]


def test_settings_group_and_its_validation() -> None:
    assert load_settings(environ={}).logging.format == "text"  # `make run`: for people
    settings = load_settings(
        environ={"KUNDRESA_LOGGING__FORMAT": "json", "KUNDRESA_LOGGING__ACCESS_LOG": "false"}
    )
    assert settings.logging.format == "json" and settings.logging.access_log is False
    with pytest.raises(ConfigError):
        load_settings(environ={"KUNDRESA_LOGGING__FORMAT": "xml"})


async def test_a_request_and_a_chat_turn_log_their_ids(
    logs: Callable[..., io.StringIO], settings: Settings, aiohttp_client: Any
) -> None:
    stream = logs(format="json", level="DEBUG")
    app = create_app(settings)

    async def logs_something(request: web.Request) -> web.Response:
        log.info("inside the request")
        await asyncio.sleep(0)
        return web.json_response({})

    app.router.add_get("/test/log", logs_something)
    access = logging.getLogger("kundresa.access")
    server = TestServer(app)  # started here: aiohttp_client would not pass the access log on
    await server.start_server(access_log_class=AccessLogger, access_log=access)
    client = await aiohttp_client(server)

    resp = await client.get("/test/log", headers={"X-Request-ID": "req-from-proxy.1"})
    assert resp.headers["X-Request-ID"] == "req-from-proxy.1"
    resp = await client.get("/test/log", headers={"X-Request-ID": "bad id\twith junk"})
    made = resp.headers["X-Request-ID"]
    assert made != "bad id\twith junk" and len(made) == 16
    inside = [line for line in lines(stream) if line["message"] == "inside the request"]
    assert [line["request_id"] for line in inside] == ["req-from-proxy.1", made]

    # a chat turn: the socket's request id and the conversation's id on the dialogue's lines
    ws = await client.ws_connect("/ws/chat", params={"visitor": "logs-visitor"})
    await ws.send_json({"type": "message", "id": "m1", "text": ANSWERABLE})
    while (await ws.receive_json(timeout=TIMEOUT))["type"] != "answer":
        pass
    await ws.close()
    decided = [line for line in lines(stream) if line["logger"] == "kundresa.dialogue"]
    assert decided, stream.getvalue()[-2000:]
    assert all(isinstance(line.get("conversation_id"), int) for line in decided)
    assert all(line.get("request_id") for line in decided)
    assert "bot decision: answer" in [line["message"] for line in decided][-1]

    # the access log: one line a request, with its id, and no query values but harmless ones
    await client.get("/agent/ws", params={"token": "s3cret-token"})
    await client.get("/widget.js", params={"v": "abc123"})
    await client.get("/api/search", params={"q": "mitt personnummer 811218-9876"})
    await asyncio.sleep(0.1)  # written after the response
    text = stream.getvalue()
    assert "s3cret-token" not in text and "811218" not in text
    entries = {line["http"]["path"]: line for line in lines(stream) if line["logger"] == "kundresa.access"}
    assert entries["/agent/ws?token=…"]["http"]["status"] == 400  # a token in the URL is refused
    assert entries["/widget.js?v=abc123"]["http"]["status"] == 200
    assert entries["/api/search?q=…"]["http"]["method"] == "GET"
    ok = entries["/test/log"]
    assert ok["request_id"] == made and ok["http"]["status"] == 200 and ok["http"]["ms"] >= 0


def test_redacted_path_keeps_keys_and_harmless_values() -> None:
    from aiohttp.test_utils import make_mocked_request

    req = make_mocked_request("GET", "/ws/chat?visitor=v1&user=kim&sig=abcd&lang=sv&email=k%40x.se")
    assert redacted_path(req) == "/ws/chat?visitor=…&user=…&sig=…&lang=sv&email=…"
    assert redacted_path(make_mocked_request("GET", "/healthz")) == "/healthz"


@pytest.mark.slow
def test_kundresa_serve_writes_json_lines_without_secrets(serve_process: Any, tmp_path: Path) -> None:
    """The real command: `[logging] format = "json"` from the environment, the access log on."""
    settings = {
        "database__url": f"sqlite+aiosqlite:///{tmp_path}/serve.db",
        "logging__format": "json",
        "model__worker": "thread",  # nothing here needs the worker process; starts faster
    }
    server = serve_process(settings).wait_ready()
    for path in ("/healthz?probe=1", "/agent/ws?token=s3cret-token", "/widget.js?v=1"):
        try:
            urllib.request.urlopen(f"{server.url}{path}", timeout=10).close()
        except urllib.error.HTTPError as exc:
            assert exc.code == 400, path  # the console socket refuses a token in the URL
    assert server.stop() == 0  # SIGTERM: drained, and the log flushed
    text = server.log()
    assert "s3cret-token" not in text
    records = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert any(r["logger"] == "kundresa" and "model worker ready" in r["message"] for r in records)
    access = {r["http"]["path"]: r for r in records if r["logger"] == "kundresa.access"}
    assert set(access) >= {"/healthz?probe=…", "/agent/ws?token=…", "/widget.js?v=1"}, access.keys()
    assert access["/agent/ws?token=…"]["http"]["status"] == 400
    assert all(len(r["request_id"]) == 16 for r in access.values())

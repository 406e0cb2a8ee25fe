"""Property-based fuzzing of every JSON API route of the real app (routes read from its router).

With an admin token (so every route reads its body), any body and any id in the URL: never a 500, errors
shaped `{"error": {"code", "message"}}`, and a request that is refused (4xx) stores nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from bot.app_keys import DIALOGUE
from config import Settings
from tests.fuzz_inputs import BOMBS, Raw, anything, body_text, nested, objects_with, to_json
from tests.live_app import LiveApp

BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")
SLUG = "swish-fungerar-inte"  # a demo article
IDS = ["1", "2", "0", "-1", "999999", str(2**31), str(2**63), "9" * 50, "1.5", " 1", "abc", "١", "1_0", "%00"]
SLUGS = [SLUG, "no-such-article", "x" * 300, "å", "%00", "a%20b", "%ED%A0%80"]
FIELDS = {  # good values for the fields the JSON routes read (README, SPEC.md)
    "text": "Hej, vi tittar på det.",
    "internal": False,
    "article": SLUG,
    "team": "betalning",
    "presence": "online",
    "vip": True,
    "name": "Fuzz",
    "role": "agent",
    "capacity": 3,
    "ids": [1],
    "slug": SLUG,
    "title": "En titel",
    "body": "Text.",
    "lang": "sv",
    "status": "published",
    "tags": ["betalning"],
    "questions": ["Hur gör jag?"],
}
bodies = st.one_of(anything, objects_with(FIELDS), st.sampled_from(BOMBS))


@pytest.fixture
def live(make_settings: Any, settings: Settings) -> Iterator[LiveApp]:
    app = LiveApp(
        make_settings(
            chat={"identity_secret": "fuzz", "messages_per_minute": 1_000_000},
            proactive={"events_secret": "fuzz-events"},  # configured: bodies reach the signature check
        )
    )
    # A customer with a ticket, so that id 1 names real rows.
    ws = app.run(app.client.ws_connect("/ws/chat", params={"visitor": "api-fuzz"}))
    app.run(ws.send_json({"type": "message", "id": "m1", "text": "jag vill prata med en människa"}))
    assert app.run(app.client.app[DIALOGUE].turns.idle(60))
    app.run(ws.close())
    app.admin = app.token("fuzz-admin", "admin")  # type: ignore[attr-defined]
    yield app
    app.close()


def body_routes(live: LiveApp) -> list[tuple[str, str]]:
    """Every (method, path template) of the app that takes a body (Slack's has its own tests)."""
    found = {
        (r.method, r.resource.canonical)
        for r in live.client.app.router.routes()
        if r.method in BODY_METHODS and r.resource is not None and r.resource.canonical != "/slack/events"
    }
    return sorted(found)


def fill(template: str, draw: Any) -> str:
    path = template
    for name, choices in (("{id}", IDS), ("{version}", IDS), ("{slug}", SLUGS)):
        while name in path:
            value = draw(st.sampled_from(choices))
            path = path.replace(name, value if "%" in value else quote(value, safe=""), 1)
    return path


def check_answer(live: LiveApp, method: str, path: str, body: bytes, before: dict[str, int]) -> int:
    async def send() -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {live.admin}", "Content-Type": "application/json"}  # type: ignore[attr-defined]
        resp = await live.client.request(method, path, data=body, headers=headers)
        data = await resp.json() if resp.content_type == "application/json" else await resp.read()
        return resp.status, data

    status, data = live.run(send())
    where = (method, path, body[:300])
    assert status < 500, (where, status, data)
    if status >= 400:
        assert isinstance(data, dict) and set(data) == {"error"}, (where, data)
        assert isinstance(data["error"].get("code"), str) and isinstance(data["error"].get("message"), str)
        assert live.rows() == before, (where, status, data)
    return status


@hsettings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), body=bodies)
def test_any_body_to_any_json_route_is_never_a_500_and_a_refusal_stores_nothing(
    live: LiveApp, data: Any, body: Any
) -> None:
    method, template = data.draw(st.sampled_from(body_routes(live)))
    path = fill(template, data.draw)
    if template == "/api/articles/import":
        path += "?format=jsonl"
    check_answer(live, method, path, body_text(body), live.rows())


HOSTILE = [
    (nested(10_000), "too_deep"),
    (Raw('{"text":' + "[" * 40 + "1" + "]" * 40 + "}"), "too_deep"),
    (Raw('{"capacity":' + "9" * 4400 + "}"), "number_too_large"),
    (Raw('{"ids":[1e999]}'), "number_too_large"),
    (Raw('{"vip":NaN}'), "invalid_json"),
    (Raw('{"text":"hej \\ud800"}'), "invalid_text"),
    (Raw('{"text":"hej \\u0000"}'), "invalid_text"),
    (Raw('{"\\u0000":1}'), "invalid_text"),
]


JSON_BODY = {  # the routes that read a JSON body
    ("POST", "/api/articles"),
    ("PUT", "/api/articles/{slug}"),
    ("POST", "/api/articles/{slug}/questions"),
    ("DELETE", "/api/articles/{slug}/questions"),
    ("POST", "/api/tickets/{id}/messages"),
    ("POST", "/api/tickets/{id}/resolve"),
    ("POST", "/api/tickets/{id}/transfer"),
    ("POST", "/api/agents/me/presence"),
    ("POST", "/api/customers/{id}/vip"),
    ("POST", "/api/users"),
    ("PATCH", "/api/users/{id}"),
    ("POST", "/api/gaps/handled"),
    ("POST", "/api/canned"),
    ("PUT", "/api/canned/{id}"),
    ("POST", "/api/proactive/rules"),
    ("PUT", "/api/proactive/rules/{key}"),
    ("DELETE", "/api/customers/{id}"),  # optional {"dry_run", "keep_as"}
}
NO_JSON_BODY = {  # the body is ignored, or is a file (import: fuzzed above with ?format=jsonl)
    ("POST", "/api/tickets/{id}/claim"),
    ("POST", "/api/tickets/{id}/close"),
    ("POST", "/api/merges/{id}/undo"),
    ("DELETE", "/api/articles/{slug}"),
    ("POST", "/api/articles/{slug}/versions/{version}/restore"),
    ("POST", "/api/articles/import"),
    ("DELETE", "/api/canned/{id}"),
    ("DELETE", "/api/proactive/rules/{key}"),
    ("POST", "/api/users/{id}/token"),
    # Signed by the shop's server: the signature is checked before the body is read (unsigned: 401);
    # tests/router/shop_events/test_http.py sends it signed bad bodies.
    ("POST", "/api/events"),
}


def test_known_hostile_bodies_get_their_code_on_every_json_route(live: LiveApp) -> None:
    routes = set(body_routes(live))
    assert routes == JSON_BODY | NO_JSON_BODY, "a new route with a body: add it to JSON_BODY or NO_JSON_BODY"
    before = live.rows()
    for method, template in sorted(JSON_BODY):
        path = template.replace("{id}", "1").replace("{version}", "1").replace("{slug}", SLUG)
        path = path.replace("{key}", "no-such-rule")
        for body, code in HOSTILE:

            async def send(method: str = method, path: str = path, body: Any = body) -> tuple[int, Any]:
                headers = {"Authorization": f"Bearer {live.admin}"}  # type: ignore[attr-defined]
                resp = await live.client.request(method, path, data=to_json(body).encode(), headers=headers)
                return resp.status, await resp.json()

            status, data = live.run(send())
            assert (status, data["error"]["code"]) == (400, code), (method, path, to_json(body)[:80], data)
    for line in (
        "[" * 5000,
        '{"slug": "x", "title": "t", "body": "\\ud800"}',
        '{"slug": "x", "title": "t", "version": ' + "9" * 5000 + "}",
    ):

        async def upload(line: str = line) -> tuple[int, Any]:
            headers = {"Authorization": f"Bearer {live.admin}"}  # type: ignore[attr-defined]
            url = "/api/articles/import?format=jsonl"
            resp = await live.client.post(url, data=line.encode(), headers=headers)
            return resp.status, await resp.json()

        status, data = live.run(upload())
        assert (status, data["error"]["code"]) == (400, "bad_import_file"), (line[:60], data)
        assert "line 1" in data["error"]["message"] or ":1:" in data["error"]["message"], data
    invalid_utf8 = live.run(
        live.client.post(
            "/api/users",
            data=b'{"name": "caf\xe9"}',
            headers={"Authorization": f"Bearer {live.admin}"},  # type: ignore[attr-defined]
        )
    )
    assert invalid_utf8.status == 400
    assert live.run(invalid_utf8.json())["error"]["code"] == "invalid_text"
    assert live.rows() == before


ODD_URLS = [
    ("/api/tickets/" + str(2**63), 404),
    ("/api/tickets/" + str(2**31), 404),
    ("/api/tickets/" + "9" * 5000, 400),
    ("/api/tickets/-1", 400),
    ("/api/tickets/0", 404),
    ("/api/tickets/%D9%A1", 400),  # an Arabic-Indic one: int() would take it
    ("/api/customers/" + str(2**63) + "/timeline", 404),
    ("/api/customers/-5/timeline", 400),
    ("/api/customers/" + str(2**63) + "/merges", 404),
    ("/api/articles/a%00b", 400),
    ("/api/search?q=swish%00", 400),
    ("/api/gaps?limit=" + "9" * 5000, 400),
]


def test_odd_ids_and_urls_are_4xx(live: LiveApp) -> None:
    async def get(path: str) -> tuple[int, Any]:
        resp = await live.client.get(path, headers={"Authorization": f"Bearer {live.admin}"})  # type: ignore[attr-defined]
        return resp.status, await resp.json()

    for path, status in ODD_URLS:
        got, data = live.run(get(path))
        assert got == status, (path[:80], data)
        assert set(data["error"]) >= {"code", "message"}

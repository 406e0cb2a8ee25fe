"""Issue 14, the server side of the agent console: transfers that move the ticket (configured teams only),
resolving with an article picked on that very ticket, gaps and health that stay true, presence pulling
queued tickets, the customer's typing (canned replies: test_canned.py; earlier contacts: test_history.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from infra.app_keys import SESSIONS
from knowledge.models import GapQuestion
from router.web import KB
from tests.router.console_helpers import QUESTION, auth, handoff, ticket_row


async def _online(client: Any, token: str) -> list[int]:
    resp = await client.post("/api/agents/me/presence", json={"presence": "online"}, headers=auth(token))
    assert resp.status == 200
    return list((await resp.json())["assigned"])


async def test_transfer_moves_the_ticket_to_a_configured_team_or_agent(
    app_client: Any, make_user: Callable[..., Any]
) -> None:
    agnes = await make_user("agnes", "agent")  # no team: takes every team's tickets
    await make_user("pelle", "agent", team="payments")
    lisa = await make_user("lisa", "agent", team="logistics")
    customer, ticket_id = await handoff(app_client, "transfer-1")
    # Going available pulls the queued ticket at once.
    assert await _online(app_client, agnes) == [ticket_id]
    assert (await ticket_row(app_client, ticket_id)).status == "assigned"

    resp = await app_client.get("/api/teams", headers=auth(agnes))
    assert resp.status == 200
    teams = {t["name"]: [a["name"] for a in t["agents"]] for t in (await resp.json())["teams"]}
    assert {"support", "payments", "logistics", "b2b"} <= set(teams)  # [routing.teams] and the default
    assert teams["payments"] == ["pelle"] and teams["logistics"] == ["lisa"]

    # Any free-text team is refused; nothing changes.
    team = (await ticket_row(app_client, ticket_id)).team
    resp = await app_client.post(
        f"/api/tickets/{ticket_id}/transfer", json={"team": "väder"}, headers=auth(agnes)
    )
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "unknown_team"
    assert (await ticket_row(app_client, ticket_id)).team == team

    # To a team: unassigned in its queue — not straight back to agnes, who is free and takes any team.
    resp = await app_client.post(
        f"/api/tickets/{ticket_id}/transfer", json={"team": "logistics"}, headers=auth(agnes)
    )
    assert resp.status == 200
    data = await resp.json()
    assert (data["status"], data["team"], data["assignee_id"]) == ("open", "logistics", None)
    assert await _online(app_client, agnes) == []  # another dispatch does not bounce it back either
    assert (await ticket_row(app_client, ticket_id)).assignee_id is None
    assert await _online(app_client, lisa) == [ticket_id]  # the new team's agent gets it

    # To a chosen agent: assigned to them; one of another team, or not an id, is refused.
    listed = (await (await app_client.get("/api/teams", headers=auth(lisa))).json())["teams"]
    ids = {a["name"]: a["id"] for t in listed for a in t["agents"]}
    for body, code in (
        ({"team": "b2b", "agent": ids["pelle"]}, "agent_not_in_team"),
        ({"team": "payments", "agent": "pelle"}, "invalid_request"),
    ):
        resp = await app_client.post(f"/api/tickets/{ticket_id}/transfer", json=body, headers=auth(lisa))
        assert resp.status == 400
        assert (await resp.json())["error"]["code"] == code
    resp = await app_client.post(
        f"/api/tickets/{ticket_id}/transfer",
        json={"team": "payments", "agent": ids["pelle"]},
        headers=auth(lisa),
    )
    assert resp.status == 200
    data = await resp.json()
    assert (data["status"], data["team"], data["assignee_id"]) == ("assigned", "payments", ids["pelle"])
    await customer.close()


async def test_resolve_learns_only_an_article_picked_on_that_ticket_and_settles_its_gaps(
    app_client: Any, make_user: Callable[..., Any], admin_headers: dict[str, str]
) -> None:
    token = await make_user("agnes", "agent")
    kb = app_client.app[KB]
    customer, ticket_id = await handoff(app_client, "resolve-1")
    conv_id = (await ticket_row(app_client, ticket_id)).conversation_id
    await kb.record_gap(QUESTION, "no_answer", conv_id, "web")
    resp = await app_client.get("/api/gaps", headers=admin_headers)
    assert any(QUESTION in g["representative"] for g in (await resp.json())["groups"])
    before = (await kb.get("presentkort"))["questions"]

    # The article was picked on another ticket (a stale choice): refused, nothing learned, still active.
    resp = await app_client.post(
        f"/api/tickets/{ticket_id}/resolve",
        json={"article": "presentkort", "picked_for": ticket_id + 1},
        headers=auth(token),
    )
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "article_not_for_ticket"
    assert (await ticket_row(app_client, ticket_id)).status == "open"
    assert (await kb.get("presentkort"))["questions"] == before
    resp = await app_client.post(
        f"/api/tickets/{ticket_id}/resolve", json={"picked_for": ticket_id}, headers=auth(token)
    )
    assert resp.status == 400  # picked_for without an article

    # Picked on this ticket: learned, and the gap the question left is settled by that article.
    resp = await app_client.post(
        f"/api/tickets/{ticket_id}/resolve",
        json={"article": "betala-fran-utlandet", "picked_for": ticket_id},
        headers=auth(token),
    )
    assert resp.status == 200
    assert (await resp.json())["learned_question"] == QUESTION
    resp = await app_client.get("/api/gaps", headers=admin_headers)
    assert not any(QUESTION in g["representative"] for g in (await resp.json())["groups"])
    async with app_client.app[SESSIONS]() as session:
        gaps = list(await session.scalars(select(GapQuestion).where(GapQuestion.conversation_id == conv_id)))
    assert gaps and all(g.handled and g.article_id is not None for g in gaps)
    await customer.close()


async def test_health_never_counts_a_handoff_against_an_article_not_shown(
    app_client: Any, admin_headers: dict[str, str]
) -> None:
    customer, ticket_id = await handoff(app_client, "health-x")
    attempts = (await ticket_row(app_client, ticket_id)).bot_attempts
    assert attempts and attempts[0].get("slug")  # the bot looked at articles, but answered with none
    resp = await app_client.get("/api/articles/health", headers=admin_headers)
    rows = (await resp.json())["articles"]
    assert all(a["handoffs"] <= a["shown"] for a in rows)
    assert next(a for a in rows if a["slug"] == attempts[0]["slug"])["handoffs"] == 0
    await customer.close()


async def test_the_customers_typing_reaches_the_console(
    app_client: Any, make_user: Callable[..., Any]
) -> None:
    token = await make_user("agnes", "agent")
    customer, ticket_id = await handoff(app_client, "typing-1")
    console = await app_client.ws_connect("/agent/ws", headers={"Authorization": f"Bearer {token}"})
    assert (await console.receive_json(timeout=30))["type"] == "snapshot"
    await customer.send_json({"type": "typing"})
    while True:
        frame = await console.receive_json(timeout=30)
        if frame["type"] == "typing":
            break
    assert frame == {**frame, "who": "customer", "ticket_id": ticket_id}
    await console.close()
    await customer.close()

"""bot/channels/slack/ticket_post.py: the ticket's post in the agents' channel, built from an unsaved
ticket (read_view's database side runs in test_agents.py through the real app)."""

from __future__ import annotations

from typing import Any

from bot.channels.slack.ticket_post import TicketView, clip, describe, timeline_lines
from router.models import Customer, Ticket


def ticket(**fields: Any) -> Ticket:
    base: dict[str, Any] = {
        "id": 7,
        "conversation_id": 3,
        "customer_id": 2,
        "status": "open",
        "priority": "normal",
        "team": "support",
        "reason": "asked_for_human",
        "question": "Var är min <beställning>?",
        "bot_attempts": [{"title": "Leveranstider", "slug": "leverans", "score": 0.61}],
        "context": {"page": "/order/48213"},
        "external_refs": {},
    }
    return Ticket(**(base | fields))


def test_clip_keeps_short_text_and_marks_cut_text() -> None:
    assert clip("hej", 3) == "hej"
    assert clip("hej då", 4) == "hej…"
    assert len(clip("x" * 1000, 400)) == 400


def test_describe_names_what_the_bot_did() -> None:
    assert describe({"kind": "answer", "payload": {"article": {"title": "Swish"}}}) == "answered with “Swish”"
    clarify = {"kind": "clarify", "payload": {"options": [{"title": "A"}, {"title": "B"}]}}
    assert describe(clarify) == "asked which one: A / B"
    assert describe({"kind": "note", "text": "ring  henne\n imorgon"}) == "📝 (internal) ring henne imorgon"
    assert describe({"kind": "message", "text": "x" * 1000}).endswith("…")


def test_timeline_lines_show_time_channel_and_who() -> None:
    lines = timeline_lines(
        [
            {"author": "customer", "channel": "web", "created_at": "2026-01-02T10:15:00", "text": "a<b"},
            {
                "author": "agent",
                "channel": "slack",
                "created_at": "2026-01-02T10:16:30",
                "text": "svar",
                "payload": {"agent": "Sven"},
            },
        ]
    )
    assert lines == ["`10:15` [web] *Customer*: a&lt;b", "`10:16` [slack] *Sven*: svar"]


def test_an_open_ticket_has_claim_and_resolve_and_escapes_the_customers_text() -> None:
    view = TicketView(ticket(), Customer(id=2, name="Kim Kund", vip=True), ["kim@example.com"])
    text, blocks, rest = view.blocks()
    assert blocks[0]["text"]["text"] == "Ticket #7 · Kim Kund <kim@example.com> · VIP"
    dumped = repr(blocks)
    assert "&lt;beställning&gt;" in dumped and "<beställning>" not in dumped
    assert "Leveranstider" in dumped and "page: /order/48213" in dumped
    [actions] = [b for b in blocks if b["type"] == "actions"]
    assert [e["action_id"] for e in actions["elements"]] == ["kundresa_claim", "kundresa_resolve"]
    assert text.startswith("Ticket #7") and rest == []


def test_a_resolved_ticket_has_no_buttons_and_names_who_resolved_it() -> None:
    view = TicketView(ticket(status="resolved", resolved_article_slug="leverans"), None, [])
    view.assignee = "Sven"
    _, blocks, _ = view.blocks()
    assert not [b for b in blocks if b["type"] == "actions"]
    assert "Resolved by Sven with `leverans`" in repr(blocks)
    assert blocks[0]["text"]["text"] == "Ticket #7 · Customer"


def test_a_long_timeline_shows_its_latest_part_and_returns_the_rest() -> None:
    view = TicketView(ticket(), None, [])
    view.timeline = [
        {"author": "customer", "channel": "web", "created_at": "", "text": f"meddelande {i} " + "x" * 200}
        for i in range(40)
    ]
    text, blocks, rest = view.blocks()
    shown = 40 - len(rest)
    assert 0 < shown < 40 and "meddelande 0 " in rest[0] and "meddelande 39 " in text
    assert f"_{len(rest)} earlier messages are in the thread._" in repr(blocks)
    assert len(text) <= 3900

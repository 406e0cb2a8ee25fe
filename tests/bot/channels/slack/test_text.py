"""`bot.channels.slack.text`: Slack mrkdwn in and out, and frames as Slack messages (no app)."""

from __future__ import annotations

from bot.channels.slack.text import markdown_to_mrkdwn, render_frame, to_plain


def test_slack_text_both_ways() -> None:
    assert to_plain("se <https://shop.example/a?b=1&amp;c=2|hjälpsidan> &lt;3") == (
        "se hjälpsidan (https://shop.example/a?b=1&c=2) <3"
    )
    assert to_plain("<mailto:kim@example.com|kim@example.com> <@U1> <#C1|general>") == (
        "kim@example.com @U1 general"
    )
    mrkdwn = markdown_to_mrkdwn("## Rubrik\n**Viktigt:** läs [villkoren](https://x.example/v) <här>\n- ett")
    assert mrkdwn == "*Rubrik*\n*Viktigt:* läs <https://x.example/v|villkoren> &lt;här&gt;\n• ett"


def test_frames_as_slack_messages() -> None:
    clarify = render_frame(
        {
            "type": "clarify",
            "text": "Menar du något av det här?",
            "options": [
                {"slug": "swish-betalning", "title": "Betala med Swish"},
                {"slug": "faktura", "title": "Faktura"},
            ],
        }
    )
    assert clarify is not None
    buttons = [e for b in clarify["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(e["action_id"], e["value"]) for e in buttons] == [
        ("kundresa_choose", "swish-betalning"),
        ("kundresa_choose", "faktura"),
        ("kundresa_human", "human"),
    ]
    for block in clarify["blocks"]:  # Slack refuses an action id twice in one block
        ids = [e["action_id"] for e in block.get("elements", [])]
        assert len(ids) == len(set(ids))
    agent = render_frame({"type": "agent_message", "text": "1 < 2", "agent": "Sven"})
    assert agent is not None and agent["blocks"][0]["text"]["text"] == "*Sven:* 1 &lt; 2"
    csat = render_frame({"type": "csat_request", "ticket": 3})
    assert csat is not None
    assert [e["value"] for e in csat["blocks"][1]["elements"]] == ["1", "2", "3", "4", "5"]
    assert render_frame({"type": "note", "text": "internal"}) is None
    long = render_frame({"type": "answer", "text": "x\n" * 4000, "article": {"slug": "a", "title": "A"}})
    assert long is not None and all(len(b["text"]["text"]) <= 3000 for b in long["blocks"] if "text" in b)

"""`bot.replies.Replies`: a frame of the bot's names the message it answers, and a handoff is stored with
its ticket."""

from __future__ import annotations

from typing import Any

from bot.app_keys import DIALOGUE
from bot.policy import Action, Turn
from bot.signals import Signals
from router.identity import Evidence
from router.web import ROUTER


async def test_a_reply_in_a_turn_names_its_message_and_a_side_note_does_not(app_client: Any) -> None:
    app = app_client.server.app
    replies = app[DIALOGUE].replies
    _, conv_id = await app[ROUTER].identify([Evidence("web_visitor", "replies-1", False)])
    with replies.replying_to(7):
        answer = await replies.say(conv_id, "thanks", "sv", {"lang": "sv"})
        note = await replies.say(conv_id, "card_warning", "sv", reply=False)
    assert answer["reply_to"] == 7 and "reply_to" not in note
    seen = await app[DIALOGUE].states.load(conv_id)
    assert seen is not None and seen.state["lang"] == "sv"


async def test_a_handoff_stores_its_frame_with_the_ticket(app_client: Any) -> None:
    app = app_client.server.app
    replies = app[DIALOGUE].replies
    _, conv_id = await app[ROUTER].identify([Evidence("web_visitor", "replies-2", False)])
    turn = Turn("", Signals(True, False, False, False, False), None, {}, "en")
    frames = await replies.hand_off(conv_id, turn, Action("handoff", reason="asked_for_human"), "web")
    assert [f["type"] for f in frames] == ["handoff"] and frames[0]["queue"]["ticket"] == frames[0]["ticket"]
    seen = await app[DIALOGUE].states.load(conv_id)
    assert seen is not None and seen.owner == "agent" and seen.state["handoff_ticket"] == frames[0]["ticket"]

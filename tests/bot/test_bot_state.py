"""`bot.bot_state`: the bot's own state of a conversation, read once per turn and written with its frame;
handed back after a ticket, the bot starts afresh in the customer's language."""

from __future__ import annotations

from typing import Any

from bot.app_keys import DIALOGUE
from bot.bot_state import CHANGES, current
from router.identity import Evidence
from router.web import ROUTER


def test_a_state_from_before_the_conversation_changed_hands_is_forgotten() -> None:
    stored = {"lang": "en", "last_answer": "kort", CHANGES: 0}
    assert current("bot", 0, stored) == stored  # nothing happened since
    assert current("agent", 1, stored) == {**stored, CHANGES: 1}  # a person has it: kept as it was
    assert current("bot", 2, stored) == {"lang": "en", CHANGES: 2}  # handed back: afresh, in English
    assert current("bot", 0, None) == {CHANGES: 0}  # a new conversation
    assert current("bot", 2, {}) == {"lang": "sv", CHANGES: 2}


async def test_the_state_is_written_with_the_frame_and_reset_after_a_ticket(app_client: Any) -> None:
    app = app_client.server.app
    router, dialogue = app[ROUTER], app[DIALOGUE]
    _, conv_id = await router.identify([Evidence("visitor", "bot-state", True)])
    inbound = await router.receive(
        conv_id, channel="web", address={}, text="I want to change my delivery address"
    )
    await dialogue.respond(inbound)
    seen = await dialogue.states.load(conv_id)
    assert seen is not None and seen.owner == "bot" and seen.state["lang"] == "en"
    assert seen.state.get("last_question") or seen.state.get("handoff_ticket")

    frames = await dialogue.buttons.human(conv_id)
    ticket_id = frames[0]["ticket"]
    seen = await dialogue.states.load(conv_id)
    assert seen is not None and seen.owner == "agent" and seen.state["handoff_ticket"] == ticket_id

    await router.tickets.close(ticket_id)
    seen = await dialogue.states.load(conv_id)
    assert seen is not None and (seen.owner, seen.state) == ("bot", {"lang": "en", CHANGES: 2})

"""bot/channels/slack/outbound.py: SlackChannel.deliver turns a frame into stored Slack work, or into
nothing when a Slack customer would not see it. The work store is a recording stand-in here; storing
and posting for real is test_work.py's and test_customers.py's."""

from __future__ import annotations

from typing import Any

from bot.channels.slack.outbound import SlackChannel


class RecordingWork:
    def __init__(self) -> None:
        self.replies: list[tuple[int, int | None, dict[str, Any]]] = []

    async def reply(self, conversation_id: int, seq: int | None, args: dict[str, Any]) -> None:
        self.replies.append((conversation_id, seq, args))


def channel() -> tuple[SlackChannel, RecordingWork]:
    work = RecordingWork()
    return SlackChannel(work), work  # type: ignore[arg-type]


async def test_a_frame_is_stored_as_a_reply_in_the_customers_thread() -> None:
    slack, work = channel()
    frame = {"type": "agent_message", "agent": "Sven", "text": "Hej!", "seq": 4}
    assert await slack.deliver(9, {"channel": "D1", "thread_ts": "1700.1"}, frame)
    [(conversation, seq, args)] = work.replies
    assert (conversation, seq) == (9, 4)
    assert args["channel"] == "D1" and args["thread_ts"] == "1700.1"
    assert args["text"] == "Sven: Hej!"


async def test_without_a_thread_the_reply_goes_to_the_channel() -> None:
    slack, work = channel()
    assert await slack.deliver(9, {"channel": "C_SHARED"}, {"type": "agent_message", "text": "Hej"})
    [(_, seq, args)] = work.replies
    assert seq is None and "thread_ts" not in args


async def test_typing_notes_and_unaddressed_frames_store_nothing() -> None:
    slack, work = channel()
    # typing: never shown on Slack, so not delivered; a note: delivered as nothing; no channel: not here
    assert not await slack.deliver(9, {"channel": "D1"}, {"type": "typing"})
    assert await slack.deliver(9, {"channel": "D1"}, {"type": "note", "text": "internt"})
    assert not await slack.deliver(9, {}, {"type": "agent_message", "text": "Hej"})
    assert work.replies == []

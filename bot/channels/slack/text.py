"""How Kundresa's frames and text look in Slack, for both sides (customers and agents): Slack mrkdwn in
and out, Block Kit sections and buttons, and `render_frame` (a stored frame as a Slack message)."""

from __future__ import annotations

import html
import re
from typing import Any

__all__ = [
    "CSAT_PROMPT",
    "HUMAN_LABEL",
    "SECTION_LIMIT",
    "button",
    "chunks",
    "escape",
    "human_block",
    "markdown_to_mrkdwn",
    "render_frame",
    "section",
    "to_plain",
]

HUMAN_LABEL = "Prata med en person / Talk to a person"
CSAT_PROMPT = "Hur nöjd är du med hjälpen? / How happy are you with the help?"
SECTION_LIMIT = 2900  # Slack refuses section text over 3000 characters

_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")
_MD_BOLD = re.compile(r"\*\*(.+?)\*\*")
_MD_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.+)$", re.MULTILINE)
_MD_BULLET = re.compile(r"^(\s*)[-*]\s+", re.MULTILINE)


# -- text ------------------------------------------------------------------------------------------------
def escape(text: str) -> str:
    """Plain text made safe for Slack mrkdwn: only &, < and > are special."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_plain(text: str) -> str:
    """Slack message text as plain text: `<url|label>` becomes `label (url)`, mentions stay readable."""

    def link(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith(("@", "#")):
            return label or target  # <@U123> or <#C123|general>
        if target.startswith("!"):
            return label or "@" + target[1:].split("^")[0]  # <!here>
        address = target.removeprefix("mailto:")
        return f"{label} ({address})" if label and label != address else address

    return html.unescape(_LINK.sub(link, text)).strip()


def markdown_to_mrkdwn(text: str) -> str:
    """The knowledge base's Markdown as Slack mrkdwn (bold, links, headings, bullets)."""
    out = escape(text)
    out = _MD_HEADING.sub(lambda m: f"*{m.group(1).strip()}*", out)
    out = _MD_BOLD.sub(lambda m: f"*{m.group(1)}*", out)
    out = _MD_LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", out)
    return _MD_BULLET.sub(lambda m: f"{m.group(1)}• ", out)


def chunks(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Split on line breaks into pieces Slack accepts in one section."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            pieces.append(line[:limit])
            line = line[limit:]
        if current and len(current) + 1 + len(line) > limit:
            pieces.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current or not pieces:
        pieces.append(current)
    return pieces


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000] or " "}}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text[:75], "emoji": True},
        "action_id": action_id,
        "value": value[:2000],
    }
    if style:
        data["style"] = style
    return data


def human_block() -> dict[str, Any]:
    return {
        "type": "actions",
        "block_id": "kundresa_human",
        "elements": [button(HUMAN_LABEL, "kundresa_human", "human")],
    }


# -- frames as Slack messages ----------------------------------------------------------------------------
def render_frame(frame: dict[str, Any]) -> dict[str, Any] | None:
    """`chat.postMessage` arguments (text + blocks) for a stored frame; None for what customers never see."""
    kind = frame.get("type")
    text = str(frame.get("text") or "")
    if kind == "note":
        return None
    if kind == "answer":
        title = str((frame.get("article") or {}).get("title") or "")
        body = markdown_to_mrkdwn(text)
        parts = chunks(f"*{escape(title)}*\n{body}" if title else body)
        return {
            "text": f"{title}\n\n{text}" if title else text,
            "blocks": [*(section(p) for p in parts[:45]), human_block()],
        }
    if kind == "clarify":
        blocks: list[dict[str, Any]] = [section(escape(text))]
        # One actions block per option: action ids must be unique within a block.
        for i, option in enumerate(frame.get("options") or []):
            blocks.append(
                {
                    "type": "actions",
                    "block_id": f"kundresa_choose_{i}",
                    "elements": [button(str(option["title"]), "kundresa_choose", str(option["slug"]))],
                }
            )
        blocks.append(human_block())
        titles = ", ".join(str(o["title"]) for o in frame.get("options") or [])
        return {"text": f"{text} {titles}".strip(), "blocks": blocks}
    if kind == "agent_message":
        agent = str(frame.get("agent") or "Kundtjänst")
        return {"text": f"{agent}: {text}", "blocks": [section(f"*{escape(agent)}:* {escape(text)}")]}
    if kind == "csat_request":
        scores = [button(str(n), f"kundresa_csat_{n}", str(n)) for n in range(1, 6)]
        return {
            "text": CSAT_PROMPT,
            "blocks": [
                section(CSAT_PROMPT),
                {"type": "actions", "block_id": "kundresa_csat", "elements": scores},
            ],
        }
    if not text:
        return None
    return {"text": text, "blocks": [section(escape(text))]}

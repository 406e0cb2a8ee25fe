"""Shop events as agents read them, in Swedish and English:
"Betalningen misslyckades: card_declined, 14:02, order NH-100234, 1 847 kr"."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["LABELS", "event_line", "format_amount"]

LABELS: dict[str, dict[str, str]] = {
    "sv": {
        "payment_failed": "Betalningen misslyckades",
        "payment_succeeded": "Betalningen gick igenom",
        "checkout_idle": "Står still i kassan",
        "custom": "Händelse i butiken: {name}",
        "order": "order",
        "idle": "{seconds} s utan framsteg",
    },
    "en": {
        "payment_failed": "Payment failed",
        "payment_succeeded": "Payment succeeded",
        "checkout_idle": "Stuck at checkout",
        "custom": "Shop event: {name}",
        "order": "order",
        "idle": "{seconds} s without progress",
    },
}
SYMBOLS = {"SEK": "kr", "NOK": "kr", "DKK": "kr"}


def _group(digits: str, sep: str) -> str:
    out: list[str] = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return sep.join(out)


def format_amount(amount: Any, currency: Any, lang: str) -> str | None:
    """Swedish style "1 847 kr", "1 847,50 kr", "99 EUR"; English "1,847 SEK"."""
    if isinstance(amount, bool) or not isinstance(amount, int | float | str):
        return None
    try:
        value = round(float(amount), 2)
    except ValueError:
        return None
    if value != value or abs(value) > 1e12:  # NaN, absurd
        return None
    cur = str(currency or "SEK").upper()[:8]
    whole, cents = divmod(round(abs(value) * 100), 100)
    sign = "-" if value < 0 else ""
    if lang == "sv":
        text = sign + _group(str(whole), " ") + (f",{cents:02d}" if cents else "")
        return f"{text} {SYMBOLS.get(cur, cur)}"
    text = sign + _group(str(whole), ",") + (f".{cents:02d}" if cents else "")
    return f"{text} {cur}"


def event_line(
    name: str,
    reason: str | None,
    data: dict[str, Any],
    context: dict[str, Any],
    at: datetime,
    lang: str = "sv",
    timezone: str = "Europe/Stockholm",
) -> str:
    """One event as the Slack handoff post and the agents' timeline show it."""
    table = LABELS.get(lang) or LABELS["sv"]
    label = table[name] if name in table and name != "custom" else table["custom"].format(name=name)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    parts = [at.astimezone(ZoneInfo(timezone)).strftime("%H:%M")]
    order = data.get("order_id") or context.get("order_id")
    if isinstance(order, str | int) and not isinstance(order, bool) and str(order):
        parts.append(f"{table['order']} {str(order)[:60]}")
    amount = data.get("amount", context.get("amount"))
    money = format_amount(amount, data.get("currency") or context.get("currency"), lang)
    if money and amount is not None:
        parts.append(money)
    seconds = data.get("seconds")
    if name == "checkout_idle" and isinstance(seconds, int) and not isinstance(seconds, bool):
        parts.append(table["idle"].format(seconds=seconds))
    head = f"{label}: {reason}" if reason else label
    return f"{head}, " + ", ".join(parts)

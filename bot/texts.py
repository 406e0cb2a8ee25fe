"""What the bot says in its own words, in Swedish and English."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "sv": {
        "card_warning": (
            "Skicka aldrig kortnummer, CVC eller personnummer i chatten. Jag har dolt uppgifterna. "
            "Vi frågar aldrig efter dem här."
        ),
        "greeting": "Hej! Vad kan jag hjälpa dig med?",
        "thanks": "Vad bra att det hjälpte! Hör av dig om det är något mer.",
        "clarify": "Menar du något av det här?",
        "handoff": (
            "Jag kopplar dig till en person i kundtjänsten. Beräknad väntetid: cirka {minutes} minuter."
        ),
        "handoff_again": (
            "Din fråga ligger kvar hos kundtjänsten; en person svarar dig här så snart som möjligt."
        ),
        "csat_thanks": "Tack för ditt betyg!",
        "feedback_thanks": "Tack för att du berättade!",
    },
    "en": {
        "card_warning": (
            "Please never send card numbers, CVC codes or personal identity numbers in chat. "
            "I have hidden them. We never ask for them here."
        ),
        "greeting": "Hi! How can I help you?",
        "thanks": "Glad that helped! Let me know if there is anything else.",
        "clarify": "Do you mean one of these?",
        "handoff": "I'm passing you to a person in our support team. Expected wait: about {minutes} minutes.",
        "handoff_again": (
            "Your question is with our support team; a person will answer you here as soon as possible."
        ),
        "csat_thanks": "Thank you for your rating!",
        "feedback_thanks": "Thanks for letting us know!",
    },
}


def say(key: str, lang: str, **values: object) -> str:
    table = TEXTS.get(lang) or TEXTS["sv"]
    return table[key].format(**values)

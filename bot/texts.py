"""What the bot says in its own words, in Swedish and English (every key in both: tests check)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "sv": {
        "card_warning": (
            "Skicka aldrig kortnummer, CVC eller personnummer i chatten. Jag har dolt uppgifterna. "
            "Vi frågar aldrig efter dem här."
        ),
        "greeting": "Hej! Vad kan jag hjälpa dig med?",
        "greeting_name": "Hej {name}! Vad kan jag hjälpa dig med?",
        "thanks": "Vad bra att det hjälpte! Hör av dig om det är något mer.",
        "clarify": "Menar du något av det här?",
        "handoff": (
            "Jag kopplar dig till en person i kundtjänsten, som svarar dig här i chatten. "
            "Du är nummer {position} i kön – beräknad väntetid cirka {minutes} min."
        ),
        "handoff_assigned": "Jag kopplar dig till {agent} i kundtjänsten, som svarar dig här i chatten.",
        "handoff_nobody": (
            "Jag har lämnat din fråga till kundtjänsten, men ingen är tillgänglig just nu. En person "
            "svarar dig här så snart någon är på plats."
        ),
        # When replies by email are on ([email]): the widget then offers the field.
        "handoff_nobody_email": (
            "Jag har lämnat din fråga till kundtjänsten, men ingen är tillgänglig just nu. En person "
            "svarar dig här så snart någon är på plats. Lämna gärna din e-postadress, så får du svaret "
            "där om du hunnit gå."
        ),
        "handoff_again": (
            "Din fråga ligger kvar hos kundtjänsten; en person svarar dig här så snart som möjligt."
        ),
        "waiting_ack": "Tack, vi har fått ditt meddelande. En person i kundtjänsten svarar dig här.",
        "waiting_ack_agent": "Tack, {agent} har fått ditt meddelande och svarar dig här.",
        "email_saved": ("Tack! Om du har lämnat chatten när vi svarar skickar vi svaret till {email}."),
        "csat_thanks": "Tack för ditt betyg!",
        "feedback_thanks": "Tack för din återkoppling!",
        "email_subject": "Svar från kundtjänst (ärende #{ticket})",
        "email_intro": "Hej! Här är svaret på din fråga i chatten:",
        "email_agent": "{agent}, kundtjänst",
        "email_link": "Fortsätt samtalet i chatten (länken gäller i {hours} timmar):",
        "email_footer": "Du får det här mejlet för att du lämnade din adress i vår chatt.",
    },
    "en": {
        "card_warning": (
            "Please never send card numbers, CVC codes or personal identity numbers in chat. "
            "I have hidden them. We never ask for them here."
        ),
        "greeting": "Hi! How can I help you?",
        "greeting_name": "Hi {name}! How can I help you?",
        "thanks": "Glad that helped! Let me know if there is anything else.",
        "clarify": "Do you mean one of these?",
        "handoff": (
            "I'm passing you to a person in our support team, who will answer you here in the chat. "
            "You are number {position} in the queue – expected wait about {minutes} min."
        ),
        "handoff_assigned": "I'm passing you to {agent} in our support team, who will answer you here.",
        "handoff_nobody": (
            "I have passed your question to our support team, but no one is available right now. A "
            "person will answer you here as soon as someone is in."
        ),
        "handoff_nobody_email": (
            "I have passed your question to our support team, but no one is available right now. A "
            "person will answer you here as soon as someone is in. Leave your email address if you "
            "like, and you will get the answer there if you have left."
        ),
        "handoff_again": (
            "Your question is with our support team; a person will answer you here as soon as possible."
        ),
        "waiting_ack": "Thanks, we have your message. A person in our support team will answer you here.",
        "waiting_ack_agent": "Thanks, {agent} has your message and will answer you here.",
        "email_saved": "Thanks! If you have left the chat when we answer, we will send the reply to {email}.",
        "csat_thanks": "Thank you for your rating!",
        "feedback_thanks": "Thanks for your feedback!",
        "email_subject": "Reply from customer support (ticket #{ticket})",
        "email_intro": "Hi! Here is the answer to your question in the chat:",
        "email_agent": "{agent}, customer support",
        "email_link": "Continue the conversation in the chat (the link works for {hours} hours):",
        "email_footer": "You get this email because you left your address in our chat.",
    },
}


def lang_of(lang: str | None) -> str:
    """A language the texts exist in: the given one, else Swedish."""
    return lang if lang in TEXTS else "sv"


def say(key: str, lang: str | None, **values: object) -> str:
    return TEXTS[lang_of(lang)][key].format(**values)

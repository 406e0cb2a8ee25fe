"""bot/texts.py: every text the bot says exists in Swedish and English; `say` fills it in the customer's
language (the widget's own texts: test_widget_protocol.py)."""

from __future__ import annotations

import re

from bot.texts import TEXTS, lang_of, say


def test_every_text_exists_in_swedish_and_english() -> None:
    assert set(TEXTS["sv"]) == set(TEXTS["en"])
    for key in TEXTS["sv"]:
        assert TEXTS["sv"][key] != TEXTS["en"][key], key


def test_say_fills_values_in_the_language_asked_and_falls_back_to_swedish() -> None:
    key = next(k for k, v in TEXTS["sv"].items() if "{" not in v)
    assert say(key, "en") == TEXTS["en"][key]
    assert say(key, "fi") == say(key, None) == TEXTS["sv"][key]
    assert lang_of("en") == "en" and lang_of("de") == "sv" and lang_of(None) == "sv"
    fields = re.findall(r"{(\w+)}", TEXTS["en"]["greeting_name"])
    filled = say("greeting_name", "en", **dict.fromkeys(fields, "Xyz"))
    assert fields and "{" not in filled and "Xyz" in filled

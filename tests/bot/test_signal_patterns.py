"""The patterns behind the signals, on normalised text (`bot.signals` has the detectors' own tests)."""

from __future__ import annotations

from bot.signal_patterns import FRUSTRATED, GREETING_START, NOT_HELPFUL, WANTS_HUMAN, WORD


def test_patterns_are_written_for_normalised_text() -> None:
    assert WANTS_HUMAN.search("kan jag fa prata med en manniska")
    assert not WANTS_HUMAN.search("kan jag få prata med en människa")  # normalize folds å/ä first
    assert FRUSTRATED.search("det har ar helt vardelost")
    assert NOT_HELPFUL.search("that did not help at all")
    assert GREETING_START.match("god morgon")
    assert WORD.findall("it's 2 late") == ["it's", "2", "late"]

"""config/settings/search.py: per-language overrides."""

from __future__ import annotations

from config import LanguageTuning, SearchSettings


def test_for_lang_applies_only_the_overrides_set() -> None:
    search = SearchSettings(languages={"sv": LanguageTuning(lexical_weight=0.7, answer_threshold=1.5)})
    sv = search.for_lang("sv")
    assert (sv.lexical_weight, sv.answer_threshold) == (0.7, 1.5)
    assert sv.question_weight == search.question_weight
    assert search.for_lang("en") is search
    assert search.for_lang(None) is search

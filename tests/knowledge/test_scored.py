"""`knowledge.scored`: a scored article's JSON and the fusion weights from the search settings."""

from __future__ import annotations

from config import SearchSettings
from knowledge.scored import Fusion, ScoredArticle


def test_to_json_rounds_the_signals() -> None:
    scored = ScoredArticle(
        "a", "A", "sv", "published", ("x",), 0.123456, 0.5, 0.25, "A", "title", chars=1 / 3
    )
    data = scored.to_json()
    assert data["score"] == 0.1235 and data["chars"] == 0.3333 and data["tags"] == ["x"]
    assert (data["matched"], data["matched_kind"]) == ("A", "title")


def test_fusion_of_the_settings() -> None:
    settings = SearchSettings(lexical_weight=0.3, char_weight=0.1)
    fusion = Fusion.of(settings)
    assert (fusion.lexical_weight, fusion.char_weight) == (0.3, 0.1)
    assert fusion.question_weight == settings.question_weight

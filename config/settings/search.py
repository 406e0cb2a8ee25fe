"""How search scores and decides: fusion weights, thresholds, per-language overrides."""

from __future__ import annotations

from pydantic import BaseModel, Field


class LanguageTuning(BaseModel):
    """Per-language overrides: the English MiniLM reads Swedish poorly, so Swedish leans on BM25."""

    lexical_weight: float | None = None
    lexical_scale: float | None = None
    question_weight: float | None = None
    passage_weight: float | None = None
    char_weight: float | None = None
    head_weight: float | None = None
    centroid_weight: float | None = None
    answer_threshold: float | None = None
    clarify_threshold: float | None = None


class SearchSettings(BaseModel):
    # Each knowledge base calibrates its own 0–1 confidence (knowledge/calibration.py): the probability
    # that the top article is right. Answer at or above answer_confidence, offer a choice at or above
    # clarify_confidence, else hand off. `calibrate = false` compares the raw fused score with
    # answer_threshold / clarify_threshold instead.
    calibrate: bool = True
    # Misspelt words and words typed without å/ä/ö put right against the knowledge base's own words before
    # the search (knowledge/spelling.py).
    spelling: bool = True
    answer_confidence: float = 0.7
    clarify_confidence: float = 0.4
    answer_threshold: float = 2.15  # raw thresholds: 0.2 above those before the centroid signal
    clarify_threshold: float = 2.10
    clarify_margin: float = 0.04
    # Fused score = question_weight · best cosine with a title/example question + passage_weight · best
    # cosine with a body passage + lexical_weight · BM25/(BM25 + lexical_scale) + char_weight · best
    # character-n-gram cosine + head_weight · the article classifier's output (knowledge/head.py)
    # + centroid_weight · (1 − squared distance to the mean of the article's unit vectors).
    lexical_weight: float = 0.0
    lexical_scale: float = 3.0
    question_weight: float = 1.0
    passage_weight: float = 1.0
    char_weight: float = 0.05
    head_weight: float = 0.2
    centroid_weight: float = 0.25
    # How much the second model's opinion counts for English questions (with model.english set).
    english_weight: float = 0.3
    max_results: int = 5
    languages: dict[str, LanguageTuning] = Field(default_factory=dict)

    def for_lang(self, lang: str | None) -> SearchSettings:
        """These settings with the overrides of `lang` applied."""
        tuning = self.languages.get(lang or "")
        if tuning is None:
            return self
        updates = {k: v for k, v in tuning.model_dump().items() if v is not None}
        return self.model_copy(update=updates)

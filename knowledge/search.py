"""`Searcher`: a customer's question against the live index — encode, rank (with the second model's opinion
for English questions), decide, and answer in the customer's language."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import numpy as np

from config import SearchSettings
from knowledge.calibration_service import Calibrator
from knowledge.decision import SearchResult, decide
from knowledge.ensemble import aligned, second_scores, second_wanted
from knowledge.index import SearchIndex
from knowledge.live_index import LiveIndex
from knowledge.scored import Fusion
from knowledge.text import guess_lang
from knowledge.translations import distinct_groups, in_language

# `said` not given: read the question's language here. Callers that have read it already (the bot, once per
# message) pass it on, so a message's language is detected once on its way from socket to reply.
AUTO = "auto"


def _retrieved(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()  # looked at: asyncio does not log it as never retrieved


def spelled(index: SearchIndex, question: str, settings: SearchSettings) -> str:
    """The question as searched: its misspelt words put right (`search.spelling`; the live search and
    `kundresa eval` both ask this)."""
    return index.speller.correct(question) if settings.spelling else question


def _as_asked(result: SearchResult, asked: str) -> SearchResult:
    """The result under the customer's own words, with the spelled form in `searched` when it differs."""
    if result.question == asked:
        return result
    return dataclasses.replace(result, question=asked, searched=result.question)


class Searcher:
    """Reads `live.index` once per question: a rebuild meanwhile never mixes two indexes in one answer."""

    def __init__(self, live: LiveIndex, calibrator: Calibrator, settings: SearchSettings) -> None:
        self.live = live
        self.calibrator = calibrator
        self.settings = settings

    async def search(
        self,
        question: str,
        *,
        lang: str | None = None,
        said: str | None = AUTO,
        include_drafts: bool = False,
        limit: int | None = None,
    ) -> SearchResult:
        """`lang`: the language to answer in (None: the question's own); `said`: the language the question
        is written in ("sv", "en", None when it gives no sign), when the caller knows it already."""
        said = guess_lang(question) if said == AUTO else said
        index = self.live.index
        embedder = self.live.embedder
        asked, question = question, self.spelled(index, question)
        # The lexical signals need only the text: a thread computes them while the model encodes (they
        # release the GIL in the sparse products), which takes them off the question's critical path.
        lexical = (
            asyncio.get_running_loop().run_in_executor(None, index.lexical.scores, question)
            if len(index)
            else None
        )
        # An English question asks the second model at the same time (its own worker).
        second = (
            asyncio.ensure_future(self.second_opinion(question))
            if self.live.second is not None and len(index) and second_wanted(said)
            else None
        )
        try:
            vec, dense = await embedder.encode_projected(
                embedder.prefixes.query + question, index.matrix if len(index) else None
            )
        except BaseException:  # cancelled or failed: don't wait for the thread, nor leave its error unseen
            for pending in (lexical, second):
                if pending is not None:
                    pending.add_done_callback(_retrieved)
            raise
        words_and_chars = await lexical if lexical is not None else None
        extra = await second if second is not None else None
        if index is not self.live.index:  # rebuilt meanwhile: its matrix and units differ
            dense = words_and_chars = extra = None
        result = self.rank(
            question,
            vec,
            lang=lang,
            said=said,
            include_drafts=include_drafts,
            limit=limit,
            dense=dense,
            lexical=words_and_chars,
            extra=extra,
        )
        return _as_asked(result, asked)

    async def _second_opinions(
        self, questions: list[str], saids: list[str | None]
    ) -> list[np.ndarray | None]:
        """`second_opinion` of each question (None for those not English), in one encode call."""
        second, second_index, index = self.live.second, self.live.second_index, self.live.index
        out: list[np.ndarray | None] = [None] * len(questions)
        asked = [i for i, said in enumerate(saids) if second_wanted(said)]
        if second is None or second_index is None or not len(second_index) or not asked:
            return out
        vecs = await second.encode([second.prefixes.query + questions[i] for i in asked])
        for i, vec in zip(asked, vecs, strict=True):
            scores = second_scores(second_index, vec)
            out[i] = aligned(index, second_index, scores, self.settings.english_weight)
        return out

    async def second_opinion(self, question: str) -> np.ndarray | None:
        """The second model's per-article score for an English question, in the index's order."""
        second, second_index, index = self.live.second, self.live.second_index, self.live.index
        if second is None or second_index is None or not len(second_index):
            return None
        vec = await second.encode_one(second.prefixes.query + question)
        return aligned(index, second_index, second_scores(second_index, vec), self.settings.english_weight)

    def spelled(self, index: SearchIndex, question: str) -> str:
        """The question as searched (`spelled`, with this searcher's settings)."""
        return spelled(index, question, self.settings)

    async def search_many(self, questions: list[str], *, include_drafts: bool = False) -> list[SearchResult]:
        embedder = self.live.embedder
        saids = [guess_lang(q) for q in questions]
        asked, questions = questions, [self.spelled(self.live.index, q) for q in questions]
        vecs = await embedder.encode([embedder.prefixes.query + q for q in questions])
        extras = await self._second_opinions(questions, saids)
        return [
            _as_asked(self.rank(q, v, said=said, include_drafts=include_drafts, extra=x), a)
            for q, a, v, said, x in zip(questions, asked, vecs, saids, extras, strict=True)
        ]

    def rank(
        self,
        question: str,
        vec: np.ndarray,
        *,
        lang: str | None = None,
        said: str | None = AUTO,
        include_drafts: bool = False,
        limit: int | None = None,
        dense: np.ndarray | None = None,
        lexical: tuple[np.ndarray, np.ndarray] | None = None,
        extra: np.ndarray | None = None,
    ) -> SearchResult:
        """`dense`: the index matrix times `vec`, and `lexical` the index's lexical scores of the question,
        when computed already (by `search`); `extra`: the second model's opinion (`second_opinion`)."""
        index = self.live.index
        said = guess_lang(question) if said == AUTO else said
        tuned = self.settings.for_lang(said or "en")  # as `detect_lang`: English weights when no sign
        ranked = index.score(
            vec,
            question,
            dense=dense,
            lexical=lexical,
            include_drafts=include_drafts,
            limit=2 * (limit or self.settings.max_results),  # room for language versions of one article
            fusion=Fusion.of(tuned),
            extra=extra if extra is not None and len(extra) == len(index) else None,
        )
        ranked = distinct_groups(ranked, limit or self.settings.max_results)
        result = decide(question, ranked, tuned, self.calibrator.calibration)
        # A word or two with no sign of a language ("retur", "swish") gets the knowledge base's main one.
        customer = lang or said or index.main_lang
        return in_language(result, index.articles, customer) if customer else result

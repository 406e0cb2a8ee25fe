"""`KnowledgeBase`: the articles, their live search index and the decision, behind one object."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config import ConflictError, SearchSettings
from knowledge import repository as repo
from knowledge.article_data import ArticleData
from knowledge.calibration import Calibration, calibrate, out_of_scope_questions
from knowledge.decision import SearchResult, decide
from knowledge.embedder import Embedder
from knowledge.embedding_store import EmbeddingStore
from knowledge.ensemble import SECOND_FUSION, aligned, second_scores, wants_second
from knowledge.index import Fusion, IndexedArticle, SearchIndex
from knowledge.models import GapQuestion
from knowledge.text import detect_lang, guess_lang, text_hash
from knowledge.translations import distinct_groups, in_language

log = logging.getLogger(__name__)
ChangeListener = Callable[[list[str]], Awaitable[None]]
_OUT_OF_SCOPE: dict[str, list[tuple[str, np.ndarray]]] = {}


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def _retrieved(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()  # looked at: asyncio does not log it as never retrieved


class KnowledgeBase:
    """Owns the search index; every write goes through here so the index stays current."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        embedder: Embedder,
        settings: SearchSettings,
        second: Embedder | None = None,
    ) -> None:
        """`second`: the model whose opinion English questions also get (`model.english`,
        knowledge/ensemble.py); it keeps an index of its own over the same articles."""
        self.sessions = sessions
        self.embedder = embedder
        self.settings = settings
        self.store = EmbeddingStore(sessions, embedder)
        self.fusion = Fusion.of(settings)
        self.index = SearchIndex([], 0, self.fusion, embedder.prefixes)
        self.second = second
        self.second_store = EmbeddingStore(sessions, second) if second is not None else None
        self.second_index = SearchIndex([], 0, SECOND_FUSION, second.prefixes) if second else None
        self._rebuild = asyncio.Lock()
        self.calibration: Calibration | None = None
        self._calibrating: asyncio.Task[None] | None = None
        self._calibrate_again = False
        self._change_listeners: list[ChangeListener] = []

    # -- index ---------------------------------------------------------------------------------------
    async def refresh(self, progress: Callable[[int], None] | None = None) -> None:
        """Rebuild the index from the database; only texts not in the cache are encoded. Returns when the
        new index's confidence is calibrated too."""
        async with self._rebuild:
            async with self.sessions() as session:
                articles = [repo.to_indexed(a) for a in await repo.all_articles(session)]
            await self._build(articles, progress)
        await self.recalibrate()

    def _fusion_for(self, text: str) -> Fusion:
        return Fusion.of(self.settings.for_lang(detect_lang(text)))

    async def _out_of_scope(self) -> list[tuple[str, np.ndarray]]:
        """The shipped out-of-scope questions with their vectors: encoded once per model and process (the
        CLI, tests and several apps in one process share them), cached in the database too."""
        model = self.embedder.model_id
        if model not in _OUT_OF_SCOPE:
            questions = out_of_scope_questions()
            texts = [self.embedder.prefixes.query + q for q in questions]
            vectors = await self.store.vectors_for(texts, counted=False)
            _OUT_OF_SCOPE[model] = [(q, vectors[text_hash(t)]) for q, t in zip(questions, texts, strict=True)]
        return _OUT_OF_SCOPE[model]

    async def recalibrate(self) -> None:
        """Fit the confidence calibration of the current index (off the event loop)."""
        if not self.settings.calibrate:
            self.calibration = None
            return
        index = self.index
        oos = await self._out_of_scope()
        loop = asyncio.get_running_loop()
        calibration = await loop.run_in_executor(None, calibrate, index, self._fusion_for, oos)
        if index is self.index or self.calibration is None:
            self.calibration = calibration

    def _recalibrate_soon(self) -> None:
        """After a one-article change: the index is swapped at once, its calibration follows in the
        background (a large base takes a few seconds), one fit at a time."""
        if self._calibrating is not None and not self._calibrating.done():
            self._calibrate_again = True
            return
        self._calibrate_again = False

        async def run() -> None:
            while True:
                try:
                    await self.recalibrate()
                except Exception:  # a failed fit keeps the previous calibration
                    log.exception("calibrating the confidence failed; keeping the previous calibration")
                if not self._calibrate_again:
                    return
                self._calibrate_again = False

        self._calibrating = asyncio.create_task(run())

    async def calibrated(self) -> None:
        """Wait for a background calibration (tests, tools)."""
        while self._calibrating is not None and not self._calibrating.done():
            await asyncio.shield(self._calibrating)

    async def close(self) -> None:
        if self._calibrating is not None and not self._calibrating.done():
            self._calibrating.cancel()

    async def _build(
        self, articles: Sequence[IndexedArticle], progress: Callable[[int], None] | None = None
    ) -> None:
        prefixes = self.embedder.prefixes
        vectors = await self.store.vectors_for(SearchIndex.texts_of(articles, prefixes), progress)
        loop = asyncio.get_running_loop()
        self.index = await loop.run_in_executor(
            None, SearchIndex.build, list(articles), vectors, self.embedder.dim, self.fusion, prefixes
        )
        if self.second is not None and self.second_store is not None:
            p2 = self.second.prefixes
            vectors = await self.second_store.vectors_for(SearchIndex.texts_of(articles, p2))
            self.second_index = await loop.run_in_executor(
                None, SearchIndex.build, list(articles), vectors, self.second.dim, SECOND_FUSION, p2
            )

    async def reindex(self, slugs: Sequence[str], progress: Callable[[int], None] | None = None) -> None:
        """Bring these articles' part of the index up to date (changed, new or deleted), leaving every
        other article's part as it is: only their texts are read, embedded (if new) and counted."""
        async with self._rebuild:
            async with self.sessions() as session:
                rows = await repo.articles_by_slug(session, list(slugs))
            fresh = [repo.to_indexed(a) for a in rows]
            gone = set(slugs) - {a.slug for a in fresh}
            texts = SearchIndex.texts_of(fresh, self.embedder.prefixes)
            vectors = await self.store.vectors_for(texts, progress)
            index = self.index
            if not index.dim:  # nothing indexed yet: the first article fixes the dimension
                index = SearchIndex([], self.embedder.dim, self.fusion, self.embedder.prefixes)
            loop = asyncio.get_running_loop()
            self.index = await loop.run_in_executor(None, index.replace, gone, fresh, vectors)
            if self.second is not None and self.second_store is not None and self.second_index is not None:
                second = self.second_index
                if not second.dim:
                    second = SearchIndex([], self.second.dim, SECOND_FUSION, self.second.prefixes)
                texts = SearchIndex.texts_of(fresh, self.second.prefixes)
                vectors = await self.second_store.vectors_for(texts)
                self.second_index = await loop.run_in_executor(None, second.replace, gone, fresh, vectors)
        self._recalibrate_soon()

    def on_change(self, listener: ChangeListener) -> Callable[[], None]:
        """Call `listener(slugs)` after each write through this object has been indexed (other processes
        of a deployment use it to `reindex` the same slugs); returns the function that removes it."""
        self._change_listeners.append(listener)

        def remove() -> None:
            if listener in self._change_listeners:
                self._change_listeners.remove(listener)

        return remove

    async def changed(self, slugs: Sequence[str], progress: Callable[[int], None] | None = None) -> None:
        """These articles were written: index them here, then tell the listeners."""
        await self.reindex(slugs, progress)
        for listener in list(self._change_listeners):
            try:
                await listener(list(slugs))
            except Exception:  # the write happened and this process's index has it; others catch up later
                log.exception("a knowledge change listener failed")

    # -- search --------------------------------------------------------------------------------------
    async def search(
        self,
        question: str,
        *,
        lang: str | None = None,
        include_drafts: bool = False,
        limit: int | None = None,
    ) -> SearchResult:
        index = self.index
        # The lexical signals need only the text: a thread computes them while the model encodes (they
        # release the GIL in the sparse products), which takes them off the question's critical path.
        lexical = (
            asyncio.get_running_loop().run_in_executor(None, index.lexical.scores, question)
            if len(index)
            else None
        )
        # An English question asks the second model at the same time (its own worker).
        second = (
            asyncio.ensure_future(self._second_opinion(question))
            if self.second is not None and len(index) and wants_second(question)
            else None
        )
        try:
            vec, dense = await self.embedder.encode_projected(
                self.embedder.prefixes.query + question, index.matrix if len(index) else None
            )
        except BaseException:  # cancelled or failed: don't wait for the thread, nor leave its error unseen
            for pending in (lexical, second):
                if pending is not None:
                    pending.add_done_callback(_retrieved)
            raise
        words_and_chars = await lexical if lexical is not None else None
        extra = await second if second is not None else None
        if index is not self.index:  # rebuilt meanwhile: its matrix and units differ
            dense = words_and_chars = extra = None
        return self.rank(
            question,
            vec,
            lang=lang,
            include_drafts=include_drafts,
            limit=limit,
            dense=dense,
            lexical=words_and_chars,
            extra=extra,
        )

    async def _second_opinions(self, questions: list[str]) -> list[np.ndarray | None]:
        """`_second_opinion` of each question (None for those not English), in one encode call."""
        second, second_index, index = self.second, self.second_index, self.index
        out: list[np.ndarray | None] = [None] * len(questions)
        asked = [i for i, q in enumerate(questions) if wants_second(q)]
        if second is None or second_index is None or not len(second_index) or not asked:
            return out
        vecs = await second.encode([second.prefixes.query + questions[i] for i in asked])
        for i, vec in zip(asked, vecs, strict=True):
            scores = second_scores(second_index, vec)
            out[i] = aligned(index, second_index, scores, self.settings.english_weight)
        return out

    async def _second_opinion(self, question: str) -> np.ndarray | None:
        """The second model's per-article score for an English question, in the index's order."""
        second, second_index, index = self.second, self.second_index, self.index
        if second is None or second_index is None or not len(second_index):
            return None
        vec = await second.encode_one(second.prefixes.query + question)
        return aligned(index, second_index, second_scores(second_index, vec), self.settings.english_weight)

    async def search_many(self, questions: list[str], *, include_drafts: bool = False) -> list[SearchResult]:
        vecs = await self.embedder.encode([self.embedder.prefixes.query + q for q in questions])
        extras = await self._second_opinions(questions)
        return [
            self.rank(q, v, include_drafts=include_drafts, extra=x)
            for q, v, x in zip(questions, vecs, extras, strict=True)
        ]

    def rank(
        self,
        question: str,
        vec: np.ndarray,
        *,
        lang: str | None = None,
        include_drafts: bool = False,
        limit: int | None = None,
        dense: np.ndarray | None = None,
        lexical: tuple[np.ndarray, np.ndarray] | None = None,
        extra: np.ndarray | None = None,
    ) -> SearchResult:
        """`dense`: the index matrix times `vec`, and `lexical` the index's lexical scores of the question,
        when computed already (by `search`); `extra`: the second model's opinion (`_second_opinion`)."""
        tuned = self.settings.for_lang(detect_lang(question))
        ranked = self.index.score(
            vec,
            question,
            dense=dense,
            lexical=lexical,
            include_drafts=include_drafts,
            limit=2 * (limit or self.settings.max_results),  # room for language versions of one article
            fusion=Fusion.of(tuned),
            extra=extra if extra is not None and len(extra) == len(self.index) else None,
        )
        ranked = distinct_groups(ranked, limit or self.settings.max_results)
        result = decide(question, ranked, tuned, self.calibration)
        # A word or two with no sign of a language ("retur", "swish") gets the knowledge base's main one.
        customer = lang or guess_lang(question) or self.index.main_lang
        return in_language(result, self.index.articles, customer) if customer else result

    # -- writes --------------------------------------------------------------------------------------
    async def get(self, slug: str) -> dict[str, Any]:
        async with self.sessions() as session:
            return await repo.describe(session, await repo.get(session, slug))

    async def list_articles(
        self,
        *,
        status: str | None = None,
        lang: str | None = None,
        tag: str | None = None,
        query: str | None = None,
    ) -> list[dict[str, Any]]:
        async with self.sessions() as session:
            rows = await repo.all_articles(session)
        groups = repo.by_group(rows)
        out = []
        for a in rows:
            if (
                (status and a.status != status)
                or (lang and a.lang != lang)
                or (tag and tag not in (a.tags or []))
            ):
                continue
            if query and query.lower() not in f"{a.slug} {a.title}".lower():
                continue
            out.append(repo.article_json(a, groups[repo.group_key(a)]))
        return out

    async def save(self, data: ArticleData, *, author: str | None = None) -> tuple[dict[str, Any], str]:
        async with self.sessions() as session, session.begin():
            article, change = await repo.upsert(session, data, author=author)
            result = await repo.describe(session, article)
        if change != "unchanged":
            await self.changed([data.slug, *repo.regrouped(session)])
        return result, change

    async def create(self, data: ArticleData, *, author: str | None = None) -> dict[str, Any]:
        """Create a new article; `ConflictError` when the slug exists."""
        try:
            async with self.sessions() as session, session.begin():
                result = await repo.describe(session, await repo.create(session, data, author=author))
        except IntegrityError as exc:  # another request created it between our check and insert
            raise ConflictError(f"an article with slug {data.slug!r} exists") from exc
        await self.changed([data.slug])
        return result

    async def delete(self, slug: str) -> None:
        async with self.sessions() as session, session.begin():
            await repo.delete(session, slug)
        await self.changed([slug, *repo.regrouped(session)])

    async def add_question(
        self, slug: str, text: str, *, source: str = "admin", author: str | None = None
    ) -> bool:
        async with self.sessions() as session, session.begin():
            _, added = await repo.add_question(session, slug, text, source=source, author=author)
        if added:
            await self.changed([slug])
        return added

    async def versions(self, slug: str) -> list[dict[str, Any]]:
        async with self.sessions() as session:
            rows = await repo.versions(session, slug)
            return [
                {
                    "version": v.version,
                    "author": v.author,
                    "created_at": v.created_at.isoformat(),
                    "article": v.snapshot,
                }
                for v in rows
            ]

    async def restore(self, slug: str, version: int, *, author: str | None = None) -> dict[str, Any]:
        async with self.sessions() as session, session.begin():
            article = await repo.restore(session, slug, version, author=author)
            result = await repo.describe(session, article)
        await self.changed([slug, *repo.regrouped(session)])
        return result

    async def import_articles(
        self,
        articles: list[ArticleData],
        *,
        author: str | None = None,
        progress: Callable[[int], None] | None = None,
        embed_progress: Callable[[int], None] | None = None,
    ) -> ImportReport:
        """Upsert all in one transaction: a failure leaves nothing half-imported."""
        report = ImportReport()
        pending = {a.slug: a.translation_of for a in articles}  # a target may come later in the file
        async with self.sessions() as session, session.begin():
            for data in articles:
                _, change = await repo.upsert(session, data, author=author, pending=pending)
                getattr(report, change).append(data.slug)
                if progress:
                    progress(1)
        if report.created or report.updated:
            regrouped = repo.regrouped(session) - {*report.created, *report.updated}
            await self.changed([*report.created, *report.updated, *regrouped], embed_progress)
            await self.calibrated()
        return report

    async def export_articles(self) -> list[ArticleData]:
        async with self.sessions() as session:
            return [repo.to_data(a) for a in await repo.all_articles(session)]

    async def published(self, slug: str) -> IndexedArticle | None:
        """A published article as indexed now (what customers may be shown), or None."""
        article = self.index.by_slug.get(slug)
        return article if article is not None and article.status == "published" else None

    async def record_gap(
        self, question: str, reason: str, conversation_id: int | None = None, channel: str | None = None
    ) -> None:
        """Remember a question the bot could not answer, or whose answer did not help."""
        async with self.sessions() as session, session.begin():
            session.add(
                GapQuestion(text=question, reason=reason, conversation_id=conversation_id, channel=channel)
            )

    async def is_empty(self) -> bool:
        async with self.sessions() as session:
            return not await repo.all_articles(session)

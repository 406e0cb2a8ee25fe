"""BERT-family sentence encoders run without padding: all texts' tokens in one matrix.

`SentenceTransformer.encode` pads every text of a batch to the batch's longest, and every layer's matrix
products then work on the padding too. Here the texts of one model call are packed: the token rows of all
of them form one (tokens x hidden) matrix, so each linear layer is one matrix product over real tokens
only, however many texts share the call; only attention, which must not mix texts, sees a padded view.
Same weights, same operations, same vectors (float32: within 1e-5 of `encode`, tested).

Used for what it can reproduce exactly: a Hugging Face `BertModel` (MiniLM, the multilingual MiniLMs,
BERT, e5 and others) with absolute positions and GELU, followed by mean or CLS pooling and an optional
Normalize. Anything else goes through the padded path (`model_worker.encode_texts`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["PackedBert", "attention_runs", "longest_first_groups", "packed_groups"]


class PackedBert:
    """The encoder layers of one loaded SentenceTransformer, with query/key/value fused into one product."""

    def __init__(self, model: Any) -> None:
        import torch

        bert = model[0].auto_model
        config = bert.config
        self.model = model
        self.heads = int(config.num_attention_heads)
        self.hidden = int(config.hidden_size)
        self.head_dim = self.hidden // self.heads
        self.eps = float(config.layer_norm_eps)
        self.pooling = _pooling_mode(model)
        self.limit = int(model.get_max_seq_length() or 512)
        emb = bert.embeddings
        # Plain tensors sharing the model's storage (detached: inference needs no autograd bookkeeping).
        self.word = emb.word_embeddings.weight.detach()
        self.position = emb.position_embeddings.weight.detach()
        self.token_type0 = emb.token_type_embeddings.weight.detach()[0]
        self.embed_norm = (emb.LayerNorm.weight.detach(), emb.LayerNorm.bias.detach())
        self.layers: list[tuple[Any, ...]] = []
        with torch.no_grad():
            for layer in bert.encoder.layer:
                att = layer.attention.self
                qkv_w = torch.cat([att.query.weight, att.key.weight, att.value.weight]).contiguous()
                qkv_b = torch.cat([att.query.bias, att.key.bias, att.value.bias]).contiguous()
                out = layer.attention.output
                self.layers.append(
                    tuple(
                        t.detach()
                        for t in (
                            qkv_w,
                            qkv_b,
                            out.dense.weight,
                            out.dense.bias,
                            out.LayerNorm.weight,
                            out.LayerNorm.bias,
                            layer.intermediate.dense.weight,
                            layer.intermediate.dense.bias,
                            layer.output.dense.weight,
                            layer.output.dense.bias,
                            layer.output.LayerNorm.weight,
                            layer.output.LayerNorm.bias,
                        )
                    )
                )

    @staticmethod
    def supports(model: Any) -> bool:
        """Whether this runner computes exactly what `model.encode` would."""
        try:
            modules = list(model)
            bert = modules[0].auto_model
            config = bert.config
        except (AttributeError, IndexError, TypeError):
            return False
        names = [type(m).__name__ for m in modules]
        return (
            type(bert).__name__ == "BertModel"
            and getattr(config, "position_embedding_type", "absolute") == "absolute"
            and config.hidden_act == "gelu"
            and config.hidden_size % config.num_attention_heads == 0
            and len(names) in (2, 3)
            and names[1] == "Pooling"
            and _pooling_mode(model) in ("mean", "cls")
            and (len(names) == 2 or names[2] == "Normalize")
            # encode() would put a default prompt before each text, or lower-case it before the
            # tokenizer: neither is reproduced here
            and not getattr(model, "default_prompt_name", None)
            and not getattr(modules[0], "do_lower_case", False)
        )

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        ids: list[list[int]] = self.model.tokenizer(texts, truncation=True, max_length=self.limit)[
            "input_ids"
        ]
        return ids

    def encode(self, texts: list[str], batch_size: int, batch_tokens: int) -> np.ndarray:
        """Normalised float32 vectors, one model pass per group of at most `batch_tokens` real tokens."""
        import torch

        out = np.empty((len(texts), self.hidden), dtype=np.float32)
        if not texts:
            return out
        ids = self.token_ids(texts)
        with torch.inference_mode():
            for group in packed_groups([len(i) for i in ids], batch_size, batch_tokens):
                vecs = self.forward([ids[i] for i in group])
                out[group] = torch.nn.functional.normalize(vecs.float(), p=2, dim=1).numpy()
        return out

    def forward(self, seqs: list[list[int]]) -> Any:
        """Pooled (not yet normalised) sentence vectors for token-id sequences."""
        import torch
        import torch.nn.functional as F

        lengths = [len(s) for s in seqs]
        count = len(seqs)
        ids = torch.tensor([t for s in seqs for t in s], dtype=torch.long)
        positions = torch.from_numpy(np.concatenate([np.arange(n) for n in lengths]))
        x = self.word[ids] + self.position[positions] + self.token_type0
        x = F.layer_norm(x, (self.hidden,), *self.embed_norm, self.eps)
        runs = [_Run.of(lengths, i, j) for i, j in attention_runs(lengths)]
        for qkv_w, qkv_b, o_w, o_b, ln1_w, ln1_b, i_w, i_b, f_w, f_b, ln2_w, ln2_b in self.layers:
            qkv = F.linear(x, qkv_w, qkv_b)
            if len(runs) == 1:
                attended = self._attend(qkv, runs[0])
            else:
                attended = qkv.new_empty((qkv.shape[0], self.hidden))
                for run in runs:
                    attended[run.start : run.stop] = self._attend(qkv[run.start : run.stop], run)
            x = F.layer_norm(F.linear(attended, o_w, o_b) + x, (self.hidden,), ln1_w, ln1_b, self.eps)
            inner = F.gelu(F.linear(x, i_w, i_b))
            x = F.layer_norm(F.linear(inner, f_w, f_b) + x, (self.hidden,), ln2_w, ln2_b, self.eps)
        if self.pooling == "cls":
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
            return x[torch.from_numpy(starts)]
        if count == 1:
            return x.mean(dim=0, keepdim=True)
        seq_of = torch.from_numpy(np.repeat(np.arange(count), lengths))
        sums = x.new_zeros((count, self.hidden)).index_add_(0, seq_of, x)
        return sums / torch.tensor(lengths, dtype=x.dtype)[:, None]

    def _attend(self, qkv: Any, run: _Run) -> Any:
        """Self-attention within each sequence of a run (rows `qkv`, fused query/key/value)."""
        import torch.nn.functional as F

        scale = 1 / math.sqrt(self.head_dim)
        if run.rows is None:  # sequences of one length: a plain (count x length) view, no mask
            q, k, v = qkv.view(run.count, run.longest, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
            out = F.scaled_dot_product_attention(q, k, v, scale=scale)
            return out.transpose(1, 2).reshape(run.count * run.longest, self.hidden)
        padded = qkv.new_zeros((run.count * run.longest, 3 * self.hidden))
        padded[run.rows] = qkv
        q, k, v = padded.view(run.count, run.longest, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=run.keep, scale=scale)
        return out.transpose(1, 2).reshape(run.count * run.longest, self.hidden)[run.rows]


# What one extra attention call costs (padding, indexing, dispatch), in query-key pairs of attention work:
# ~100 us against ~70 ns a pair for MiniLM's 12 heads in bfloat16 on one core (measured on random tensors).
ATTENTION_CALL_PAIRS = 1400


def attention_runs(lengths: list[int], call_pairs: int = ATTENTION_CALL_PAIRS) -> list[tuple[int, int]]:
    """Consecutive sequences that share one attention call, as (first, end) index pairs.

    A call pads its sequences to the longest, and attention work grows with the square of the padded
    length: short texts padded to a long one waste most of it. The split minimises, over the runs,
    `call_pairs + count x longest^2` (dynamic programming; the texts of a pass are few).
    """
    n = len(lengths)
    best = [0.0] + [math.inf] * n
    cut = [0] * (n + 1)
    for j in range(1, n + 1):
        longest = 0
        for i in range(j - 1, -1, -1):
            longest = max(longest, lengths[i])
            cost = best[i] + call_pairs + (j - i) * longest * longest
            if cost < best[j]:
                best[j], cut[j] = cost, i
    runs: list[tuple[int, int]] = []
    j = n
    while j > 0:
        runs.append((cut[j], j))
        j = cut[j]
    return runs[::-1]


class _Run:
    """Sequences first..end-1 of a pass: their token rows and, if their lengths differ, the padded view."""

    __slots__ = ("count", "keep", "longest", "rows", "start", "stop")

    def __init__(self, start: int, stop: int, count: int, longest: int, rows: Any, keep: Any) -> None:
        self.start, self.stop, self.count, self.longest, self.rows, self.keep = (
            start,
            stop,
            count,
            longest,
            rows,
            keep,
        )

    @classmethod
    def of(cls, lengths: list[int], first: int, end: int) -> _Run:
        import torch

        mine = lengths[first:end]
        start = sum(lengths[:first])
        longest = max(mine)
        if min(mine) == longest:
            return cls(start, start + sum(mine), len(mine), longest, None, None)
        seq_of = np.repeat(np.arange(len(mine)), mine)
        within = np.concatenate([np.arange(n) for n in mine])
        rows = torch.from_numpy(seq_of * longest + within)  # each token's row in the padded view
        keep = (torch.arange(longest)[None, :] < torch.tensor(mine)[:, None])[:, None, None, :]
        return cls(start, start + sum(mine), len(mine), longest, rows, keep)


def packed_groups(lengths: list[int], batch_size: int, batch_tokens: int) -> list[list[int]]:
    """Positions grouped longest first, each group at most `batch_size` texts and `batch_tokens` real
    tokens (a single text always forms a group). Sorting keeps attention's padded view small."""
    return longest_first_groups(lengths, batch_size, batch_tokens, padded=False)


def longest_first_groups(
    lengths: list[int], batch_size: int, batch_tokens: int, *, padded: bool
) -> list[list[int]]:
    """Positions sorted longest first and cut into groups of at most `batch_size` whose cost stays within
    `batch_tokens`: with `padded`, the group's size times its longest text; else its real tokens."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    groups: list[list[int]] = []
    current: list[int] = []
    tokens = 0
    for i in order:
        if current:
            cost = (len(current) + 1) * lengths[current[0]] if padded else tokens + lengths[i]
            if len(current) >= batch_size or cost > batch_tokens:
                groups.append(current)
                current, tokens = [], 0
        current.append(i)
        tokens += lengths[i]
    if current:
        groups.append(current)
    return groups


def _pooling_mode(model: Any) -> str | None:
    try:
        config = model[1].get_config_dict()
    except (AttributeError, IndexError, TypeError):
        return None
    mode = config.get("pooling_mode")
    if mode is None:  # older sentence-transformers: one flag per mode
        named = {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}
        flags = [k for k, v in config.items() if k.startswith("pooling_mode_") and v is True]
        mode = named.get(flags[0]) if len(flags) == 1 else None
    if mode == "mean" and not config.get("include_prompt", True):
        return None
    return mode if mode in ("mean", "cls") else None

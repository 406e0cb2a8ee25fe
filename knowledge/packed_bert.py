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

__all__ = ["PackedBert", "packed_groups"]


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
            # encode() would put a default prompt before each text; that is not reproduced here
            and not getattr(model, "default_prompt_name", None)
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
        count, longest = len(seqs), max(lengths)
        ids = torch.tensor([t for s in seqs for t in s], dtype=torch.long)
        positions = torch.from_numpy(np.concatenate([np.arange(n) for n in lengths]))
        x = self.word[ids] + self.position[positions] + self.token_type0
        x = F.layer_norm(x, (self.hidden,), *self.embed_norm, self.eps)
        if count > 1:
            seq_of = torch.from_numpy(np.repeat(np.arange(count), lengths))
            rows = seq_of * longest + positions  # each token's row in the padded (count x longest) view
            keep = (torch.arange(longest)[None, :] < torch.tensor(lengths)[:, None])[:, None, None, :]
        for qkv_w, qkv_b, o_w, o_b, ln1_w, ln1_b, i_w, i_b, f_w, f_b, ln2_w, ln2_b in self.layers:
            qkv = F.linear(x, qkv_w, qkv_b)
            if count == 1:
                attended = self._attend_one(qkv)
            else:
                attended = self._attend_padded(qkv, count, longest, rows, keep)
            x = F.layer_norm(F.linear(attended, o_w, o_b) + x, (self.hidden,), ln1_w, ln1_b, self.eps)
            inner = F.gelu(F.linear(x, i_w, i_b))
            x = F.layer_norm(F.linear(inner, f_w, f_b) + x, (self.hidden,), ln2_w, ln2_b, self.eps)
        if self.pooling == "cls":
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
            return x[torch.from_numpy(starts)]
        if count == 1:
            return x.mean(dim=0, keepdim=True)
        sums = x.new_zeros((count, self.hidden)).index_add_(0, seq_of, x)
        return sums / torch.tensor(lengths, dtype=x.dtype)[:, None]

    def _attend_one(self, qkv: Any) -> Any:
        import torch.nn.functional as F

        n = qkv.shape[0]
        q, k, v = qkv.view(n, 3, self.heads, self.head_dim).permute(1, 2, 0, 3)
        out = F.scaled_dot_product_attention(q, k, v, scale=1 / math.sqrt(self.head_dim))
        return out.transpose(0, 1).reshape(n, self.hidden)

    def _attend_padded(self, qkv: Any, count: int, longest: int, rows: Any, keep: Any) -> Any:
        import torch.nn.functional as F

        padded = qkv.new_zeros((count * longest, 3 * self.hidden))
        padded[rows] = qkv
        q, k, v = padded.view(count, longest, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=keep, scale=1 / math.sqrt(self.head_dim))
        return out.transpose(1, 2).reshape(count * longest, self.hidden)[rows]


def packed_groups(lengths: list[int], batch_size: int, batch_tokens: int) -> list[list[int]]:
    """Positions grouped longest first, each group at most `batch_size` texts and `batch_tokens` real
    tokens (a single text always forms a group). Sorting keeps attention's padded view small."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    groups: list[list[int]] = []
    current: list[int] = []
    tokens = 0
    for i in order:
        if current and (len(current) >= batch_size or tokens + lengths[i] > batch_tokens):
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

"""Issue 11, third pass (a loser, kept for the record): single-question latency of e5 on the packed path,
one torch thread, bfloat16 vs float32 vs dynamic int8 (per-channel int8 weights, activations quantised
per call by torch.ops.quantized.linear_dynamic), and the int8 vectors' cosine to float32's. With a file of
texts (one a line), it writes their int8 vectors to /tmp/quality-lab/e5q8.npz instead, for the dev evals.

    .venv/bin/python bench/int8_latency.py [--ffn-only] [TEXTS]
"""

from __future__ import annotations

import hashlib
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from knowledge import model_worker
from knowledge.embedder import resolve_model
from knowledge.packed_bert import PackedBert, _Run, attention_runs

QUESTIONS = Path(__file__).resolve().parent / "data" / "demo_questions.jsonl"


class Int8Packed(PackedBert):
    """PackedBert with its linear layers in int8 (dynamic quantisation of the activations): all of them,
    or (`ffn_only`) the feed-forward pair only, attention's projections staying in float32."""

    def __init__(self, model: Any, ffn_only: bool = False) -> None:
        super().__init__(model)

        def pack(w: Any, b: Any) -> Any:
            w = w.float()
            scale = (w.abs().amax(dim=1) / 127.0).double()
            zero = torch.zeros(len(scale), dtype=torch.long)
            qw = torch.quantize_per_channel(w, scale, zero, 0, torch.qint8)
            return torch.ops.quantized.linear_prepack(qw, b.float())

        def attn(w: Any, b: Any) -> Any:
            return (w.float(), b.float()) if ffn_only else pack(w, b)

        self.qlayers = [
            (attn(qw, qb), attn(ow, ob), l1w, l1b, pack(iw, ib), pack(fw, fb), l2w, l2b)
            for qw, qb, ow, ob, l1w, l1b, iw, ib, fw, fb, l2w, l2b in self.layers
        ]

    def forward(self, seqs: list[list[int]]) -> Any:
        def lin(x: Any, layer: Any) -> Any:
            if isinstance(layer, tuple):
                return F.linear(x, *layer)
            return torch.ops.quantized.linear_dynamic(x, layer, True)

        lengths = [len(s) for s in seqs]
        ids = torch.tensor([t for s in seqs for t in s], dtype=torch.long)
        positions = torch.from_numpy(np.concatenate([np.arange(n) for n in lengths]))
        x = self.word[ids] + self.position[positions] + self.token_type0
        x = F.layer_norm(x, (self.hidden,), *self.embed_norm, self.eps)
        runs = [_Run.of(lengths, i, j) for i, j in attention_runs(lengths)]
        for qkv_p, o_p, ln1_w, ln1_b, i_p, f_p, ln2_w, ln2_b in self.qlayers:
            qkv = lin(x, qkv_p)
            attended = qkv.new_empty((qkv.shape[0], self.hidden))
            for run in runs:
                attended[run.start : run.stop] = self._attend(qkv[run.start : run.stop], run)
            x = F.layer_norm(lin(attended, o_p) + x, (self.hidden,), ln1_w, ln1_b, self.eps)
            inner = F.gelu(lin(x, i_p))
            x = F.layer_norm(lin(inner, f_p) + x, (self.hidden,), ln2_w, ln2_b, self.eps)
        seq_of = torch.from_numpy(np.repeat(np.arange(len(seqs)), lengths))
        sums = x.new_zeros((len(seqs), self.hidden)).index_add_(0, seq_of, x)
        return sums / torch.tensor(lengths, dtype=x.dtype)[:, None]


def bench(runner: PackedBert, label: str, qs: list[str]) -> None:
    runner.encode(qs[:5], 32, 4096)
    times = []
    for _ in range(3):
        for q in qs:
            t = time.perf_counter()
            runner.encode([q], 32, 4096)
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    print(f"{label:10s} p50 {statistics.median(times):.2f} ms  p90 {times[int(0.9 * len(times))]:.2f} ms")


def main() -> None:
    torch.set_num_threads(1)
    path = resolve_model("e5-small")[0]
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    qs = ["query: " + r["question"] for r in rows if r["split"] == "dev"][:80]
    f32 = model_worker.build_model(path, "cpu", "float32")
    args = [a for a in sys.argv[1:] if a != "--ffn-only"]
    ffn_only = "--ffn-only" in sys.argv
    q8 = Int8Packed(f32, ffn_only)
    if args:
        texts = Path(args[0]).read_text(encoding="utf-8").splitlines()
        out = {}
        for i in range(0, len(texts), 64):
            chunk = texts[i : i + 64]
            for t, v in zip(chunk, q8.encode(chunk, 32, 4096), strict=True):
                out[hashlib.sha1(t.encode()).hexdigest()] = v
        np.savez(f"/tmp/quality-lab/{'e5q8ffn' if ffn_only else 'e5q8'}.npz", **out)
        print("saved", len(out))
        return
    ref = PackedBert(f32).encode(qs, 32, 4096)
    got = q8.encode(qs, 32, 4096)
    cos = (ref * got).sum(axis=1)
    print(f"cosine int8 vs float32 over {len(qs)} questions: min {cos.min():.4f} mean {cos.mean():.4f}")
    bench(PackedBert(f32), "float32", qs)
    bench(q8, "int8 FFN" if ffn_only else "int8-dyn", qs)
    bench(PackedBert(model_worker.build_model(path, "cpu", "bfloat16")), "bfloat16", qs)


if __name__ == "__main__":
    main()

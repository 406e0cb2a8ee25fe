"""Pick `model.batch_tokens`: how many tokens go into each forward pass.

Run: `.venv/bin/python bench/tune_batching.py [--seconds 1.5] [--padded] [--json]`

The path timed is the one the server runs (`model_worker.encode_texts`): for BERT-family models such as the
bundled one, unpadded passes of at most `batch_tokens` real tokens (`knowledge/packed_bert.py`); with
`--padded`, or for other models, long-sorted texts in groups that stay under `batch_tokens` once padded.

Times the bundled model (in this process, `model.threads` torch threads) on BANKING77 *training* rows
(shuffled, fixed seed) in requests of n texts, n from a single question (a quiet web chat) to 500 (an
import), for each token budget and, as the reference, `SentenceTransformer.encode` with the configured
`batch_size`. Prints ms per text for each cell, the budget with the lowest mean over the request sizes,
and the largest difference between the grouped vectors and `encode`'s (they must agree to float noise).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import time
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SEED = 20261125
SIZES = (1, 2, 4, 8, 16, 32, 50, 500)
BUDGETS = (128, 256, 384, 512, 768, 1024, 4096)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="time per cell")
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"), help="folder with banking77/")
    parser.add_argument("--padded", action="store_true", help="time the padded path (model.packed = false)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    import numpy as np
    from tqdm import tqdm

    from config import load_settings
    from knowledge import Embedder
    from knowledge.model_worker import encode_texts, packed_runner

    settings = load_settings(environ={}, model={"packed": not args.padded}).model
    embedder = Embedder(settings)
    embedder.load_sync()  # also applies model.threads
    model = embedder._model
    with (Path(args.data) / "banking77" / "train.csv").open(encoding="utf-8", newline="") as fh:
        rows = [r["text"].strip() for r in csv.DictReader(fh) if r["text"].strip()]
    random.Random(SEED).shuffle(rows)

    def timed(fn: object, n: int) -> float:
        done, start, at = 0, time.perf_counter(), 0
        fn(rows[:n])  # type: ignore[operator]  # warm
        start = time.perf_counter()
        while time.perf_counter() - start < args.seconds or done < 2 * n:
            batch = rows[at : at + n]
            at = (at + n) % (len(rows) - n)
            fn(batch)  # type: ignore[operator]
            done += len(batch)
        return 1000 * (time.perf_counter() - start) / done

    def st_encode(texts: list[str]) -> object:
        return model.encode(
            texts, batch_size=settings.batch_size, normalize_embeddings=True, show_progress_bar=False
        )

    check = rows[:300]
    ours = encode_texts(model, check, settings.batch_size, 512, settings.packed)
    diff = float(np.abs(ours - st_encode(check)).max())
    table: dict[str, dict[int, float]] = {}
    bar = tqdm(total=(len(BUDGETS) + 1) * len(SIZES), desc="tune batching", unit="cell", file=sys.stderr)
    for name, fn in [("encode", st_encode)] + [
        (str(b), lambda t, b=b: encode_texts(model, t, settings.batch_size, b, settings.packed))
        for b in BUDGETS
    ]:
        table[name] = {}
        for n in SIZES:
            table[name][n] = round(timed(fn, n), 2)
            bar.update()
    bar.close()
    means = {k: sum(v.values()) / len(v) for k, v in table.items() if k != "encode"}
    best = min(means, key=means.__getitem__)
    result = {
        "threads": settings.threads,
        "model": embedder.model_id,
        "path": "packed" if settings.packed and packed_runner(model) is not None else "padded",
        "batch_size": settings.batch_size,
        "ms_per_text": table,
        "mean_ms_per_text": {k: round(v, 2) for k, v in means.items()},
        "best_batch_tokens": int(best),
        "max_abs_diff_vs_encode": diff,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"ms per text, BANKING77 train rows, {result['model']}, {result['path']} passes, "
        f"{settings.threads} torch thread(s), "
        f"batch_size {settings.batch_size}"
    )
    print("request size      " + "".join(f"{n:>8}" for n in SIZES) + "    mean")
    for name, row in table.items():
        label = "ST.encode" if name == "encode" else f"tokens {name}"
        mean = sum(row.values()) / len(row)
        print(f"{label:<18}" + "".join(f"{row[n]:8.2f}" for n in SIZES) + f"{mean:8.2f}")
    print(f"best batch_tokens: {best}; grouped vectors differ from encode's by at most {diff:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

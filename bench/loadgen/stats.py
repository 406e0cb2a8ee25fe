"""Progress bars, millisecond percentiles, and the yardstick: the model's raw encode rate in this process."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any


def progress_bar(desc: str, total: int | None, unit: str) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True, leave=False)


def percentile_ms(values: list[float], q: float) -> float:
    import numpy as np

    return round(float(np.percentile(np.asarray(values) * 1000, q)), 2) if values else float("nan")


def ms_stats(values: list[float]) -> dict[str, float]:
    mean = round(1000 * sum(values) / len(values), 2) if values else float("nan")
    return {
        "p50": percentile_ms(values, 50),
        "p90": percentile_ms(values, 90),
        "p99": percentile_ms(values, 99),
        "max": percentile_ms(values, 100),
        "mean": mean,
    }


async def raw_encode_rate(embedder: Any, questions: list[str], seconds: float) -> dict[str, Any]:
    """The model alone, in this process on a worker thread, for ~`seconds` each, rounds interleaved:
    `SentenceTransformer.encode` of a fixed list with the configured batch size (the target's yardstick)
    and Kundresa's own batch path (`Embedder.encode_sync`, what the server's worker runs)."""
    loop = asyncio.get_running_loop()
    embedder.load_sync()
    batch_size = embedder.settings.batch_size
    questions = [embedder.prefixes.query + q for q in questions]  # what the server encodes

    def st_encode() -> None:
        embedder._model.encode(
            questions, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
        )

    def kundresa_path() -> None:
        embedder.encode_sync(questions)

    for fn in (st_encode, kundresa_path):  # warm-up
        await loop.run_in_executor(None, fn)
    bar = progress_bar("raw encode", None, "question")
    elapsed = {"st": 0.0, "kundresa": 0.0}
    rounds = 0
    while sum(elapsed.values()) < 2 * seconds or rounds < 2:
        for key, fn in (("st", st_encode), ("kundresa", kundresa_path)):
            start = time.perf_counter()
            await loop.run_in_executor(None, fn)
            elapsed[key] += time.perf_counter() - start
            bar.update(len(questions))
        rounds += 1
    bar.close()
    done = rounds * len(questions)

    def single() -> list[float]:
        times = []
        for q in questions[:100]:
            start = time.perf_counter()
            embedder._model.encode([q], normalize_embeddings=True, show_progress_bar=False)
            times.append((time.perf_counter() - start) * 1000)
        return times

    singles = sorted(await loop.run_in_executor(None, single))
    return {
        "single_ms": round(singles[len(singles) // 2], 2),
        "questions_per_s": round(done / elapsed["st"], 1),
        "kundresa_questions_per_s": round(done / elapsed["kundresa"], 1),
        "questions": done,
        "seconds": round(elapsed["st"], 2),
        "list_size": len(questions),
        "batch_size": batch_size,
        "batch_tokens": embedder.settings.batch_tokens,
    }

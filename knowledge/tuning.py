"""Contrastive fine-tuning of the embedding model on a knowledge base's own example questions and titles.

Pure: articles in, a sentence-transformers folder out (no database, no pointer; `tuned_model` publishes).
Texts of one article (or of one language group) are positives of each other, every other article's texts
are negatives. Two recipes:

- ``mnrl`` (the default; BENCHMARKS.md "Fine-tuning"): `MultipleNegativesRankingLoss` on (text, another
  text of the same article) pairs; the other pairs of a batch are the negatives, and a batch never holds
  two pairs of one article (they would be false negatives).
- ``batch-hard`` / ``batch-all``: SetFit-like triplet losses (`BatchHardSoftMarginTripletLoss`,
  `BatchAllTripletLoss`) over batches of a few texts from each of several articles, the article as label.

Both sides carry the model's query prefix (e5: "query: "), as at search time: questions are compared with
example questions and titles query to query. The word-embedding matrix stays frozen (e5's is 250k x 384:
training it is slow and overfits a few hundred questions). Seeds are fixed; torch uses every core.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import random
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from config import ValidationError
from knowledge.index_blocks import IndexedArticle

__all__ = ["RECIPES", "TuneOptions", "TuneReport", "articles_hash", "training_groups", "tune"]

log = logging.getLogger(__name__)

RECIPES = ("mnrl", "batch-hard", "batch-all")
SEED = 20261125
T = TypeVar("T")


@dataclass(frozen=True)
class TuneOptions:
    epochs: int = 1
    recipe: str = "mnrl"
    # Pairs a batch (mnrl) or texts a batch (batch-hard / batch-all).
    batch_size: int = 32
    learning_rate: float = 3e-5
    warmup: float = 0.1  # share of the steps with a rising learning rate
    scale: float = 20.0  # mnrl: cosine * scale are the logits (1 / temperature)
    per_label: int = 4  # batch-hard / batch-all: texts of one article in a batch
    # Texts of one article used as anchors per epoch (a big intent does not swamp the small ones).
    max_per_article: int = 16
    seed: int = SEED
    threads: int = 0  # torch threads while tuning; 0: the idle cores (`idle_cores`)
    freeze_embeddings: bool = True

    def __post_init__(self) -> None:
        if self.recipe not in RECIPES:
            raise ValidationError(f"unknown tuning recipe {self.recipe!r}: use one of {', '.join(RECIPES)}")
        if self.epochs < 1:
            raise ValidationError(f"--epochs must be at least 1, not {self.epochs}")


@dataclass
class TuneReport:
    path: Path
    recipe: str
    epochs: int
    articles: int  # articles (labels) with at least two texts
    texts: int
    steps: int
    seconds: float
    losses: list[float] = field(default_factory=list)  # mean loss per epoch

    def to_json(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "recipe": self.recipe,
            "epochs": self.epochs,
            "articles": self.articles,
            "texts": self.texts,
            "steps": self.steps,
            "seconds": round(self.seconds, 1),
            "losses": [round(x, 4) for x in self.losses],
        }


def training_groups(articles: Sequence[IndexedArticle], prefix: str = "") -> dict[str, list[str]]:
    """Label (language group, else slug) -> its distinct texts (title, example questions), prefixed;
    published articles only, labels with fewer than two texts left out (nothing to pair)."""
    groups: dict[str, list[str]] = {}
    for a in articles:
        if a.status != "published":
            continue
        texts = groups.setdefault(a.group or a.slug, [])
        for text in (a.title, *a.questions):
            text = " ".join(text.split())
            if text and prefix + text not in texts:
                texts.append(prefix + text)
    return {label: texts for label, texts in groups.items() if len(texts) >= 2}


def articles_hash(articles: Sequence[IndexedArticle]) -> str:
    """What the tuning saw (published articles' slugs, titles, questions): sha256, hex."""
    rows = sorted(
        [a.group or a.slug, a.slug, a.title, sorted(a.questions)] for a in articles if a.status == "published"
    )
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()


def distinct_label_batches(
    items: Sequence[tuple[Hashable, T]], size: int, weight: Callable[[T], int] = lambda _: 1
) -> list[list[tuple[Hashable, T]]]:
    """Items in order, packed into batches of at most `size` (summed `weight`) where no label repeats;
    an item that does not fit waits for the next batch."""
    batches: list[list[tuple[Hashable, T]]] = []
    remaining = list(items)
    while remaining:
        batch: list[tuple[Hashable, T]] = []
        seen: set[Hashable] = set()
        used = 0
        rest = []
        for label, item in remaining:
            if label not in seen and used + weight(item) <= size:
                batch.append((label, item))
                seen.add(label)
                used += weight(item)
            else:
                rest.append((label, item))
        if not batch:  # an item heavier than a batch: alone
            batch, rest = [rest[0]], rest[1:]
        batches.append(batch)
        remaining = rest
    return batches


def _pair_batches(groups: dict[str, list[str]], o: TuneOptions, rng: random.Random) -> list[list[Any]]:
    pairs: list[tuple[Hashable, tuple[str, str]]] = []
    for label, texts in groups.items():
        anchors = rng.sample(texts, min(len(texts), o.max_per_article))
        for anchor in anchors:
            positive = rng.choice([t for t in texts if t != anchor])
            pairs.append((label, (anchor, positive)))
    rng.shuffle(pairs)
    # A batch of one pair has no negatives; the tail of a small epoch can be that.
    return [b for b in distinct_label_batches(pairs, o.batch_size) if len(b) >= 2]


def _label_batches(groups: dict[str, list[str]], o: TuneOptions, rng: random.Random) -> list[list[Any]]:
    chunks: list[tuple[Hashable, list[str]]] = []
    k = max(2, o.per_label)
    for label, texts in groups.items():
        chosen = rng.sample(texts, min(len(texts), o.max_per_article))
        for i in range(0, len(chosen), k):
            chunk = chosen[i : i + k]
            if len(chunk) >= 2:
                chunks.append((label, chunk))
    rng.shuffle(chunks)
    batches = distinct_label_batches(chunks, o.batch_size, weight=len)
    return [b for b in batches if len(b) >= 2]  # one article alone has no negatives


def idle_cores() -> int:
    """Cores minus the 1-minute load average, at least 1: every core on an idle machine. On a busy one
    (a running server, another job) torch's spinning threads on shared cores made a step 3-4 times
    slower than one thread did (BENCHMARKS.md)."""
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:
        return cores
    return max(1, min(cores, round(cores - load)))


def _seed(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def tune(
    base_path: str,
    articles: Sequence[IndexedArticle],
    out: Path,
    options: TuneOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_epoch: Callable[[Any, int], None] | None = None,
) -> TuneReport:
    """Fine-tune the sentence-transformers model at `base_path` on `articles` and save it to `out`.

    `progress(done, total)` after each step; `on_epoch(model, epoch)` after each epoch (benchmarks)."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import losses

    o = options or TuneOptions()
    started = time.perf_counter()
    threads_before = torch.get_num_threads()
    torch.set_num_threads(o.threads if o.threads > 0 else idle_cores())
    try:
        _seed(o.seed)
        model = SentenceTransformer(base_path, device="cpu")
        prefix = str((model.prompts or {}).get("query", ""))
        groups = training_groups(articles, prefix)
        if len(groups) < 2:
            raise ValidationError(
                "tuning needs at least two published articles with a title and an example question each: "
                "add example questions (kundresa kb import, or the admin console) and try again"
            )
        if o.freeze_embeddings:
            for name, param in model.named_parameters():
                if "word_embeddings" in name:
                    param.requires_grad = False
        if o.recipe == "mnrl":
            loss: torch.nn.Module = losses.MultipleNegativesRankingLoss(model, scale=o.scale)
            make_batches = _pair_batches
        elif o.recipe == "batch-hard":
            loss = losses.BatchHardSoftMarginTripletLoss(model)
            make_batches = _label_batches
        else:
            loss = losses.BatchAllTripletLoss(model)
            make_batches = _label_batches
        rng = random.Random(o.seed)
        epochs = [make_batches(groups, o, rng) for _ in range(o.epochs)]
        total = sum(len(e) for e in epochs)
        params = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=o.learning_rate, weight_decay=0.01)
        warmup = max(1, math.ceil(total * o.warmup))

        def lr_at(step: int) -> float:  # linear warm-up, then linear decay to 0
            if step < warmup:
                return (step + 1) / warmup
            return max(0.0, (total - step) / max(1, total - warmup))

        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_at)
        labels_of = {label: i for i, label in enumerate(groups)}
        step = 0
        mean_losses = []
        for epoch, batches in enumerate(epochs, 1):
            model.train()
            running = 0.0
            for batch in batches:
                if o.recipe == "mnrl":
                    features = [
                        model.tokenize([a for _, (a, _) in batch]),
                        model.tokenize([p for _, (_, p) in batch]),
                    ]
                    labels = torch.zeros(len(batch), dtype=torch.long)
                else:
                    texts = [t for _, chunk in batch for t in chunk]
                    features = [model.tokenize(texts)]
                    labels = torch.tensor([labels_of[str(lb)] for lb, chunk in batch for _ in chunk])
                value = loss(features, labels)
                optimizer.zero_grad(set_to_none=True)
                value.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                optimizer.step()
                schedule.step()
                running += float(value.detach())
                step += 1
                if progress:
                    progress(step, total)
            mean_losses.append(running / max(1, len(batches)))
            log.info("tuning epoch %d/%d: mean loss %.4f", epoch, o.epochs, mean_losses[-1])
            model.eval()
            if on_epoch:
                on_epoch(model, epoch)
        out.mkdir(parents=True, exist_ok=True)
        model.save(str(out))
        return TuneReport(
            path=out,
            recipe=o.recipe,
            epochs=o.epochs,
            articles=len(groups),
            texts=sum(len(t) for t in groups.values()),
            steps=total,
            seconds=time.perf_counter() - started,
            losses=mean_losses,
        )
    finally:
        torch.set_num_threads(threads_before)

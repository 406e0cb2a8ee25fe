"""BANKING77 as a knowledge base (one article per intent) and the shuffled test questions customers ask."""

from __future__ import annotations

import csv
import random
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

SEED = 20261126


def load_banking77(data_dir: Path) -> tuple[list[Any], list[str]]:
    """One `ArticleData` per intent (training rows as its questions) and the test questions."""
    from knowledge import ArticleData

    folder = data_dir / "banking77"
    for name in ("train.csv", "test.csv"):
        if not (folder / name).exists():
            sys.exit(f"chat_load: {folder / name} not found: pass --data DIR (the shared data folder)")

    def rows(name: str) -> list[tuple[str, str]]:
        with (folder / name).open(encoding="utf-8", newline="") as fh:
            return [(r["text"].strip(), r["category"]) for r in csv.DictReader(fh) if r["text"].strip()]

    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in rows("train.csv"):
        by_intent[intent].append(text)
    articles = []
    for intent in sorted(by_intent):
        topic = intent.replace("_", " ").strip().capitalize()
        articles.append(
            ArticleData(
                slug=intent.lower(),
                title=topic,
                lang="en",
                tags=["banking77"],
                body=f"This article answers questions about {topic.lower()}.\n",
                questions=list(dict.fromkeys(by_intent[intent])),
            )
        )
    tests = [text for text, _ in rows("test.csv")]
    random.Random(SEED).shuffle(tests)
    return articles, tests

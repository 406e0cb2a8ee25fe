"""`kundresa eval`: answer quality on BANKING77, CLINC150 or a file of questions; `--tuned` fine-tunes a
temporary model first."""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.cli.common import knowledge_base, progress_bar
from bot.cli.kb import tune_with_progress
from config import ConfigError, Settings

DEFAULT_DATA = Path("../shared/data")


@asynccontextmanager
async def tuned_store(
    settings: Settings, sessions: Any, articles: list[Any]
) -> AsyncIterator[tuple[Any, Any]]:
    """(EmbeddingStore, TuneReport) of a model tuned on `articles` in a temporary folder, for `eval
    --tuned`; its vectors are never written to the database's embedding cache."""
    from knowledge import Embedder
    from knowledge.embedding_store import EmbeddingStore
    from knowledge.text import text_hash

    class MemoryStore(EmbeddingStore):
        async def vectors_for(
            self, texts: Any, progress: Callable[[int], None] | None = None, *, counted: bool = True
        ) -> Any:
            wanted = {text_hash(t): t for t in texts}
            todo = [h for h in wanted if h not in self.memory]
            for i in range(0, len(todo), 256):
                hashes = todo[i : i + 256]
                vecs = await self.embedder.encode([wanted[h] for h in hashes])
                self.memory.update(zip(hashes, vecs, strict=True))
                if progress:
                    progress(len(hashes))
            return {h: self.memory[h] for h in wanted}

    with tempfile.TemporaryDirectory(prefix="kundresa-tune-") as tmp:
        model = settings.model.model_copy(update={"worker": "thread", "tuned": "auto", "tuned_dir": tmp})
        _, report = await asyncio.to_thread(tune_with_progress, model, articles)
        embedder = Embedder(model)
        if embedder.tuned is None:  # find_tuned logged why
            raise ConfigError(f"the model tuned in {tmp} cannot be used: see the warning above")
        try:
            await embedder.start()
            yield MemoryStore(sessions, embedder), report
        finally:
            await embedder.close()


def cmd_eval(settings: Settings, args: argparse.Namespace) -> int:
    from knowledge import evaluation as ev

    data_dir = Path(args.data)

    async def main() -> dict[str, object]:
        async with knowledge_base(settings) as kb:
            if args.dataset == "banking77":
                evset = ev.load_banking77(data_dir, args.shots)
                articles, cases = evset.articles, evset.cases
            elif args.dataset == "clinc150":
                evset = ev.load_clinc150(data_dir, args.shots)
                articles, cases = evset.articles, evset.cases
            else:
                await kb.refresh()
                articles = list(kb.index.articles)
                articles = [a for a in articles if a.status == "published"]
                cases = ev.load_cases(Path(args.dataset))
            bars: dict[str, Any] = {}

            def progress(stage: str, done: int, total: int) -> None:
                bar = bars.get(stage) or bars.setdefault(stage, progress_bar(stage, total))
                bar.n = done
                bar.refresh()

            if args.compare:
                from bot.eval_compare import compare

                rows = await compare(
                    settings, kb.sessions, articles, cases, tuned=args.tuned, progress=progress
                )
                for bar in bars.values():
                    bar.close()
                return {"dataset": args.dataset, "shots": args.shots, "methods": rows}
            if not args.tuned:
                report, _ = await ev.run_eval(
                    articles, cases, kb.store, settings.search, progress, second=kb.second_store
                )
                report["model"] = kb.embedder.model_id
            else:
                async with tuned_store(settings, kb.sessions, articles) as (store, tuning):
                    report, _ = await ev.run_eval(
                        articles, cases, store, settings.search, progress, second=kb.second_store
                    )
                    report["model"] = store.embedder.model_id
                    report["tuning"] = {k: v for k, v in tuning.to_json().items() if k != "path"}
            for bar in bars.values():
                bar.close()
            report["dataset"] = args.dataset
            report["shots"] = args.shots
            return report

    report = asyncio.run(main())
    if args.json:
        print(json.dumps(report))
    elif args.compare:
        from bot.eval_compare import format_table

        print(format_table(report["methods"]))  # type: ignore[arg-type]
    else:
        for key, value in report.items():
            print(f"{key:>20}: {value:.4f}" if isinstance(value, float) else f"{key:>20}: {value}")
    return 0


def add_commands(sub: Any) -> None:
    """`eval` on the `kundresa` parser's subcommands."""
    ev = sub.add_parser("eval", help="answer-quality benchmark: banking77, clinc150 or a .jsonl FILE")
    ev.add_argument("dataset")
    ev.add_argument("--shots", type=int, help="K example questions per intent (fixed seed)")
    ev.add_argument("--json", action="store_true")
    ev.add_argument(
        "--compare",
        action="store_true",
        help="several methods side by side (models, fusion, calibration; fine-tuned too with --tuned)",
    )
    ev.add_argument("--data", default=str(DEFAULT_DATA), help="folder with banking77/ and clinc150/")
    ev.add_argument(
        "--tuned", action="store_true", help="fine-tune the model on the eval's articles first (temporary)"
    )
    ev.set_defaults(func=cmd_eval)

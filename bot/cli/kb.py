"""`kundresa kb import|export|search|tune`: the knowledge base from the command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bot.cli.common import knowledge_base, migrated_sessions, progress_bar
from config import Settings


def cmd_kb_import(settings: Settings, args: argparse.Namespace) -> int:
    from knowledge.formats import read_articles

    articles = read_articles(Path(args.path))

    async def main() -> Any:
        async with knowledge_base(settings) as kb:
            bar = progress_bar("importing", len(articles))
            embedding = progress_bar("embedding new texts")
            report = await kb.import_articles(
                articles, author="cli", progress=bar.update, embed_progress=embedding.update
            )
            bar.close()
            embedding.close()
            return report

    report = asyncio.run(main())
    print(
        f"imported {len(articles)} articles: {len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged",
        file=sys.stderr,
    )
    return 0


def cmd_kb_export(settings: Settings, args: argparse.Namespace) -> int:
    from knowledge.formats import write_articles

    async def main() -> Any:
        async with knowledge_base(settings) as kb:
            return await kb.export_articles()

    articles = asyncio.run(main())
    write_articles(articles, Path(args.path))
    print(f"exported {len(articles)} articles to {args.path}", file=sys.stderr)
    return 0


def cmd_kb_search(settings: Settings, args: argparse.Namespace) -> int:
    async def main() -> Any:
        async with knowledge_base(settings) as kb:
            await kb.refresh()
            return await kb.search(args.question, lang=args.lang, include_drafts=args.drafts)

    result = asyncio.run(main())
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
        return 0
    print(f"decision: {result.decision} (confidence {result.confidence:.3f})")
    for i, a in enumerate(result.articles, 1):
        print(f"{i}. {a.score:.3f}  {a.slug}  {a.title}  [{a.matched_kind}: {a.matched[:60]}]")
    return 0


async def published_articles(settings: Settings) -> list[Any]:
    """The knowledge base's published articles (learned questions included), read without the model."""
    from knowledge import repository as repo

    async with migrated_sessions(settings) as sessions, sessions() as session:
        articles = [repo.to_indexed(a) for a in await repo.all_articles(session)]
    return [a for a in articles if a.status == "published"]


def tune_with_progress(model: Any, articles: list[Any], epochs: int | None = None) -> tuple[Any, Any]:
    """Fine-tune `model` (ModelSettings) on `articles` into its tuned_dir, a progress bar on stderr:
    (pointer, TuneReport)."""
    from knowledge.tuned_model import publish
    from knowledge.tuning import TuneOptions

    bar = progress_bar("tuning the model")
    bar.unit = "step"

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        options = TuneOptions(epochs=epochs) if epochs else None
        return publish(model, articles, options=options, progress=progress)
    finally:
        bar.close()


def cmd_kb_tune(settings: Settings, args: argparse.Namespace) -> int:
    articles = asyncio.run(published_articles(settings))
    pointer, report = tune_with_progress(settings.model, articles, args.epochs)
    summary = {**report.to_json(), **asdict(pointer), "model": settings.model.name}
    if args.json:
        print(json.dumps(summary))
    print(
        f"tuned {settings.model.name} on {report.articles} articles ({report.texts} titles and questions, "
        f"{report.epochs} epoch(s), {report.seconds:.0f} s) into {report.path}. Restart the server "
        '(kundresa serve) to use it; model.tuned = "off" turns it off.',
        file=sys.stderr,
    )
    return 0


def add_commands(sub: Any) -> None:
    """`kb import|export|search|tune` on the `kundresa` parser's subcommands."""
    kb = sub.add_parser("kb", help="knowledge base").add_subparsers(dest="kb_command", required=True)
    imp = kb.add_parser("import", help="import articles (folder of .md, .jsonl or .csv); upserts by slug")
    imp.add_argument("path")
    imp.set_defaults(func=cmd_kb_import)
    exp = kb.add_parser("export", help="export articles (folder, .jsonl or .csv)")
    exp.add_argument("path")
    exp.set_defaults(func=cmd_kb_export)
    se = kb.add_parser("search", help="what the bot would do with a question")
    se.add_argument("question")
    se.add_argument("--json", action="store_true")
    se.add_argument("--lang", help="the customer's language: show the version in it where one exists")
    se.add_argument("--drafts", action="store_true", help="include draft articles")
    se.set_defaults(func=cmd_kb_search)
    tu = kb.add_parser("tune", help="fine-tune the embedding model on the articles' questions and titles")
    tu.add_argument("--epochs", type=int, help="passes over the questions (default: the tuned recipe's)")
    tu.add_argument("--json", action="store_true", help="print what was tuned as JSON")
    tu.add_argument("--config", dest="config_sub", help="settings file")
    tu.set_defaults(func=cmd_kb_tune)

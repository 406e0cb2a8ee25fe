"""The `kundresa` command: serve, db upgrade, kb import/export/search/tune, eval, user add, customer
export|erase, retention run."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from config import ConfigError, KundresaError, Settings, load_settings

DEFAULT_DATA = Path("../shared/data")


def _progress(desc: str, total: int | None = None) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, file=sys.stderr, unit="item", dynamic_ncols=True, leave=False)


@asynccontextmanager
async def _knowledge(settings: Settings) -> AsyncIterator[Any]:
    """A KnowledgeBase on the configured database (migrated), closed afterwards."""
    from infra.db import create_engine, create_sessionmaker
    from infra.migrate import upgrade
    from knowledge import Embedder, KnowledgeBase

    engine = create_engine(settings.database)
    # Batch commands have no event loop to protect: the model runs in this process (starts faster).
    embedder = Embedder(settings.model.model_copy(update={"worker": "thread"}))
    english = settings.model.english
    second = (
        Embedder(settings.model.model_copy(update={"name": english, "worker": "thread"})) if english else None
    )
    try:
        await upgrade(engine)
        await embedder.start()
        if second is not None:
            await second.start()
        yield KnowledgeBase(create_sessionmaker(engine), embedder, settings.search, second)
    finally:
        await embedder.close()
        if second is not None:
            await second.close()
        await engine.dispose()


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from aiohttp import web

    from bot.app import create_app
    from bot.logs import AccessLogger, configure_logging

    host = args.host or settings.server.host
    port = args.port or settings.server.port
    configure_logging(settings.logging, verbose=args.verbose)
    if settings.demo:
        print("kundresa: DEMO MODE (generated secrets); set demo = false in production", file=sys.stderr)
    # SIGTERM: stop listening, drain (bot/drain.py: turns finish, chat sockets close with 1012), then give
    # any other request a few seconds before it is cancelled; exit 0.
    web.run_app(
        create_app(settings),
        host=host,
        port=port,
        print=lambda m: print(m, file=sys.stderr),
        shutdown_timeout=settings.recovery.drain_seconds + 5,
        access_log_class=AccessLogger,  # query values redacted: no tokens or signatures in the log
        access_log=logging.getLogger("kundresa.access") if settings.logging.access_log else None,
    )
    return 0


def cmd_db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    from infra.migrate import upgrade_sync

    upgrade_sync(settings)
    print(f"database at {settings.database.url.split('@')[-1]} is up to date", file=sys.stderr)
    return 0


def cmd_kb_import(settings: Settings, args: argparse.Namespace) -> int:
    from knowledge.formats import read_articles

    articles = read_articles(Path(args.path))

    async def main() -> Any:
        async with _knowledge(settings) as kb:
            bar = _progress("importing", len(articles))
            embedding = _progress("embedding new texts")
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
        async with _knowledge(settings) as kb:
            return await kb.export_articles()

    articles = asyncio.run(main())
    write_articles(articles, Path(args.path))
    print(f"exported {len(articles)} articles to {args.path}", file=sys.stderr)
    return 0


def cmd_kb_search(settings: Settings, args: argparse.Namespace) -> int:
    async def main() -> Any:
        async with _knowledge(settings) as kb:
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


# -- kb tune, eval --tuned ------------------------------------------------------------------------------
async def published_articles(settings: Settings) -> list[Any]:
    """The knowledge base's published articles (learned questions included), read without the model."""
    from infra.db import create_engine, create_sessionmaker
    from infra.migrate import upgrade
    from knowledge import repository as repo

    engine = create_engine(settings.database)
    try:
        await upgrade(engine)
        async with create_sessionmaker(engine)() as session:
            articles = [repo.to_indexed(a) for a in await repo.all_articles(session)]
    finally:
        await engine.dispose()
    return [a for a in articles if a.status == "published"]


def tune_with_progress(model: Any, articles: list[Any], epochs: int | None = None) -> tuple[Any, Any]:
    """Fine-tune `model` (ModelSettings) on `articles` into its tuned_dir, a progress bar on stderr:
    (pointer, TuneReport)."""
    from knowledge.tuned_model import publish
    from knowledge.tuning import TuneOptions

    bar = _progress("tuning the model")
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


def cmd_eval(settings: Settings, args: argparse.Namespace) -> int:
    from knowledge import evaluation as ev

    data_dir = Path(args.data)

    async def main() -> dict[str, object]:
        async with _knowledge(settings) as kb:
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
                bar = bars.get(stage) or bars.setdefault(stage, _progress(stage, total))
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


def cmd_user_add(settings: Settings, args: argparse.Namespace) -> int:
    from infra.db import create_engine, create_sessionmaker
    from infra.migrate import upgrade
    from router.auth import create_user
    from router.privacy import audit

    async def main() -> str:
        engine = create_engine(settings.database)
        try:
            await upgrade(engine)
            async with create_sessionmaker(engine)() as session, session.begin():
                user, token = await create_user(
                    session, args.name, args.role, team=args.team, capacity=args.capacity
                )
                audit.add(session, audit.cli_actor(), "user.create", "user", user.id, {"role": args.role})
            return token
        finally:
            await engine.dispose()

    token = asyncio.run(main())
    print(f"created {args.role} {args.name!r}; the token is shown once, keep it:", file=sys.stderr)
    print(token)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kundresa", description=__doc__)
    parser.add_argument("--config", help="settings file (TOML) over config/default.toml")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--config", dest="config_sub", help="settings file")
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)

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

    user = sub.add_parser("user", help="users").add_subparsers(dest="user_command", required=True)
    add = user.add_parser("add", help="create an agent or admin and print its API token once")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=["agent", "admin"])
    add.add_argument("--team")
    add.add_argument("--capacity", type=int)
    add.set_defaults(func=cmd_user_add)

    from bot.cli_privacy import add_privacy_commands

    add_privacy_commands(sub)  # customer export|erase, retention run
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("alembic", "bm25s", "sentence_transformers", "httpx", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    func: Callable[[Settings, argparse.Namespace], int] = args.func
    try:
        settings = load_settings(getattr(args, "config_sub", None) or args.config)
        return func(settings, args)
    except KundresaError as exc:
        print(f"kundresa: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

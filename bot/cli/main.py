"""The `kundresa` command: serve, db upgrade, kb import/export/search/tune, eval, user add, customer
export|erase, retention run."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable

from bot.cli import evaluate, kb, privacy, serve, user
from config import KundresaError, Settings, load_settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kundresa", description=__doc__)
    parser.add_argument("--config", help="settings file (TOML) over config/default.toml")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    # The order is the order of `kundresa --help`.
    for commands in (serve, kb, evaluate, user, privacy):
        commands.add_commands(sub)
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

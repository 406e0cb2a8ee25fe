"""`kundresa serve` and `kundresa db upgrade`: run the server, migrate its database."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from config import Settings


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


def add_commands(sub: Any) -> None:
    """`serve` and `db upgrade` on the `kundresa` parser's subcommands."""
    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--config", dest="config_sub", help="settings file")
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)

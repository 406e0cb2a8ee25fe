"""`kundresa customer export|erase` and `kundresa retention run` (issue 17; router/privacy/)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from typing import Any

from bot.cli.common import migrated_sessions
from config import Settings, ValidationError


async def _customer(sessions: Any, args: argparse.Namespace) -> int:
    from router.privacy import find_customer_id

    async with sessions() as session:
        return await find_customer_id(session, customer_id=args.id, email=args.email, user_id=args.user_id)


class _SlackPosts:
    """The Slack side of an erasure from the command line: the app's posts, deleted with the bot token."""

    name = "slack"

    def __init__(self, settings: Settings) -> None:
        from bot.channels.slack.client import build_client

        self.client = build_client(settings.slack)

    async def erase_posts(self, threads: list[dict[str, str]]) -> dict[str, int]:
        from bot.channels.slack.erase import erase_threads

        return await erase_threads(self.client, threads)


def _channels(settings: Settings) -> Any:
    from router.channel import ChannelRegistry

    registry = ChannelRegistry()
    if settings.slack.enabled:
        registry.register(_SlackPosts(settings))  # type: ignore[arg-type]
    return registry


def _print(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=1))


def cmd_customer_export(settings: Settings, args: argparse.Namespace) -> int:
    from router.privacy import audit
    from router.privacy.export import export_customer

    async def main() -> dict[str, Any]:
        async with migrated_sessions(settings) as sessions:
            customer_id = await _customer(sessions, args)
            async with sessions() as session:
                data = await export_customer(session, customer_id)
            await audit.log(
                sessions, audit.cli_actor(), "customer.export", "customer", customer_id, data["counts"]
            )
            return data

    data = asyncio.run(main())
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1)
        print(f"exported customer {data['customer']['id']} to {args.out}", file=sys.stderr)
    else:
        _print(data)
    return 0


def _keep_as(pairs: list[str]) -> dict[int, str]:
    out: dict[int, str] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip().isdigit():
            raise ValidationError(f"--keep-as wants EXAMPLE_ID=REWRITTEN TEXT, not {pair!r}")
        out[int(key)] = text
    return out


def cmd_customer_erase(settings: Settings, args: argparse.Namespace) -> int:
    from bot.knowledge_sync import TOPIC as KNOWLEDGE_TOPIC
    from knowledge.writes import KnowledgeWrites
    from router.pg_events import is_postgres, notify_once
    from router.privacy import audit
    from router.privacy.erase import erase_customer

    if not args.yes and not args.dry_run:
        print(
            "kundresa: erasing cannot be undone; add --yes to erase (or --dry-run to see what would go)",
            file=sys.stderr,
        )
        return 2
    keep_as = _keep_as(args.keep_as or [])

    async def main() -> dict[str, Any]:
        async with migrated_sessions(settings) as sessions:
            customer_id = await _customer(sessions, args)

            async def changed(slugs: Sequence[str], progress: object = None) -> None:
                # No index in this process: running servers reindex those articles (PostgreSQL: now,
                # bot/knowledge_sync.py follows the topic; SQLite: when next saved or at restart).
                if is_postgres(settings.database.url):
                    payload = {"origin": "cli", "slugs": list(slugs)}
                    await notify_once(sessions.kw["bind"], KNOWLEDGE_TOPIC, payload)
                else:
                    print(
                        "examples were removed from " + ", ".join(slugs) + ": a running server (SQLite) "
                        "picks this up when those articles are next saved or at restart; the HTTP API "
                        "updates it at once",
                        file=sys.stderr,
                    )

            async def calibrated() -> None:
                return None

            return await erase_customer(
                KnowledgeWrites(sessions, changed, calibrated),
                customer_id,
                actor=audit.cli_actor(),
                keep_as=keep_as,
                channels=_channels(settings),
                dry_run=args.dry_run,
            )

    _print(asyncio.run(main()))
    return 0


def cmd_retention_run(settings: Settings, args: argparse.Namespace) -> int:
    from router.privacy.retention import run_retention

    async def main() -> dict[str, int]:
        async with migrated_sessions(settings) as sessions:
            return await run_retention(sessions, settings.retention, dry_run=args.dry_run)

    counts = asyncio.run(main())
    r = settings.retention
    if args.json:
        print(json.dumps({"dry_run": args.dry_run, "removed": counts}))
        return 0
    print(
        f"retention: conversations {r.conversations_days or 'kept'} days, tickets {r.tickets_days or 'kept'} "
        f"days, gap questions {r.gaps_days or 'kept'} days (0 = kept)",
        file=sys.stderr,
    )
    verb = "would remove" if args.dry_run else "removed"
    for kind, n in counts.items():
        print(f"{verb} {n:>7} {kind.replace('_', ' ')}")
    return 0


def _who(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", nargs="?", type=int, help="customer id")
    parser.add_argument("--email", help="the customer with this verified email")
    parser.add_argument(
        "--user-id", dest="user_id", help="the customer with this user id (the shop's, or Slack's)"
    )


def add_commands(sub: Any) -> None:
    """`customer export|erase` and `retention run` on the `kundresa` parser's subcommands."""
    customer = sub.add_parser("customer", help="a customer's personal data").add_subparsers(
        dest="customer_command", required=True
    )
    exp = customer.add_parser("export", help="everything stored about a customer, as one JSON document")
    _who(exp)
    exp.add_argument("--out", help="write to this file instead of stdout")
    exp.set_defaults(func=cmd_customer_export)
    era = customer.add_parser("erase", help="erase a customer (cannot be undone)")
    _who(era)
    era.add_argument("--yes", action="store_true", help="really erase")
    era.add_argument("--dry-run", action="store_true", help="only count what would be erased")
    era.add_argument(
        "--keep-as",
        action="append",
        metavar="ID=TEXT",
        help="keep learned example question ID, rewritten as TEXT (no personal data); repeatable",
    )
    era.set_defaults(func=cmd_customer_erase)
    retention = sub.add_parser("retention", help="retention of personal data").add_subparsers(
        dest="retention_command", required=True
    )
    run = retention.add_parser("run", help="erase what is older than [retention] allows")
    run.add_argument("--dry-run", action="store_true", help="only show what would be removed")
    run.add_argument("--json", action="store_true")
    run.set_defaults(func=cmd_retention_run)

"""`kundresa user add`: an agent or admin, its API token printed once."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.cli.common import migrated_sessions
from config import Settings


def cmd_user_add(settings: Settings, args: argparse.Namespace) -> int:
    from router.auth import create_user
    from router.privacy import audit

    async def main() -> str:
        async with migrated_sessions(settings) as sessions, sessions() as session, session.begin():
            user, token = await create_user(
                session, args.name, args.role, team=args.team, capacity=args.capacity
            )
            audit.add(session, audit.cli_actor(), "user.create", "user", user.id, {"role": args.role})
        return token

    token = asyncio.run(main())
    print(f"created {args.role} {args.name!r}; the token is shown once, keep it:", file=sys.stderr)
    print(token)
    return 0


def add_commands(sub: Any) -> None:
    """`user add` on the `kundresa` parser's subcommands."""
    user = sub.add_parser("user", help="users").add_subparsers(dest="user_command", required=True)
    add = user.add_parser("add", help="create an agent or admin and print its API token once")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=["agent", "admin"])
    add.add_argument("--team")
    add.add_argument("--capacity", type=int)
    add.set_defaults(func=cmd_user_add)

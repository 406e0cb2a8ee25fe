"""`kundresa user add`: an agent or admin, its API token printed once; `kundresa user token`: a new token."""

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


def cmd_user_token(settings: Settings, args: argparse.Namespace) -> int:
    """Replace a user's API token: the old one stops working at once; on PostgreSQL the running servers
    close the user's open agent consoles too (on SQLite they refuse the old token at its next use)."""
    from sqlalchemy import select

    from config import NotFoundError
    from router.auth import USERS_TOPIC, rotate_token
    from router.models import User
    from router.pg_events import is_postgres, notify_once
    from router.privacy import audit

    async def main() -> str:
        async with migrated_sessions(settings) as sessions:
            async with sessions() as session, session.begin():
                user = await session.scalar(select(User).where(User.name == args.name.strip()))
                if user is None:
                    raise NotFoundError(f"no user named {args.name!r} (kundresa user add creates one)")
                token = rotate_token(user)
                user_id = user.id
                audit.add(session, audit.cli_actor(), "user.token_rotate", "user", user_id, {})
            if is_postgres(settings.database.url):
                event = {"user_id": user_id, "event": "token_rotated"}
                await notify_once(sessions.kw["bind"], USERS_TOPIC, event)
        return token

    token = asyncio.run(main())
    print(f"new token for {args.name!r}; the old one no longer works. Shown once, keep it:", file=sys.stderr)
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
    token = user.add_parser("token", help="replace a user's API token (the old stops working), print it")
    token.add_argument("name")
    token.set_defaults(func=cmd_user_token)

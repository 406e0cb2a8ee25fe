"""API tokens for agents and admins: only a SHA-256 hash is stored; roles gate every route."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from config import ConflictError, PermissionDeniedError, UnauthorizedError, ValidationError
from router.models import ROLES, User

# admin can do everything an agent can
ROLE_RANK = {"agent": 1, "admin": 2}


def hash_token(token: str) -> str:
    # aiohttp decodes header bytes that are not UTF-8 as surrogates: hashed with them (surrogatepass), a
    # garbled token is an unknown token (401), not an encoding error (500).
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    return "kr_" + secrets.token_urlsafe(32)


USERS_TOPIC = "users"  # bus events about users: {"user_id": …, "event": "token_rotated"}


def rotate_token(user: User) -> str:
    """Give `user` a new API token (returned, never stored); the old one stops working at once. Open agent
    console sockets opened with it are closed by whoever publishes `USERS_TOPIC` after the commit."""
    token = new_token()
    user.token_hash = hash_token(token)
    return token


async def create_user(
    session: AsyncSession,
    name: str,
    role: str,
    *,
    team: str | None = None,
    capacity: int | None = None,
    token: str | None = None,
) -> tuple[User, str]:
    """Create a user; returns the plain token, which is never stored."""
    if role not in ROLES:
        raise ValidationError(f"role must be one of {', '.join(ROLES)}")
    name = name.strip()
    if not name:
        raise ValidationError("a user needs a name")
    if await session.scalar(select(User).where(User.name == name)) is not None:
        raise ConflictError(f"a user named {name!r} exists already")
    token = token or new_token()
    user = User(name=name, role=role, token_hash=hash_token(token), team=team, capacity=capacity)
    session.add(user)
    await session.flush()
    return user, token


async def authenticate(session: AsyncSession, token: str | None) -> User:
    if not token:
        raise UnauthorizedError("missing API token: send 'Authorization: Bearer TOKEN'")
    digest = hash_token(token)
    user = await session.scalar(select(User).where(User.token_hash == digest))
    if user is None or not hmac.compare_digest(user.token_hash, digest):
        raise UnauthorizedError("invalid API token")
    return user


def check_role(user: User, role: str) -> None:
    if ROLE_RANK.get(user.role, 0) < ROLE_RANK[role]:
        raise PermissionDeniedError(f"this needs the {role} role")

"""router/auth.py on a migrated SQLite database: users and their tokens (only a hash is stored), and roles."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config import ConflictError, PermissionDeniedError, UnauthorizedError, ValidationError
from router.auth import authenticate, check_role, create_user, hash_token, new_token
from router.models import User


async def test_a_users_token_authenticates_it_and_only_its_hash_is_stored(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        user, token = await create_user(session, "  agnes ", "agent", team="support", capacity=3)
        assert user.name == "agnes" and token.startswith("kr_") and len(token) > 40
    async with sessions() as session:
        stored = await session.scalar(select(User).where(User.name == "agnes"))
        assert (
            stored is not None and stored.token_hash == hash_token(token) and token not in stored.token_hash
        )
        assert (await authenticate(session, token)).id == user.id
        with pytest.raises(UnauthorizedError, match="invalid"):
            await authenticate(session, token + "x")
        with pytest.raises(UnauthorizedError, match="missing"):
            await authenticate(session, None)
        with pytest.raises(UnauthorizedError, match="missing"):
            await authenticate(session, "")


async def test_bad_users_are_refused(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        await create_user(session, "ada", "admin", token="given-token")
        with pytest.raises(ConflictError):
            await create_user(session, "ada", "agent")
        with pytest.raises(ValidationError):
            await create_user(session, "bo", "superuser")
        with pytest.raises(ValidationError):
            await create_user(session, "   ", "agent")
        assert (await authenticate(session, "given-token")).name == "ada"


def test_tokens_are_new_each_time_and_hashes_are_stable() -> None:
    assert new_token() != new_token()
    assert hash_token("a") == hash_token("a") != hash_token("b")
    assert len(hash_token("a")) == 64


def test_roles_rank_admin_over_agent() -> None:
    admin, agent = User(name="a", role="admin"), User(name="b", role="agent")
    check_role(admin, "agent")
    check_role(admin, "admin")
    check_role(agent, "agent")
    with pytest.raises(PermissionDeniedError):
        check_role(agent, "admin")
    with pytest.raises(PermissionDeniedError):
        check_role(User(name="c", role="retired"), "agent")

"""Kept for imports: the shared HTTP helpers live in `router.web`."""

from router.web import (
    bearer,
    current_user,
    error_middleware,
    path_id,
    read_json,
    read_object,
    requires,
    user_of,
)

__all__ = [
    "bearer",
    "current_user",
    "error_middleware",
    "path_id",
    "read_json",
    "read_object",
    "requires",
    "user_of",
]

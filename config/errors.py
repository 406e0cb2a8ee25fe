"""The one error tree of Kundresa. Every package raises subclasses of `KundresaError`."""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ConflictError",
    "ImportFormatError",
    "KundresaError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "TooLargeError",
    "UnauthorizedError",
    "UnavailableError",
    "ValidationError",
]


class KundresaError(Exception):
    """Base of every error Kundresa raises on purpose. `code` and `status` shape the HTTP answer."""

    code = "error"
    status = 500

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class ConfigError(KundresaError):
    code = "config_error"


class ValidationError(KundresaError):
    code = "invalid_request"
    status = 400


class ImportFormatError(ValidationError):
    """A bad import file; names the file and line so the user can fix it."""

    code = "bad_import_file"

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


class TooLargeError(ValidationError):
    code = "too_large"
    status = 413


class NotFoundError(KundresaError):
    code = "not_found"
    status = 404


class ConflictError(KundresaError):
    code = "conflict"
    status = 409


class UnauthorizedError(KundresaError):
    code = "unauthorized"
    status = 401


class PermissionDeniedError(KundresaError):
    code = "forbidden"
    status = 403


class RateLimitedError(KundresaError):
    """Too many of something from one client in a window: try again in a moment."""

    code = "rate_limited"
    status = 429


class UnavailableError(KundresaError):
    """A part the request needs is not running (not started yet, or shutting down): try again later."""

    code = "unavailable"
    status = 503

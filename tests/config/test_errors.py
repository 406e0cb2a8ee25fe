"""config/errors.py: every error Kundresa raises on purpose carries its HTTP status and a stable code."""

from __future__ import annotations

import pytest

from config import (
    ConfigError,
    ConflictError,
    ImportFormatError,
    KundresaError,
    NotFoundError,
    PermissionDeniedError,
    TooLargeError,
    UnauthorizedError,
    UnavailableError,
    ValidationError,
)


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (KundresaError, 500, "error"),
        (ConfigError, 500, "config_error"),
        (ValidationError, 400, "invalid_request"),
        (TooLargeError, 413, "too_large"),
        (NotFoundError, 404, "not_found"),
        (ConflictError, 409, "conflict"),
        (UnauthorizedError, 401, "unauthorized"),
        (PermissionDeniedError, 403, "forbidden"),
        (UnavailableError, 503, "unavailable"),
    ],
)
def test_status_and_code(error: type[KundresaError], status: int, code: str) -> None:
    raised = error("what went wrong")
    assert isinstance(raised, KundresaError)
    assert (raised.status, raised.code, raised.message, str(raised)) == (
        status,
        code,
        "what went wrong",
        "what went wrong",
    )
    assert error("x", code="more_precise").code == "more_precise"
    assert error.code == code, "a code given to one error never changes its class"


def test_an_import_format_error_names_the_file_and_line() -> None:
    err = ImportFormatError("kb/faq.csv", 12, "no title")
    assert (err.status, err.code) == (400, "bad_import_file")
    assert err.message == "kb/faq.csv:12: no title"
    assert ImportFormatError("kb.jsonl", None, "empty").message == "kb.jsonl: empty"

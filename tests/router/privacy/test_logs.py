"""router/privacy/logs.py: query values in access-log lines are written as `…` but for a few harmless ones,
whichever logger writes the line (the app's own access log: tests/bot/test_logs.py)."""

from __future__ import annotations

import logging

import pytest

from router.privacy.logs import RedactQueryValues, drop_query_strings, redact_query


def test_redact_query_keeps_keys_and_plain_values() -> None:
    items = [
        ("visitor", "v-1"),
        ("email", "kim@example.com"),
        ("lang", "sv"),
        ("token", "kr_x"),
        ("limit", "5"),
    ]
    assert redact_query(items) == "visitor=…&email=…&lang=sv&token=…&limit=5"
    assert redact_query([("a b", "c&d"), ("status", "open&x")]) == "a%20b=…&status=open%26x"


def test_the_filter_rewrites_request_lines_and_leaves_others(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.privacy.access")
    logger.addFilter(RedactQueryValues())
    try:
        with caplog.at_level(logging.INFO, logger=logger.name):
            # as aiohttp's access logger writes it: formatted already, no arguments
            logger.info(
                '127.0.0.1 "GET /api/customers/lookup?email=kim%40example.com&lang=en HTTP/1.1" 200 12'
            )
            logger.info("no request here? %s", "kim@example.com")
        first, second = (r.getMessage() for r in caplog.records)
        assert first == '127.0.0.1 "GET /api/customers/lookup?email=…&lang=en HTTP/1.1" 200 12'
        assert second == "no request here? kim@example.com"  # not a request line: left as it is
    finally:
        logger.filters.clear()


def test_drop_query_strings_installs_the_filter_once() -> None:
    name = "test.privacy.once"
    drop_query_strings([name])
    drop_query_strings([name])
    assert sum(isinstance(f, RedactQueryValues) for f in logging.getLogger(name).filters) == 1
    logging.getLogger(name).filters.clear()

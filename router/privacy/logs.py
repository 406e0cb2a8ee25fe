"""Keep personal data and secrets out of the access log: query values (`/ws/chat?…&email=…`,
`/agent/ws?token=…`, `/api/customers/lookup?email=…`) are written as `…`, except a few that can hold
neither a secret nor a person. `bot.logs.AccessLogger` writes its lines this way; the filter here does
the same to lines any other access logger writes (a test server's, another runner's)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote

__all__ = ["PLAIN_PARAMS", "RedactQueryValues", "drop_query_strings", "redact_query"]

# Query parameters whose values are shown in the access log: none of them can hold a secret or a person.
PLAIN_PARAMS = frozenset(
    {"v", "lang", "status", "limit", "offset", "page", "after", "team", "format", "days"}
)
_REQUEST_LINE = re.compile(r'("?[A-Z]+ [^ ?"]*)\?([^ "]*)')


def redact_query(items: Iterable[tuple[str, str]]) -> str:
    """`key=value&…` with every value but the plain ones written as `…`."""
    return "&".join(
        f"{quote(key, safe='')}={quote(value, safe='') if key in PLAIN_PARAMS else '…'}"
        for key, value in items
    )


class RedactQueryValues(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "?" in message:
            redacted = _REQUEST_LINE.sub(
                lambda m: f"{m.group(1)}?{redact_query(parse_qsl(m.group(2), keep_blank_values=True))}",
                message,
            )
            record.msg, record.args = redacted, None
        return True


def drop_query_strings(logger_names: Iterable[str] = ("aiohttp.access",)) -> None:
    """Install the filter once per logger (the app calls this on start; a second call changes nothing).
    Not on `kundresa.access`: `bot.logs.AccessLogger` writes its lines redacted already."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactQueryValues) for f in logger.filters):
            logger.addFilter(RedactQueryValues())

"""Keep personal data out of the access log: query strings (`/ws/chat?…&email=…`, `/api/customers/lookup?
email=…`) are cut from each `aiohttp.access` line before it is written. Paths carry ids only."""

from __future__ import annotations

import logging
import re

_QUERY = re.compile(r'("[A-Z]+ [^ ?"]*)\?[^ "]*')


class DropQueryStrings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "?" in message:
            record.msg, record.args = _QUERY.sub(r"\1?…", message), None
        return True


def drop_query_strings(logger_name: str = "aiohttp.access") -> None:
    """Install the filter once (the app calls this on start; a second call changes nothing)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, DropQueryStrings) for f in logger.filters):
        logger.addFilter(DropQueryStrings())

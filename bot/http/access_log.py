"""The access log without credentials: query values that prove who someone is are written as `REDACTED`.

The agent console no longer puts its token in the URL (it sends it in the socket's first frame), but an
old client, or a script, still may: the server refuses it, and this keeps it out of the log all the same.
The chat widget's `sig`, `email_sig` and `vip_sig` are in its socket's URL by protocol (SPEC.md): each one
lets whoever reads it speak as that customer, so they are never logged either.
"""

from __future__ import annotations

from aiohttp.abc import BaseRequest
from aiohttp.web_log import AccessLogger
from aiohttp.web_response import StreamResponse

__all__ = ["SENSITIVE_QUERY_KEYS", "RedactingAccessLogger"]

SENSITIVE_QUERY_KEYS = frozenset({"token", "ticket", "sig", "email_sig", "vip_sig"})


class RedactingAccessLogger(AccessLogger):
    """aiohttp's access logger (same format), with `SENSITIVE_QUERY_KEYS` values replaced."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        if request is not None and not SENSITIVE_QUERY_KEYS.isdisjoint(request.query):
            redacted = request.rel_url.with_query(
                [(k, "REDACTED" if k in SENSITIVE_QUERY_KEYS else v) for k, v in request.query.items()]
            )
            try:
                request = request.clone(rel_url=redacted)
            except RuntimeError:  # the body was read: log the path alone
                request = request.clone(rel_url=request.rel_url.with_query(None))
        super().log(request, response, time)

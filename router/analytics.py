"""Admin analytics: `GET /api/stats` (per day and in total) and the knowledge-gap report `GET /api/gaps`.

Everything is UTC. A day's numbers:

- `conversations`: conversations with at least one customer message that day;
- `answered` / `clarified`: answers and clarifying questions the bot sent;
- `handed_off`: handoffs the bot announced, once per ticket (a customer pressing "talk to a person"
  again while waiting is not another handoff);
- `bot_resolved` and `bot_resolution_rate`: of those conversations, the ones with neither a handoff nor
  a new ticket that day (`null` when there were no conversations);
- `tickets_opened`, `median_first_response_seconds` (over tickets opened that day that an agent has
  answered: first agent reply minus ticket creation), `first_responses` (how many that median covers);
- `tickets_resolved`, `csat_average`, `csat_count` (tickets resolved that day, and the CSAT they got).

`totals` use the same definitions over the whole range, so a conversation active on two days counts once
in the total. Numbers are computed in Python from queries scoped to the range: plenty at this scale.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import select

from config import ValidationError
from infra.app_keys import SESSIONS, SETTINGS
from knowledge.gaps import gap_groups
from router.models import Message, Ticket
from router.privacy import audit
from router.privacy.aggregates import add_erased
from router.shop_events.outcomes import rule_outcomes
from router.web import KB, MAX_ID, read_object, requires, user_of

DEFAULT_DAYS = 30
MAX_DAYS = 366
MAX_GAP_IDS = 1000


def _parse_day(raw: str | None, name: str) -> date | None:
    if raw is None or raw == "":
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationError(f"'{name}' must be a date like 2024-05-31", code="invalid_date") from exc


def date_range(query: Any) -> tuple[date, date]:
    """`from` and `to` (both inclusive); by default the last 30 days up to today (UTC)."""
    today = datetime.now(UTC).date()
    end = _parse_day(query.get("to"), "to")
    start = _parse_day(query.get("from"), "from")
    if end is None:
        end = max(today, start) if start is not None else today
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise ValidationError("'from' is after 'to'", code="invalid_date")
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationError(f"at most {MAX_DAYS} days at a time", code="invalid_date")
    return start, end


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _day(ts: datetime) -> date:
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC).date()


class _Bucket:
    """Raw facts for one day (or the whole range); `summary` turns them into the published numbers."""

    def __init__(self) -> None:
        self.conversations: set[int] = set()
        self.handed_off_convs: set[int] = set()
        self.handoffs: set[tuple[int, Any]] = set()
        self.answered = 0
        self.clarified = 0
        self.tickets_opened = 0
        self.first_response: list[float] = []
        self.tickets_resolved = 0
        self.csat: list[int] = []

    def summary(self) -> dict[str, Any]:
        convs = len(self.conversations)
        resolved = len(self.conversations - self.handed_off_convs)
        return {
            "conversations": convs,
            "answered": self.answered,
            "clarified": self.clarified,
            "handed_off": len(self.handoffs),
            "bot_resolved": resolved,
            "bot_resolution_rate": round(resolved / convs, 4) if convs else None,
            "tickets_opened": self.tickets_opened,
            "median_first_response_seconds": (
                round(statistics.median(self.first_response), 1) if self.first_response else None
            ),
            "first_responses": len(self.first_response),
            "tickets_resolved": self.tickets_resolved,
            "csat_average": round(statistics.fmean(self.csat), 2) if self.csat else None,
            "csat_count": len(self.csat),
        }


async def compute_stats(sessions: Any, start: date, end: date) -> dict[str, Any]:
    """The `/api/stats` document for the days `start`..`end` (inclusive, UTC)."""
    lo, hi = _midnight(start), _midnight(end + timedelta(days=1))
    days = {start + timedelta(days=i): _Bucket() for i in range((end - start).days + 1)}
    total = _Bucket()

    def buckets(ts: datetime) -> Iterable[_Bucket]:
        day = days.get(_day(ts))
        return (total,) if day is None else (day, total)

    async with sessions() as session:
        customer = await session.execute(
            select(Message.conversation_id, Message.created_at).where(
                Message.direction == "in",
                Message.author_kind == "customer",
                Message.created_at >= lo,
                Message.created_at < hi,
            )
        )
        for conv_id, ts in customer:
            for b in buckets(ts):
                b.conversations.add(conv_id)
        bot = await session.execute(
            select(Message.conversation_id, Message.kind, Message.created_at).where(
                Message.direction == "out",
                Message.author_kind == "bot",
                Message.kind.in_(("answer", "clarify")),
                Message.created_at >= lo,
                Message.created_at < hi,
            )
        )
        for _conv_id, kind, ts in bot:
            for b in buckets(ts):
                if kind == "answer":
                    b.answered += 1
                else:
                    b.clarified += 1
        handoffs = await session.execute(
            select(Message.id, Message.conversation_id, Message.payload, Message.created_at).where(
                Message.direction == "out",
                Message.kind == "handoff",
                Message.created_at >= lo,
                Message.created_at < hi,
            )
        )
        for msg_id, conv_id, payload, ts in handoffs:
            ticket = (payload or {}).get("ticket")
            key = (conv_id, ticket if ticket is not None else f"message-{msg_id}")
            for b in buckets(ts):
                b.handoffs.add(key)
                b.handed_off_convs.add(conv_id)
        opened = await session.execute(
            select(Ticket.conversation_id, Ticket.created_at, Ticket.first_response_at).where(
                Ticket.created_at >= lo, Ticket.created_at < hi
            )
        )
        for conv_id, created, first in opened:
            for b in buckets(created):
                b.tickets_opened += 1
                b.handed_off_convs.add(conv_id)
                if first is not None:
                    b.first_response.append(max(0.0, (first - created).total_seconds()))
        resolved = await session.execute(
            select(Ticket.resolved_at, Ticket.csat).where(
                Ticket.resolved_at.is_not(None), Ticket.resolved_at >= lo, Ticket.resolved_at < hi
            )
        )
        for resolved_at, csat in resolved:
            for b in buckets(resolved_at):
                b.tickets_resolved += 1
                if csat is not None:
                    b.csat.append(int(csat))
        await add_erased(session, start.isoformat(), end.isoformat(), buckets)  # erased conversations
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "timezone": "UTC",
        "totals": total.summary(),
        "days": [{"date": day.isoformat(), **bucket.summary()} for day, bucket in days.items()],
    }


@requires("admin")
async def stats(request: web.Request) -> web.Response:
    start, end = date_range(request.query)
    data = await compute_stats(request.app[SESSIONS], start, end)
    async with request.app[SESSIONS]() as session:  # proactive offers' outcomes, per rule (README)
        data["proactive"] = await rule_outcomes(
            session,
            _midnight(start),
            _midnight(end + timedelta(days=1)),
            request.app[SETTINGS].proactive.outcome_minutes,
        )
    return web.json_response(data)


def _since(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationError(
            "'since' must be a date (2024-05-31) or a timestamp", code="invalid_date"
        ) from exc
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@requires("admin")
async def gaps(request: web.Request) -> web.Response:
    raw_limit = request.query.get("limit", "50")
    try:
        limit = int(raw_limit)
    except ValueError as exc:
        raise ValidationError("'limit' must be a number") from exc
    if not 1 <= limit <= 500:
        raise ValidationError("'limit' must be between 1 and 500")
    groups = await gap_groups(request.app[KB], since=_since(request.query.get("since")), limit=limit)
    return web.json_response({"groups": groups, "count": len(groups)})


@requires("admin")
async def gaps_handled(request: web.Request) -> web.Response:
    """Mark gap questions handled; naming an article adds them to it as example questions."""
    body = await read_object(request)
    ids = body.get("ids")
    if (
        not isinstance(ids, list)
        or not ids
        or not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i <= MAX_ID for i in ids)
    ):
        raise ValidationError("'ids' must be a non-empty list of gap question ids")
    if len(ids) > MAX_GAP_IDS:
        raise ValidationError(f"at most {MAX_GAP_IDS} ids at a time")
    article = body.get("article")
    if article is not None and (not isinstance(article, str) or not article.strip()):
        raise ValidationError("'article' must be an article slug")
    result = await request.app[KB].mark_gaps_handled(
        ids, article.strip() if article else None, author=user_of(request).name
    )
    details = {"gap_questions": len(ids), "article": article.strip() if article else None}
    await audit.log(request.app[SESSIONS], audit.by(user_of(request)), "gaps.handled", "gaps", None, details)
    return web.json_response(result)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/stats", stats)
    app.router.add_get("/api/gaps", gaps)
    app.router.add_post("/api/gaps/handled", gaps_handled)

"""Root causes: `GET /api/insights?from=&to=` (admin) — where customers get hurt, per article, per tag and
per page step, over time; and the unanswered questions grouped by need across languages
(`router.insights_groups`), each with the draft article it is one click from.

Per row (an article — its language versions count as one, under the root's slug —, a tag, or a page
`step` from the widget's context):

- `questions`: questions that led to the bot's answer with the article, a clarify offering it, or a handoff
  where it was the bot's best guess (for a step: every customer message sent on that step);
- `answered`, `clarified`, `handed_off`, `thumbs_down` (👎 on its answer), `csat_after_handoff` (average of
  the CSAT of tickets resolved in the range, attributed like the handoff) with `csat_count`;
- `payment_events`: `payment_failed` shop events (a step: the event's page step, else `payment`; an
  article: the events a proactive rule offered it for, hold-outs included);
- `customers_hurt`: distinct customers handed off, giving 👎, rating a handoff 1-2 or failing a payment
  there; `hurt_first_half` / `hurt_second_half` split the range in two, and `rising` is true when the
  second half has more of them than the first, and at least two;
- `series`: per day (per ISO week for ranges over 31 days) `questions` and `hurt`.

Rows are ranked by customers hurt, then rising, then questions. Everything is UTC.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import select

from config import Settings
from infra.app_keys import SESSIONS, SETTINGS
from knowledge import KnowledgeBase
from knowledge.models import GapQuestion
from knowledge.translations import group_of
from router.analytics import date_range
from router.insights_groups import Question, group_json, group_questions
from router.models import Conversation, Feedback, Message, ProactiveOffer, ShopEvent, Ticket
from router.shop_events.catalog import PAYMENT_FAILED
from router.shop_events.rules import effective_rules
from router.web import KB, requires

__all__ = ["add_routes", "compute_insights"]

MAX_ROWS = 50
MAX_GROUPS = 30
COUNTS = ("questions", "answered", "clarified", "handed_off", "thumbs_down", "payment_events")


class _Row:
    def __init__(self) -> None:
        self.n: defaultdict[str, int] = defaultdict(int)
        self.csat: list[int] = []
        self.hurt: dict[int, datetime] = {}  # customer -> first time hurt
        self.series: defaultdict[date, list[int]] = defaultdict(lambda: [0, 0])
        self.hurt_by_bucket: defaultdict[date, set[int]] = defaultdict(set)


class _Table:
    """Rows of one dimension (articles, tags or steps), keyed by name."""

    def __init__(self, bucket: Any, mid: datetime) -> None:
        self.rows: defaultdict[str, _Row] = defaultdict(_Row)
        self.bucket, self.mid = bucket, mid

    def count(self, key: str, what: str, at: datetime, n: int = 1) -> None:
        row = self.rows[key]
        row.n[what] += n
        if what == "questions":
            row.series[self.bucket(at)][0] += n

    def hurt(self, key: str, customer: int | None, at: datetime) -> None:
        if customer is None:
            return
        row = self.rows[key]
        row.hurt.setdefault(customer, at)
        row.hurt_by_bucket[self.bucket(at)].add(customer)
        row.hurt[customer] = min(row.hurt[customer], at)

    def json(self, extra: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        out = []
        for key, row in self.rows.items():
            first = sum(1 for at in row.hurt.values() if at < self.mid)
            second = len(row.hurt) - first
            days = sorted(set(row.series) | set(row.hurt_by_bucket))
            out.append(
                {
                    "key": key,
                    **(extra or {}).get(key, {}),
                    **{c: row.n[c] for c in COUNTS},
                    "csat_after_handoff": round(sum(row.csat) / len(row.csat), 2) if row.csat else None,
                    "csat_count": len(row.csat),
                    "customers_hurt": len(row.hurt),
                    "hurt_first_half": first,
                    "hurt_second_half": second,
                    "rising": second > first and second >= 2,
                    "series": [
                        {
                            "start": d.isoformat(),
                            "questions": row.series[d][0],
                            "hurt": len(row.hurt_by_bucket[d]),
                        }
                        for d in days
                    ],
                }
            )
        out.sort(key=lambda r: (-r["customers_hurt"], not r["rising"], -r["questions"], r["key"]))
        return out[:MAX_ROWS]


def _aware(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts


async def compute_insights(
    sessions: Any, kb: KnowledgeBase, start: date, end: date, settings: Settings | None = None
) -> dict[str, Any]:
    lo = datetime.combine(start, time(0), tzinfo=UTC)
    hi = datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC)
    weekly = (end - start).days + 1 > 31

    def bucket(at: datetime) -> date:
        day = _aware(at).astimezone(UTC).date()
        return day - timedelta(days=day.weekday()) if weekly else day

    mid = lo + (hi - lo) / 2
    articles, tags, steps = _Table(bucket, mid), _Table(bucket, mid), _Table(bucket, mid)
    index = {a.slug: a for a in kb.index.articles}
    root_of = {a.slug: group_of(a) for a in index.values()}

    def on_article(slug: Any, what: str, at: datetime, customer: int | None, hurt: bool) -> None:
        if not isinstance(slug, str) or not slug:
            return
        root = root_of.get(slug, slug)
        articles.count(root, what, at)
        if hurt:
            articles.hurt(root, customer, at)
        article = index.get(slug)
        for tag in (article.tags if article is not None else ()) or ():
            tags.count(str(tag), what, at)
            if hurt:
                tags.hurt(str(tag), customer, at)

    async with sessions() as session:
        rows = (
            await session.execute(
                select(Message.conversation_id, Message.kind, Message.author_kind, Message.payload)
                .add_columns(Message.context, Message.created_at)
                .where(
                    Message.created_at >= lo,
                    Message.created_at < hi,
                    Message.internal.is_(False),
                    Message.kind.in_(("message", "answer", "clarify", "handoff")),
                )
                .order_by(Message.conversation_id, Message.seq)
            )
        ).all()
        conv_ids = {r.conversation_id for r in rows}
        feedback = (
            await session.execute(
                select(Feedback.conversation_id, Feedback.article_slug, Feedback.created_at).where(
                    Feedback.helpful.is_(False), Feedback.created_at >= lo, Feedback.created_at < hi
                )
            )
        ).all()
        conv_ids |= {f.conversation_id for f in feedback}
        tickets = list(
            await session.scalars(
                select(Ticket).where(
                    (Ticket.created_at >= lo) & (Ticket.created_at < hi)
                    | (Ticket.resolved_at >= lo) & (Ticket.resolved_at < hi)
                )
            )
        )
        customer_of = (
            dict(
                (
                    await session.execute(
                        select(Conversation.id, Conversation.customer_id).where(Conversation.id.in_(conv_ids))
                    )
                ).all()
            )
            if conv_ids
            else {}
        )
        events = list(
            await session.scalars(
                select(ShopEvent).where(
                    ShopEvent.name == PAYMENT_FAILED, ShopEvent.created_at >= lo, ShopEvent.created_at < hi
                )
            )
        )
        offered: dict[int, str] = {}  # payment event -> the article a rule offered for it
        if events and settings is not None:
            article_of = {r["key"]: r.get("article") for r in await effective_rules(session, settings)}
            found = await session.execute(
                select(ProactiveOffer.event_id, ProactiveOffer.rule_key).where(
                    ProactiveOffer.event_id.in_([e.id for e in events])
                )
            )
            offered = {
                eid: str(article_of[key]) for eid, key in found if eid is not None and article_of.get(key)
            }
        gaps = list(
            await session.scalars(
                select(GapQuestion)
                .where(
                    GapQuestion.handled.is_(False), GapQuestion.created_at >= lo, GapQuestion.created_at < hi
                )
                .order_by(GapQuestion.created_at)
            )
        )
    ticket_by_id = {t.id: t for t in tickets}
    step_of: dict[int, str] = {}  # a conversation's page step, as its latest customer message said
    for r in rows:
        customer = customer_of.get(r.conversation_id)
        payload, at = r.payload or {}, _aware(r.created_at)
        if r.kind == "message" and r.author_kind == "customer":
            step_of[r.conversation_id] = str((r.context or {}).get("step") or "none")[:60]
            steps.count(step_of[r.conversation_id], "questions", at)
            continue
        step = step_of.get(r.conversation_id, "none")
        if r.kind == "answer":
            on_article((payload.get("article") or {}).get("slug"), "questions", at, customer, False)
            on_article((payload.get("article") or {}).get("slug"), "answered", at, customer, False)
            steps.count(step, "answered", at)
        elif r.kind == "clarify":
            for option in payload.get("options") or []:
                on_article(option.get("slug"), "questions", at, customer, False)
                on_article(option.get("slug"), "clarified", at, customer, False)
            steps.count(step, "clarified", at)
        elif r.kind == "handoff":
            ticket = (
                ticket_by_id.get(payload.get("ticket")) if isinstance(payload.get("ticket"), int) else None
            )
            attempts = (ticket.bot_attempts if ticket is not None else None) or []
            slug = attempts[0].get("slug") if attempts and isinstance(attempts[0], dict) else None
            on_article(slug, "questions", at, customer, False)
            on_article(slug, "handed_off", at, customer, True)
            steps.count(step, "handed_off", at)
            steps.hurt(step, customer, at)
    for f in feedback:
        at, customer = _aware(f.created_at), customer_of.get(f.conversation_id)
        on_article(f.article_slug, "thumbs_down", at, customer, True)
        step = step_of.get(f.conversation_id, "none")
        steps.count(step, "thumbs_down", at)
        steps.hurt(step, customer, at)
    for t in tickets:
        if t.csat is None or t.resolved_at is None or not lo <= _aware(t.resolved_at) < hi:
            continue
        at, bad = _aware(t.resolved_at), t.csat <= 2
        attempts = t.bot_attempts or []
        slug = attempts[0].get("slug") if attempts and isinstance(attempts[0], dict) else None
        step = str((t.context or {}).get("step") or "none")[:60]
        for table, key in ((articles, root_of.get(slug or "", slug)), (steps, step)):
            if key:
                table.rows[key].csat.append(int(t.csat))
                if bad:
                    table.hurt(key, t.customer_id, at)
        article = index.get(slug or "")
        for tag in (article.tags if article is not None else ()) or ():
            tags.rows[str(tag)].csat.append(int(t.csat))
            if bad:
                tags.hurt(str(tag), t.customer_id, at)
    for e in events:
        at, step = _aware(e.created_at), str((e.context or {}).get("step") or "payment")[:60]
        steps.count(step, "payment_events", at)
        steps.hurt(step, e.customer_id, at)
        on_article(offered.get(e.id), "payment_events", at, e.customer_id, True)
    titles = {root: {"title": index[root].title if root in index else root} for root in articles.rows}
    grouped = await group_questions(
        kb, [Question(g.id, g.text, g.reason, _aware(g.created_at), g.conversation_id) for g in gaps]
    )
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "bucket": "week" if weekly else "day",
        "timezone": "UTC",
        "articles": articles.json(titles),
        "tags": tags.json(),
        "steps": steps.json(),
        "unanswered": [group_json(g) for g in grouped[:MAX_GROUPS]],
    }


@requires("admin")
async def insights(request: web.Request) -> web.Response:
    start, end = date_range(request.query)
    app = request.app
    return web.json_response(await compute_insights(app[SESSIONS], app[KB], start, end, app[SETTINGS]))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/insights", insights)

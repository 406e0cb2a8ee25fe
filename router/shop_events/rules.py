"""Proactive rules: the settings file's (`[[proactive.rules]]`) and the admin page's (table
`proactive_rules`); an admin rule with the key of a settings rule overrides it, and deleting the admin
rule brings the settings rule back. Validation is the settings model's, so both kinds obey one schema."""

from __future__ import annotations

import hashlib
from typing import Any

import pydantic
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from config import NotFoundError, Settings, ValidationError
from config.settings import ProactiveRule as RuleSpec
from infra.db import utcnow
from router.models import ProactiveRule
from router.shop_events.catalog import EventIn

__all__ = ["RuleSpec", "delete_rule", "effective_rules", "held_out", "matches", "parse_rule", "save_rule"]

MAX_TEXT = 500


def parse_rule(key: str, body: dict[str, Any]) -> RuleSpec:
    """An admin's rule (JSON body) as a validated spec; ValidationError (400) naming what is wrong."""
    body = {k: v for k, v in body.items() if k not in ("source", "key")}
    try:
        spec = RuleSpec(key=key, **body)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "rule"
        raise ValidationError(f"{where}: {first.get('msg')}", code="invalid_rule") from None
    except TypeError as exc:
        raise ValidationError(str(exc), code="invalid_rule") from None
    for field in ("title", "message"):
        for lang, text in getattr(spec, field).items():
            if len(lang) > 8 or len(text) > MAX_TEXT:
                raise ValidationError(
                    f"{field}.{lang[:8]}: a language code and at most {MAX_TEXT} characters",
                    code="invalid_rule",
                )
    return spec


def _json(spec: RuleSpec, source: str) -> dict[str, Any]:
    return {**spec.model_dump(), "source": source}


async def effective_rules(session: AsyncSession, settings: Settings) -> list[dict[str, Any]]:
    """Every rule in force, settings first (in file order), then admin-only ones by key; each with
    `source`: settings | admin (an admin rule overriding a settings one says `overrides: true`)."""
    rows = {r.key: r for r in await session.scalars(select(ProactiveRule))}
    out: list[dict[str, Any]] = []
    for spec in settings.proactive.rules:
        row = rows.pop(spec.key, None)
        if row is None:
            out.append(_json(spec, "settings"))
        else:
            out.append({**_json(RuleSpec(key=row.key, **row.spec), "admin"), "overrides": True})
    for key in sorted(rows):
        out.append({**_json(RuleSpec(key=key, **rows[key].spec), "admin"), "overrides": False})
    return out


async def save_rule(session: AsyncSession, spec: RuleSpec, author: str | None) -> bool:
    """Create or replace the admin rule `spec.key`; True when it is new."""
    row = await session.scalar(select(ProactiveRule).where(ProactiveRule.key == spec.key))
    data = spec.model_dump(exclude={"key"})
    if row is None:
        session.add(ProactiveRule(key=spec.key, spec=data, updated_by=author))
        return True
    row.spec, row.updated_by, row.updated_at = data, author, utcnow()
    return False


async def delete_rule(session: AsyncSession, key: str) -> None:
    row = await session.scalar(select(ProactiveRule).where(ProactiveRule.key == key))
    if row is None:
        raise NotFoundError(f"no admin rule {key!r} (a settings-file rule is turned off with enabled: false)")
    await session.delete(row)


def matches(rule: dict[str, Any], event: EventIn) -> bool:
    if not rule.get("enabled", True) or rule.get("event") != event.name:
        return False
    reasons = rule.get("reasons") or []
    return not reasons or event.reason in reasons


def held_out(customer_id: int, share: float) -> bool:
    """Whether the customer is in the hold-out group: fixed per customer (a hash), `share` of them."""
    if share <= 0:
        return False
    digest = hashlib.sha256(f"kundresa-holdout:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < share

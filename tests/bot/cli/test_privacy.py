"""`kundresa customer export|erase` and `kundresa retention run` on a database the real app wrote."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot import cli
from infra.app_keys import SESSIONS, SETTINGS
from infra.db import utcnow
from knowledge.models import GapQuestion
from router.models import AuditEntry, Customer
from tests.privacy_helpers import web_customer

QUESTION = "Hur tvättar jag min Glimmerduk efter köpet?"  # the demo KB cannot answer it
USER, EMAIL = "cli-user-5", "cli.kund@example.com"


class Run:
    def __init__(
        self, app_client: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("KUNDRESA_DATABASE__URL", app_client.app[SETTINGS].database.url)
        monkeypatch.setenv("KUNDRESA_DEMO", "false")
        self.capsys, self.monkeypatch = capsys, monkeypatch

    async def __call__(self, *argv: str, **env: str) -> tuple[int, str, str]:
        for key, value in env.items():
            self.monkeypatch.setenv(key, value)
        self.capsys.readouterr()
        code = await asyncio.to_thread(cli.main, list(argv))  # the command runs its own event loop
        out, err = self.capsys.readouterr()
        return code, out, err


async def test_customer_export_and_erase(
    app_client: Any,
    admin_headers: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cid, _ = await web_customer(app_client, admin_headers, QUESTION, user=USER, email=EMAIL)
    run = Run(app_client, capsys, monkeypatch)

    code, out, _ = await run("customer", "export", "--email", EMAIL)
    assert code == 0
    data = json.loads(out)
    assert data["customer"]["id"] == cid and data["customer"]["email"] == EMAIL
    assert QUESTION in [m["text"] for c in data["conversations"] for m in c["messages"]]
    code, out, _ = await run(
        "customer",
        "export",
        str(cid),
        "--out",
        str(app_client.app[SETTINGS].database.url.split("///")[1]) + ".json",
    )
    assert code == 0 and out == ""

    code, _, err = await run("customer", "export", "999999")
    assert (code, err.strip()) == (2, "kundresa: no customer 999999")
    code, _, err = await run("customer", "export", str(cid), "--email", EMAIL)
    assert code == 2 and "exactly one" in err
    code, _, err = await run("customer", "erase", str(cid))
    assert code == 2 and "--yes" in err
    code, _, err = await run("customer", "erase", str(cid), "--yes", "--keep-as", "nonsense")
    assert code == 2 and "--keep-as" in err

    code, out, _ = await run("customer", "erase", "--user-id", USER, "--dry-run")
    assert code == 0 and json.loads(out)["dry_run"] is True and json.loads(out)["tickets"] == 1
    code, out, _ = await run("customer", "erase", "--user-id", USER, "--yes")
    report = json.loads(out)
    assert code == 0 and report["dry_run"] is False and report["customers"] == [cid]
    async with app_client.app[SESSIONS]() as session:
        assert await session.get(Customer, cid) is None
        entries = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        assert [(e.action, e.target_id) for e in entries] == [
            ("customer.export", str(cid)),
            ("customer.export", str(cid)),
            ("customer.erase", str(cid)),
        ]
        assert all(e.actor.startswith("cli:") for e in entries)


async def test_retention_run_dry_run_then_run(
    app_client: Any,
    admin_headers: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await web_customer(app_client, admin_headers, QUESTION)
    run = Run(app_client, capsys, monkeypatch)
    code, out, err = await run("retention", "run", "--dry-run")
    assert code == 0 and "kept" in err
    assert out.split("\n")[0].split() == ["would", "remove", "0", "conversations"]

    # The gap question is 200 days old: due with gaps_days = 90 (the conversation is recent and stays).
    async with app_client.app[SESSIONS]() as session, session.begin():
        await session.execute(update(GapQuestion).values(created_at=utcnow() - timedelta(days=200)))
    env = {"KUNDRESA_RETENTION__GAPS_DAYS": "90", "KUNDRESA_RETENTION__CONVERSATIONS_DAYS": "90"}
    code, out, _ = await run("retention", "run", "--dry-run", "--json", **env)
    assert code == 0 and json.loads(out) == {
        "dry_run": True,
        "removed": {"conversations": 0, "messages": 0, "customers": 0, "tickets": 0, "gap_questions": 1},
    }
    code, out, _ = await run("retention", "run")
    assert code == 0 and "removed       1 gap questions" in out
    async with app_client.app[SESSIONS]() as session:
        assert await session.scalar(select(func.count()).select_from(GapQuestion)) == 0


async def test_user_add_is_audited(
    app_client: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run = Run(app_client, capsys, monkeypatch)
    code, out, _ = await run("user", "add", "dora", "--role", "admin")
    assert code == 0 and out.strip().startswith("kr_")
    async with app_client.app[SESSIONS]() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "user.create"))
        assert entry is not None and entry.actor.startswith("cli:") and entry.details == {"role": "admin"}

"""router/privacy/learned.py through the erasure API: "keep as" rewrites of learned example questions are
checked for personal data and kept, the originals removed from the articles, their versions and the index."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from config import ValidationError
from infra.app_keys import SESSIONS
from knowledge.models import Article, ArticleVersion, ExampleQuestion
from router.models import ChannelIdentity, Customer
from router.privacy.learned import check_rewrite
from router.privacy.subject import Subject
from router.web import KB
from tests.privacy_helpers import ARTICLE, QUESTION, error_of, web_customer


async def test_keep_as_keeps_a_rewritten_example_and_no_personal_data(
    app_client: Any, admin_headers: dict[str, str]
) -> None:
    cid, _ = await web_customer(
        app_client, admin_headers, QUESTION, user="anna-bergqvist", email="anna@example.com", learn=ARTICLE
    )
    resp = await app_client.get(f"/api/customers/{cid}/export", headers=admin_headers)
    [learned] = (await resp.json())["learned_examples"]
    assert learned["text"] == QUESTION
    url, eid = f"/api/customers/{cid}", str(learned["id"])
    refused = {
        "Varför blinkar automaten rött vid köp 2024?": "personal_data",  # a number
        "Skriv till anna@example.com om automaten": "personal_data",  # an email
        "Varför blinkar Bergqvists automat rött?": "personal_data",  # a word of the customer's identity
        "  varför blinkar QUUXOMATEN rött när jag betalar? ": "not_rewritten",  # their own words
        "": "invalid_request",
    }
    for text, code in refused.items():
        error = await error_of(
            await app_client.delete(url, json={"keep_as": {eid: text}}, headers=admin_headers), 400
        )
        assert error["code"] == code, (text, error)
    error = await error_of(
        await app_client.delete(url, json={"keep_as": {"123456": "Hur?"}}, headers=admin_headers), 400
    )
    assert error["code"] == "unknown_example"
    async with app_client.app[SESSIONS]() as session:
        assert await session.get(Customer, cid) is not None  # a refused erasure erases nothing

    rewrite = "Varför blinkar betalautomaten rött?"
    resp = await app_client.delete(url, json={"keep_as": {eid: rewrite}}, headers=admin_headers)
    report = await resp.json()
    assert resp.status == 200, report
    assert (report["learned_examples_kept"], report["learned_examples_removed"]) == (1, 0)
    async with app_client.app[SESSIONS]() as session:
        article = await session.scalar(select(Article).where(Article.slug == ARTICLE))
        assert article is not None
        rows = list(
            await session.scalars(select(ExampleQuestion).where(ExampleQuestion.article_id == article.id))
        )
        assert [(q.text, q.source) for q in rows if q.text == rewrite] == [(rewrite, "admin")]
        assert QUESTION not in [q.text for q in rows]
        versions = list(
            await session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article.id))
        )
        assert any(rewrite in v.snapshot["questions"] for v in versions)
        assert not any(QUESTION in json.dumps(v.snapshot, ensure_ascii=False) for v in versions)
    indexed = app_client.app[KB].index.by_slug[ARTICLE].questions
    assert rewrite in indexed and QUESTION not in indexed


def _subject() -> Subject:
    customer = Customer(id=5, name="Anna Bergqvist", email="anna.b@example.com")
    web = ChannelIdentity(customer_id=5, kind="web_user", external_id="anna-bergqvist")
    return Subject(5, [customer], [web], [], [], [], texts={"Min order från Plupp kom aldrig"})


def test_check_rewrite_accepts_a_real_rewrite_and_tidies_its_spaces() -> None:
    assert check_rewrite("  Varför blinkar\nautomaten? ", QUESTION, _subject()) == "Varför blinkar automaten?"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "invalid_request"),
        (None, "invalid_request"),
        ("x" * 2001, "invalid_request"),  # MAX_REWRITE
        (QUESTION.upper(), "not_rewritten"),
        ("min order  från plupp kom ALDRIG", "not_rewritten"),  # another of their own texts
        ("Beställning 2 kom inte", "personal_data"),
        ("Mejla x@y.se om paketet", "personal_data"),
        ("Annas paket kom inte", "personal_data"),  # the name inside a word
        ("Varför svarar inte bergqvist-butiken?", "personal_data"),
    ],
)
def test_check_rewrite_refuses_what_may_still_identify_them(text: object, code: str) -> None:
    with pytest.raises(ValidationError) as refused:
        check_rewrite(text, QUESTION, _subject())
    assert refused.value.code == code


def test_an_email_domain_is_not_personal() -> None:
    assert check_rewrite("Har example-butiken Swish?", QUESTION, _subject()) == "Har example-butiken Swish?"

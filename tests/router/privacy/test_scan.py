"""router/privacy/scan.py: which queued payloads mention a customer (ids, lanes, names, texts)."""

from __future__ import annotations

from router.models import ChannelIdentity, Customer
from router.privacy.scan import Matcher
from router.privacy.subject import Subject


def subject() -> Subject:
    customer = Customer(id=5, name="Kim Kund", email="kim@example.com")
    slack = ChannelIdentity(customer_id=5, kind="slack_user", external_id="U_KIM")
    return Subject(
        5,
        [customer],
        [slack],
        conversation_ids=[11],
        ticket_ids=[21],
        gap_ids=[],
        texts={'säg "hej"\ntill mig'},
    )


def test_matches_by_ids_lanes_names_and_texts() -> None:
    matcher = Matcher(subject())
    assert matcher.matches("conversation:11", {})
    assert matcher.matches("user:U_KIM", {})
    assert matcher.matches(None, {"conversation_id": 11})
    assert matcher.matches(None, {"data": {"ticket": 21}})
    assert matcher.matches(None, {"customer_id": 5})
    assert matcher.matches(None, {"event": {"user": {"name": "Kim Kund"}}})
    # a text is found as JSON escapes it inside a payload
    assert matcher.matches(None, {"text": 'säg "hej"\ntill mig'})


def test_other_customers_rows_do_not_match() -> None:
    matcher = Matcher(subject())
    assert not matcher.matches("conversation:111", {"conversation_id": 111, "ticket_id": 210})
    assert not matcher.matches(None, {"customer_id": 55, "text": "hej"})


def test_extra_needles_and_short_names() -> None:
    short = Subject(6, [Customer(id=6, name="Bo")], [], [], [], [])
    assert short.needles() == set()  # "Bo" is too short to mark a row as theirs
    assert not Matcher(short).matches(None, {"text": "Bo Annan"})
    assert Matcher(short, extra={"1700000000.000100"}).matches(None, {"thread_ts": "1700000000.000100"})

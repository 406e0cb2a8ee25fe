"""router.masking._numbers: card numbers (13-19 digits, Luhn) and personnummer among a run's groups."""

from __future__ import annotations

import pytest

from router.masking import MaskResult, luhn_valid, mask_sensitive
from tests.router.masking.cards import VALID_CARDS


@pytest.mark.parametrize("number", VALID_CARDS)
def test_contiguous_card_is_masked_keeping_last_four(number: str) -> None:
    result = mask_sensitive(f"Mitt kort är {number}, vad gör jag?")
    assert result.text == f"Mitt kort är [kort ••••{number[-4:]}], vad gör jag?"
    assert result.masked
    assert result.kinds == ("card",)
    assert number not in result.text


@pytest.mark.parametrize(
    ("written", "last4"),
    [
        ("4111 1111 1111 1111", "1111"),
        ("4111-1111-1111-1111", "1111"),
        ("4012 8888 8888 1881", "1881"),
        ("5555-5555-5555-4444", "4444"),
        ("3782 822463 10005", "0005"),  # Amex 4-6-5
        ("3782-822463-10005", "0005"),
        ("6011 1111 1111 1111 110", "1110"),  # 19 digits, 4-4-4-4-3
        ("4222 2222 2222 2", "2222"),  # 13 digits
        ("4111 1111-1111 1111", "1111"),  # mixed separators
    ],
)
def test_grouped_card_is_masked(written: str, last4: str) -> None:
    result = mask_sensitive(f"card: {written} thanks")
    assert result.text == f"card: [kort ••••{last4}] thanks"
    assert result.kinds == ("card",)


@pytest.mark.parametrize(
    ("written", "last4"),
    [
        ("4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1", "1111"),  # a digit at a time, as some type it on a phone
        ("5-5-5-5-5-5-5-5-5-5-5-5-4-4-4-4", "4444"),
        ("41 11 11 11 11 11 11 11", "1111"),  # two at a time
        ("37 82 82 24 63 10 00 5", "0005"),  # the last group shorter
    ],
)
def test_a_card_typed_a_digit_or_two_at_a_time_is_masked(written: str, last4: str) -> None:
    result = mask_sensitive(f"kortet {written} funkar inte")
    assert result.text == f"kortet [kort ••••{last4}] funkar inte"
    assert result.kinds == ("card",)


@pytest.mark.parametrize(
    "text",
    [
        "4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 2",  # Luhn fails
        "1 2 3 4 5 6 7 8 9 10 11 12 13 14",  # a count, not one group size
        "4 1 1 1-1 1 1 1 1 1 1 1 1 1 1 1",  # two separators: not typed as one number
        "4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 kr",  # an amount
        "Lotto: 7 14 21 28 35 3 9",
    ],
)
def test_short_groups_that_are_not_one_typed_card_are_left_alone(text: str) -> None:
    assert mask_sensitive(text) == MaskResult(text, False, ())


def test_two_cards_in_one_message() -> None:
    result = mask_sensitive("4111 1111 1111 1111 eller 5555555555554444")
    assert result.text == "[kort ••••1111] eller [kort ••••4444]"
    assert result.kinds == ("card",)


def test_card_inside_longer_digit_run_is_found_on_group_borders() -> None:
    # order number, then the card, in one space-separated run: only the card is masked
    result = mask_sensitive("ärende 48213 4111 1111 1111 1111")
    assert result.text == "ärende 48213 [kort ••••1111]"


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111112",  # Luhn fails
        "4111 1111 1111 1112",
        "5555-5555-5555-4445",
        "Ordernummer 1234567890123 har inte kommit",  # 13 digits, Luhn fails
        "Order 48213 och 48214",
        "Ring mig på 070-123 45 67",
        "070-1234567 eller +46 70 123 45 67",
        "Det kostade 1 299 kr",
        "Totalt 12 499 kr, 3 999 kr och 1 000 000 kr",
        "00000000000000000",  # all zeros passes Luhn but no card starts with 0
        "0 000 000 000 000 000 kr",
        "411111111111",  # 12 digits: too short even though Luhn-valid prefixes exist
        "1234 5678 9012 3456",  # card-shaped, Luhn fails
        "Bokning 2024-05-17, 2 vuxna",
    ],
)
def test_numbers_that_are_not_cards_are_left_alone(text: str) -> None:
    result = mask_sensitive(text)
    assert result == MaskResult(text, False, ())


def test_personnummer_and_card_in_one_message() -> None:
    result = mask_sensitive("pnr 19121212-1212 4111 1111 1111 1111 cvc 123")
    assert result.text == "pnr [personnummer] [kort ••••1111] cvc [cvc •••]"
    assert result.kinds == ("card", "cvc", "personnummer")


def test_personnummer_shaped_part_of_a_card_stays_card() -> None:
    # "121212-1212" inside a dash-grouped card is glued to more digits, so it is no personnummer
    assert luhn_valid("400012121212121")
    result = mask_sensitive("4000-121212-1212-1")
    assert result.text == "[kort ••••2121]"
    assert result.kinds == ("card",)


def test_twelve_digit_personnummer_is_never_a_card() -> None:
    # A Luhn-valid 12-digit number is too short to be a card; as a personnummer it is masked as such.
    result = mask_sensitive("198112189876")
    assert result.kinds == ("personnummer",)

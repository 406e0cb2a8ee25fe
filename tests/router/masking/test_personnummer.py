"""router.masking._personnummer: a valid (or coordination) date and Luhn; via mask_sensitive and directly."""

from __future__ import annotations

import pytest

from router.masking import MaskResult, contains_card_details, luhn_valid, mask_sensitive
from router.masking._personnummer import is_date8, valid_personnummer


@pytest.mark.parametrize(
    "pnr",
    [
        "19121212-1212",  # Skatteverket's test number, 12 digits with dash
        "191212121212",
        "121212-1212",
        "1212121212",
        "121212+1212",  # "+": 100 years or older
        "198112189876",
        "19811218-9876",
        "811218-9876",
        "8112189876",
        "701272-3289",  # samordningsnummer: day 12 + 60
        "000229-1235",  # 29 Feb in a year ending 00 (2000 was a leap year)
        "20000229-1235",
    ],
)
def test_valid_personnummer_is_masked(pnr: str) -> None:
    result = mask_sensitive(f"Mitt personnummer är {pnr}.")
    assert result.text == "Mitt personnummer är [personnummer]."
    assert result.kinds == ("personnummer",)
    assert not contains_card_details(result)


@pytest.mark.parametrize(
    "text",
    [
        "121212-1213",  # checksum wrong
        "19121212-1213",
        "8112189875",
        "811318-9876",  # month 13
        "811232-9870",  # day 32
        "010229-1234",  # 29 Feb 2001/1901 (checksum is fine)
        "19000229-1235",  # 1900 was not a leap year (checksum is fine)
        "701292-3280",  # samordningsnummer with day 32 + 60
        "12121212121",  # 11 digits
        "1212121212121212121212",
    ],
)
def test_invalid_personnummer_is_left_alone(text: str) -> None:
    for candidate in (text, f"pnr {text} tack"):
        assert mask_sensitive(candidate) == MaskResult(candidate, False, ())


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("8112189876", True),
        ("198112189876", True),
        ("7012723289", True),  # samordningsnummer: day 12 + 60
        ("8112189875", False),  # Luhn
        ("8113189876", False),  # month 13
        ("178112189876", False),  # no personnummer century starts with 17
    ],
)
def test_valid_personnummer_checks_date_and_luhn(digits: str, valid: bool) -> None:
    assert valid_personnummer(digits) is valid


def test_birth_date_with_century_must_lie_in_the_past() -> None:
    # "20991231" + a Luhn-valid tail: a date in the future is a booking, not someone's birth date
    tail = next(f"{n:04d}" for n in range(10000) if luhn_valid(f"991231{n:04d}"))
    assert valid_personnummer(f"991231{tail}")  # without the century it may be 1999
    assert not valid_personnummer(f"20991231{tail}")


@pytest.mark.parametrize(
    ("digits", "is_date"), [("20240229", True), ("19000229", False), ("20241301", False), ("18991231", False)]
)
def test_is_date8(digits: str, is_date: bool) -> None:
    assert is_date8(digits) is is_date

"""router.masking._text: the Luhn check and digits of any script as ASCII."""

from __future__ import annotations

import re

import pytest

from router.masking import luhn_valid
from router.masking._text import IGNORABLE, SEPARATORS, ascii_digits
from tests.router.masking.cards import VALID_CARDS

# Public test card numbers and Skatteverket's test personnummer (its last ten digits).
LUHN_VALID = [*VALID_CARDS, "1212121212"]


@pytest.mark.parametrize("number", LUHN_VALID)
def test_test_card_numbers_pass_luhn(number: str) -> None:
    assert luhn_valid(number)


@pytest.mark.parametrize("number", ["4111111111111112", "5555555555554445", "1234567890123", "8112189875"])
def test_luhn_rejects_wrong_check_digit(number: str) -> None:
    assert not luhn_valid(number)


def test_ascii_digits_maps_other_scripts_and_drops_ignorables() -> None:
    assert ascii_digits("4111") == "4111"
    assert ascii_digits("４１１１") == "4111"  # full-width
    assert ascii_digits("٤١١١") == "4111"  # Arabic-Indic
    assert ascii_digits("4\u200b1\u00ad1\u20e31") == "4111"  # zero-width space, soft hyphen, keycap mark


@pytest.mark.parametrize("char", ["\u00a0", "\u202f", "\t", "\n", "-", "/", "_", "\u2013", "\uff0d"])
def test_grouping_characters_are_separators_not_ignorables(char: str) -> None:
    assert re.fullmatch(f"[{SEPARATORS}]", char)
    assert not re.fullmatch(f"[{IGNORABLE}]", char)


@pytest.mark.parametrize("char", [",", ":", "a", "1"])
def test_commas_colons_letters_and_digits_are_no_separators(char: str) -> None:
    # "1,5" and "12:30" are amounts and times, not groups of one number
    assert not re.fullmatch(f"[{SEPARATORS}{IGNORABLE}]", char)

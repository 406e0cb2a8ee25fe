"""router.masking._context: runs the surrounding text marks as something else are left alone as a whole."""

from __future__ import annotations

import pytest

from router.masking._context import CURRENCY_AFTER, labelled


def run_in(text: str, run: str) -> tuple[str, int, int]:
    start = text.index(run)
    return text, start, start + len(run)


@pytest.mark.parametrize(
    ("text", "run"),
    [
        ("ring +46 70 123 45 67", "46 70 123 45 67"),  # international phone number
        ("OCR-nummer: 4111 1111 1111 1111", "4111 1111 1111 1111"),
        ("ocr 8112189876", "8112189876"),
        ("konto SE45 5000 0000 0583 9825 7466", "45 5000 0000 0583 9825 7466"),  # IBAN
        ("id 4d90f551-8568-4935-821b-8cb9fa50ecd7", "551-8568-4935-821"),  # piece of a UUID
        ("sku AB4111111111111111", "4111111111111111"),  # glued to letters
    ],
)
def test_labelled_runs(text: str, run: str) -> None:
    assert labelled(*run_in(text, run))


@pytest.mark.parametrize(
    ("text", "run"),
    [
        ("kort 4111 1111 1111 1111", "4111 1111 1111 1111"),
        ("pnr 811218-9876 tack", "811218-9876"),
        ("Se 4111111111111111", "4111111111111111"),  # a word before, not glued to the run
        ("[kort ••••1111] 8112189876", "8112189876"),
    ],
)
def test_plain_runs_are_not_labelled(text: str, run: str) -> None:
    assert not labelled(*run_in(text, run))


@pytest.mark.parametrize(("after", "amount"), [(" kr", True), (" SEK", True), (":-", True), (" st", False)])
def test_currency_after_a_number(after: str, amount: bool) -> None:
    assert bool(CURRENCY_AFTER.match(after)) is amount

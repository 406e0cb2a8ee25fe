"""router.masking._cvc: a standalone 3-4 digit code in card context is masked; other short numbers are not."""

from __future__ import annotations

import pytest

from router.masking import MaskResult, contains_card_details, mask_sensitive


def test_card_followed_by_code_masks_both() -> None:
    # 4111111111111111123 fails Luhn as a whole; the card is found and the trailing code is taken as CVC
    result = mask_sensitive("4111 1111 1111 1111 123")
    assert result.text == "[kort ••••1111] [cvc •••]"
    assert result.kinds == ("card", "cvc")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cvc 123", "cvc [cvc •••]"),
        ("CVV: 1234", "CVV: [cvc •••]"),
        ("cvv2 987", "cvv2 [cvc •••]"),
        ("min CVC-kod är 321", "min CVC-kod är [cvc •••]"),
        ("säkerhetskoden är 456", "säkerhetskoden är [cvc •••]"),
        ("sakerhetskod 456", "sakerhetskod [cvc •••]"),
        ("Säkerhetskod: 4567.", "Säkerhetskod: [cvc •••]."),
        ("koden på baksidan är 999", "koden på baksidan är [cvc •••]"),
        ("the security code is 123", "the security code is [cvc •••]"),
        ("Card code: 7777", "Card code: [cvc •••]"),
        ("my cvc\n123", "my cvc\n[cvc •••]"),
    ],
)
def test_cvc_after_card_word_is_masked(text: str, expected: str) -> None:
    result = mask_sensitive(text)
    assert result.text == expected
    assert result.kinds == ("cvc",)
    assert contains_card_details(result)


def test_cvc_after_masked_card_and_expiry() -> None:
    result = mask_sensitive("4111 1111 1111 1111 12/27 123")
    assert result.text == "[kort ••••1111] 12/27 [cvc •••]"
    assert result.kinds == ("card", "cvc")


@pytest.mark.parametrize(
    "text",
    [
        "Jag har order 123 och 456",
        "Rum 404 på hotellet",
        "Var hittar jag cvc-koden?",  # card word but no number
        "cvc 12345",  # five digits is no CVC
        "kostar 123 kr",
        "I paid 250 SEK",
        "cvc",
    ],
)
def test_three_digit_numbers_without_card_word_are_left_alone(text: str) -> None:
    assert mask_sensitive(text) == MaskResult(text, False, ())


def test_amount_after_masked_card_is_not_a_cvc() -> None:
    result = mask_sensitive("4111111111111111 drogs 1299 kr")
    assert result.text == "[kort ••••1111] drogs 1299 kr"
    result = mask_sensitive("4111111111111111 1299 kr")
    assert result.text == "[kort ••••1111] 1299 kr"

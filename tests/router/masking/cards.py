"""Card numbers the masking tests share."""

from __future__ import annotations

# Public test numbers (Visa, Mastercard, Amex, Discover) plus a 19-digit and a 13-digit one computed here.
VALID_CARDS = [
    "4111111111111111",
    "4012888888881881",
    "5555555555554444",
    "5105105105105100",
    "5500005555555559",
    "378282246310005",
    "6011111111111117",
    "6011111111111111110",  # 19 digits
    "4222222222222",  # 13 digits
]

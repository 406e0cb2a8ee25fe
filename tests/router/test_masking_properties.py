"""Masking as a property (hypothesis): valid card numbers and personnummer are masked whatever their
separators, spacing, grouping, digit script and zero-width characters, inside arbitrary text; realistic
non-sensitive numbers are left alone; masking is idempotent.

The profile is deterministic (``derandomize``) and small enough for the module to run in a few seconds.
For a deeper, random search: ``MASKING_EXAMPLES=5000 pytest tests/router/test_masking_properties.py``.
"""

from __future__ import annotations

import copy
import itertools
import os
import random
import re
import unicodedata
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from router.masking import MaskResult, luhn_valid, mask_sensitive, mask_value
from tests.router.test_masking_examples import digits_left

_DEEP = int(os.environ.get("MASKING_EXAMPLES", "0"))
PROFILE = settings(
    derandomize=not _DEEP,
    max_examples=_DEEP or 100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# The zero of some Unicode decimal digit scripts: ASCII, Arabic-Indic, Extended Arabic-Indic, NKo, Devanagari,
# Bengali, Gurmukhi, Gujarati, Oriya, Tamil, Telugu, Kannada, Malayalam, Thai, Lao, Tibetan, Myanmar, Khmer,
# Mongolian, full-width, and the five mathematical digit styles.
ZEROS = [
    0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66, 0xE50, 0xED0,
    0xF20, 0x1040, 0x17E0, 0x1810, 0xFF10, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6,
]  # fmt: skip
SEPARATORS = " \t\n\r.-–—‑/_\u00a0\u202f\u2009\u3000\uff0d\uff0e\uff0f"  # and "+", alone
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"


def test_digit_scripts_are_decimal() -> None:
    for zero in ZEROS:
        assert [unicodedata.decimal(chr(zero + d)) for d in range(10)] == list(range(10))
        assert re.fullmatch(r"\d{10}", "".join(chr(zero + d) for d in range(10)))


def _no_digit(ch: str) -> bool:
    return not any(c.isdigit() for c in unicodedata.normalize("NFKC", ch))


# Surrounding text: anything without a digit (also after NFKC: no superscripts or circled digits).
SURROUNDING = st.text(st.characters(exclude_categories=("Nd", "No", "Cs")).filter(_no_digit), max_size=20)
BOUNDARY = st.sampled_from(["", " ", "\n", ": ", " (", "\t", ", ", " är ", " is "])


@st.composite
def rendered(
    draw: st.DrawFn, digits: str, lengths: list[int], date_parts: int = 0, one_gap: bool = False
) -> str:
    """`digits` in groups of `lengths`: separators of 1-3 characters between groups (the first `date_parts`
    gaps all the same: a date split in parts; or all of them with `one_gap`), digits in one or several
    scripts, zero-width characters anywhere between digits. One seed draws the details, which keeps the
    examples cheap to generate."""
    script = draw(st.sampled_from(["ascii", "one", "mixed"]))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    one = rng.choice(ZEROS)

    def gap() -> str:
        zw = lambda: "".join(rng.choice(ZERO_WIDTH) for _ in range(rng.choice((0, 0, 0, 1, 2))))  # noqa: E731
        if rng.random() < 0.05:
            return "+"  # only alone: " +46" starts a phone number
        while True:  # a full stop followed by whitespace ends the sentence, and the number
            sep = "".join(rng.choice(SEPARATORS) for _ in range(rng.randint(1, 3)))
            if not re.search(r"[.．]\s", sep):
                return zw() + sep + zw()

    out: list[str] = []
    pos = 0
    date_gap = gap()
    for k, length in enumerate(lengths):
        if k:
            out.append(date_gap if k <= date_parts or one_gap else gap())
        for m, d in enumerate(digits[pos : pos + length]):
            if m and rng.random() < 0.1:
                out.append(rng.choice(ZERO_WIDTH))
            zero = 0x30 if script == "ascii" else one if script == "one" else rng.choice(ZEROS)
            out.append(chr(zero + int(d)))
        pos += length
    return "".join(out)


def _with_check_digit(body: str) -> str:
    return next(body + c for c in "0123456789" if luhn_valid(body + c))


@st.composite
def card_numbers(draw: st.DrawFn, sizes: tuple[int, ...] = tuple(range(13, 20))) -> str:
    """Luhn-valid, starting as the payment networks' numbers do: Amex/Diners/JCB 3, Visa 4, Mastercard 5 and
    2221-2720, Discover/UnionPay/Maestro 6."""
    size = draw(st.sampled_from(sizes))
    first = draw(st.sampled_from(["3", "4", "5", "6", "22", "23", "24", "25", "26", "27"]))
    body = draw(
        st.text(st.sampled_from("0123456789"), min_size=size - 1 - len(first), max_size=size - 1 - len(first))
    )
    return _with_check_digit(first + body)


@st.composite
def card_groupings(draw: st.DrawFn, size: int) -> list[int]:
    """Any grouping whose groups, but the last, have at least three digits."""
    cuts = sorted(draw(st.sets(st.integers(3, size - 1), max_size=6)))
    kept: list[int] = []
    for cut in cuts:
        if cut - (kept[-1] if kept else 0) >= 3:
            kept.append(cut)
    bounds = [0, *kept, size]
    return [b - a for a, b in itertools.pairwise(bounds)]


def card_like(lengths: list[int]) -> bool:
    """Grouped as card numbers are printed: contiguous, fours, 8-8, 4-6-5 or 4-6-4."""
    if len(lengths) == 1 or lengths in ([4, 6, 5], [4, 6, 4], [8, 8]):
        return True
    return all(n == 4 for n in lengths[:-1]) and lengths[-1] <= 4


@st.composite
def personnummer(draw: st.DrawFn) -> str:
    """A valid personnummer or samordningsnummer, 10 or 12 digits, born before today."""
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date.today() - timedelta(days=1)))
    day = born.day + (60 if draw(st.booleans()) else 0)
    ten = _with_check_digit(f"{born.year % 100:02}{born.month:02}{day:02}{draw(st.integers(0, 999)):03}")
    return f"{born.year // 100}{ten}" if draw(st.booleans()) else ten


PNR_SHAPES = {10: [[10], [6, 4], [2, 2, 2, 4]], 12: [[12], [8, 4], [4, 2, 2, 4]]}


def _exempt(before: str, after: str) -> bool:
    """The contexts in which a valid number is left alone on purpose: an OCR reference, right after "+" (a
    phone number), an IBAN (two capitals glued to it), a piece of an identifier (glued to letters in a
    hexadecimal token, as in a UUID), an amount (a currency right after it)."""
    if "ocr" in before[-24:].lower() or before[-1:] in ("+", "＋"):  # "+46 …" is a phone number
        return True
    if before[-2:].isascii() and before[-2:].isalpha() and before[-2:].isupper():
        return True
    if re.match(r"\s*(?:kr|kronor|sek|eur|usd)\b|\s*(?::-|€|\$)", after, re.IGNORECASE):
        return True
    left = re.search(r"\S{0,64}\Z", before).group()  # type: ignore[union-attr]
    right = re.match(r"\S{0,64}", after).group()  # type: ignore[union-attr]
    glued = re.search(r"[A-Za-z][-_]?\Z", before) or re.match(r"[-_]?[A-Za-z]", after)
    return bool(glued) and any(re.fullmatch(r"[0-9A-Fa-f_-]+", side) for side in (left + right, left, right))


_DECIMAL = re.compile(rf"\d[\d{ZERO_WIDTH}]*[.．][{ZERO_WIDTH}]*\d[\d{ZERO_WIDTH}]*")


def _decimal(written: str) -> bool:
    """Two groups joined by a lone decimal point ("1700000901.000100"): a decimal number or a timestamp."""
    return _DECIMAL.fullmatch(written) is not None


def _assert_idempotent(text: str) -> None:
    assert mask_sensitive(text) == MaskResult(text, False, ())


@PROFILE
@given(st.data(), card_numbers(), SURROUNDING, BOUNDARY, BOUNDARY, SURROUNDING)
def test_card_in_any_format_is_masked(
    data: st.DataObject, card: str, prefix: str, b1: str, b2: str, suffix: str
) -> None:
    lengths = data.draw(card_groupings(len(card)))
    # grouped as cards are printed, separators may differ; any other grouping uses one separator throughout
    written = data.draw(rendered(card, lengths, one_gap=not card_like(lengths)))
    before, after = prefix + b1, b2 + suffix
    assume(not _exempt(before, after) and not _decimal(written))
    result = mask_sensitive(before + written + after)
    assert result.text == f"{before}[kort ••••{card[-4:]}]{after}"
    assert result.kinds == ("card",)
    assert digits_left(result.text) == ""
    _assert_idempotent(result.text)


@PROFILE
@given(st.data(), personnummer(), SURROUNDING, BOUNDARY, BOUNDARY, SURROUNDING)
def test_personnummer_in_any_format_is_masked(
    data: st.DataObject, pnr: str, prefix: str, b1: str, b2: str, suffix: str
) -> None:
    shape = data.draw(st.sampled_from(PNR_SHAPES[len(pnr)]))
    written = data.draw(rendered(pnr, shape, date_parts=2 if len(shape) == 4 else 0))
    before, after = prefix + b1, b2 + suffix
    assume(not _exempt(before, after))
    result = mask_sensitive(before + written + after)
    assert result.text == f"{before}[personnummer]{after}"
    assert result.kinds == ("personnummer",)
    _assert_idempotent(result.text)


@PROFILE
@given(st.data(), card_numbers((15, 16)), st.integers(10000, 999999), SURROUNDING)
def test_card_after_an_order_number_in_one_run(
    data: st.DataObject, card: str, order: int, suffix: str
) -> None:
    """An order number before a conventionally grouped card number, separated only by a space: the card is
    masked, the order number kept."""
    lengths = data.draw(st.sampled_from([[len(card)], [4, 4, 4, len(card) - 12]]))
    written = data.draw(rendered(card, lengths))
    assume(not _exempt("", f" {suffix}"))
    result = mask_sensitive(f"ärende {order} {written} {suffix}")
    assert result.text == f"ärende {order} [kort ••••{card[-4:]}] {suffix}"
    _assert_idempotent(result.text)


CVC_BEFORE = [
    "cvc",
    "CVV:",
    "cvc2",
    "säkerhetskod",
    "säkerhetskoden är",
    "the security code is",
    "card code:",
    "the three digits on the back are",
    "siffrorna på baksidan är",
    "de tre siffrorna på kortets baksidan:",
    "koden på baksidan av kortet är",
    "kortet nekas, koden är",
    "my card was declined, the code is",
    "[kort ••••1111]",
    "[kort ••••4444] 12/27",
]
CVC_AFTER = ["är cvc-koden", "(CVV)", "is the security code", "på baksidan"]


@PROFILE
@given(st.data(), st.sampled_from(CVC_BEFORE), st.integers(0, 9999), st.sampled_from(["", ".", "!", " tack"]))
def test_cvc_after_card_context_is_masked(data: st.DataObject, phrase: str, code: int, end: str) -> None:
    digits = f"{code:03}" if code < 1000 else str(code)
    written = data.draw(rendered(digits, [len(digits)]))
    result = mask_sensitive(f"{phrase} {written}{end}")
    assert result.text == f"{phrase} [cvc •••]{end}"
    assert "cvc" in result.kinds
    _assert_idempotent(result.text)


@PROFILE
@given(st.data(), st.sampled_from(CVC_AFTER), st.integers(100, 9999))
def test_cvc_before_its_name_is_masked(data: st.DataObject, phrase: str, code: int) -> None:
    written = data.draw(rendered(str(code), [len(str(code))]))
    result = mask_sensitive(f"{written} {phrase}")
    assert result == MaskResult(f"[cvc •••] {phrase}", True, ("cvc",))


NO_CARD_CONTEXT = ["rum {}", "order {}", "det kostade {} kr", "I paid {} SEK", "kl {}", "buss {} mot centrum",
                   "Fick en kod {} via sms", "postnummer {} 45", "ring 070-{} 45 67"]  # fmt: skip


@PROFILE
@given(st.sampled_from(NO_CARD_CONTEXT), st.integers(100, 9999))
def test_three_or_four_digits_without_card_context_are_kept(template: str, code: int) -> None:
    text = template.format(code)
    assert mask_sensitive(text) == MaskResult(text, False, ())


# --- numbers that are not sensitive -----------------------------------------------------------------------

DIGIT = st.sampled_from("0123456789")


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.text(DIGIT, min_size=n, max_size=n)


PHONE = st.one_of(
    st.builds(lambda p, s: f"07{p}-{s[:3]} {s[3:5]} {s[5:]}", st.sampled_from("02369"), _digits(7)),
    st.builds(lambda p, s: f"+46 7{p} {s[:3]} {s[3:5]} {s[5:]}", st.sampled_from("02369"), _digits(7)),
    st.builds(lambda p, s: f"07{p}-{s}", st.sampled_from("02369"), _digits(7)),
    st.builds(lambda s: f"08-{s[:3]} {s[3:6]} {s[6:]}", _digits(8)),
    st.builds(lambda a, s: f"0{a}-{s[:2]} {s[2:4]} {s[4:]}", _digits(2), _digits(6)),
    st.builds(lambda a, s: f"0{a}-{s[:2]} {s[2:4]} {s[4:]}", _digits(3), _digits(6)),
)
ORDER = st.builds(lambda n: f"NH-{n}", st.integers(100000, 999999))
AMOUNT = st.one_of(
    st.builds(lambda n: f"{n:,} kr".replace(",", " "), st.integers(1, 10**9)),
    st.builds(lambda n, c: f"{n:,},{c:02} kr".replace(",", " "), st.integers(1, 10**7), st.integers(0, 99)),
    st.builds(lambda n: f"{n}:-", st.integers(1, 10**7)),
    st.builds(lambda n: f"{n} SEK", st.integers(1, 10**9)),
)
DATES = st.dates(min_value=date(1990, 1, 1), max_value=date(2035, 12, 31))
DATE = st.one_of(
    st.builds(lambda d: d.isoformat(), DATES),
    st.builds(lambda d: d.strftime("%Y%m%d"), DATES),
    st.builds(lambda d: f"{d.day}/{d.month}", DATES),
    st.builds(lambda d: d.strftime("%d/%m/%Y"), DATES),
    st.builds(lambda d: f"{d.day}.{d.month}.{d.year}", DATES),
    st.builds(lambda a, b: f"{a.isoformat()} – {b.isoformat()}", DATES, DATES),
    st.builds(lambda a, b: f"{a.isoformat()}-{b.isoformat()}", DATES, DATES),
    st.builds(lambda a, b: f"{a:%Y%m%d}-{b:%Y%m%d}", DATES, DATES),
    st.builds(lambda a, b: f"{a:%d/%m} – {b:%d/%m} {b.year}", DATES, DATES),
    st.builds(lambda d, t: f"{d.isoformat()} {t // 60:02}.{t % 60:02}", DATES, st.integers(0, 24 * 60 - 1)),
)
POSTCODE = st.builds(lambda a, b: f"{a} {b:02} Stockholm", st.integers(100, 999), st.integers(0, 99))
NON_SENSITIVE = st.one_of(PHONE, ORDER, AMOUNT, DATE, POSTCODE)
CONNECTOR = st.sampled_from([", ", " och ", " and ", ". ", "; ", " eller ", "\n", " (", ") "])


@PROFILE
@given(st.uuids())
def test_uuids_are_kept(value: Any) -> None:
    for text in (str(value), str(value).upper(), value.hex):
        assert mask_sensitive(text) == MaskResult(text, False, ())


@PROFILE
@given(st.lists(st.tuples(CONNECTOR, NON_SENSITIVE), min_size=1, max_size=4), SURROUNDING)
def test_phone_numbers_orders_amounts_dates_and_postcodes_are_kept(
    parts: list[tuple[str, str]], words: str
) -> None:
    text = words + "".join(connector + item for connector, item in parts)
    assert mask_sensitive(text) == MaskResult(text, False, ())


# --- anything at all --------------------------------------------------------------------------------------

SNIPPETS = [
    "cvc ", "kort ", "koden är ", "[kort ••••1111]", "[cvc •••]", "[personnummer]", " kr", "OCR ", "SE",
    "4111 1111 1111 1111", "811218-9876", "19121212-1212", "12/27 ", "på baksidan ", "digits on the back ",
]  # fmt: skip
PIECES = st.one_of(
    st.text(st.sampled_from("0123456789 -./–\n\u200b\u00a0"), max_size=30),
    st.sampled_from(SNIPPETS),
    st.text(max_size=10),
)


@PROFILE
@given(st.lists(PIECES, max_size=12).map("".join))
def test_masking_any_text_is_idempotent(text: str) -> None:
    once = mask_sensitive(text)
    assert once.masked == (once.text != text)
    assert bool(once.kinds) == once.masked
    _assert_idempotent(once.text)


# --- mask_value -------------------------------------------------------------------------------------------

JSON_TEXT = st.one_of(
    st.text(max_size=15), st.sampled_from(["4111 1111 1111 1111", "pnr 811218-9876", "cvc 123"])
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | JSON_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(JSON_TEXT, children, max_size=4),
    max_leaves=20,
)


def _expected(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _expected(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_expected(v) for v in value]
    if isinstance(value, str):
        return mask_sensitive(value).text
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**20:
        result = mask_sensitive(str(value))
        return result.text if result.masked else value
    return value


@PROFILE
@given(JSON)
def test_mask_value_masks_every_string_and_keeps_the_shape(value: Any) -> None:
    original = copy.deepcopy(value)
    masked = mask_value(value)
    assert masked == _expected(value)
    assert value == original  # the input is not modified
    if isinstance(value, dict):
        assert list(masked) == list(value)  # keys and their order unchanged

"""mask_sensitive on the formats customers really type: the sensitive strings of issue 13 and more, and
realistic numbers that must come through unchanged (phone numbers, order numbers, amounts, dates, postcodes).

`SENSITIVE` and `NON_SENSITIVE` are also the measured example sets: every sensitive string must be masked with
no digit of it left, every non-sensitive string must be left exactly as typed.
"""

from __future__ import annotations

import random
import re
import unicodedata

import pytest

from router.masking import MaskResult, mask_sensitive

CARD, CVC, PNR = "card", "cvc", "personnummer"
_TOKEN = re.compile(r"\[kort ••••[0-9]{4}\]|\[cvc •••\]|\[personnummer\]")


def digits_left(text: str) -> str:
    """The digits of `text` outside mask tokens, normalised (NFKC, then any Unicode decimal digit)."""
    rest = unicodedata.normalize("NFKC", _TOKEN.sub(" ", text))
    return "".join(str(unicodedata.decimal(ch)) for ch in rest if unicodedata.decimal(ch, -1) >= 0)


# (text, kinds) -- each text holds nothing but the sensitive number(s), words and at most an expiry date or a
# phone number (`KEPT`, not masked), so no other digit may be left.
SENSITIVE: list[tuple[str, tuple[str, ...]]] = [
    # cards: the formats issue 13 found stored raw
    ("kortnummer 41111111 11111111", (CARD,)),
    ("4111.1111.1111.1111", (CARD,)),
    ("4111/1111/1111/1111", (CARD,)),
    ("4111_1111_1111_1111", (CARD,)),
    ("4111–1111–1111–1111", (CARD,)),  # en dash
    ("4111\t1111\t1111\t1111", (CARD,)),
    ("mitt kort:\n4111\n1111\n1111\n1111", (CARD,)),
    ("4111  1111  1111  1111", (CARD,)),  # double spaces
    ("4111\u00a01111\u00a01111\u00a01111", (CARD,)),  # NBSP
    ("4111\u200b1111\u200b1111\u200b1111", (CARD,)),  # zero-width space
    ("４１１１ １１１１ １１１１ １１１１", (CARD,)),  # full-width digits
    # cards: more separators, groupings and scripts
    ("4111—1111—1111—1111", (CARD,)),  # em dash
    ("4111\u202f1111\u202f1111\u202f1111", (CARD,)),  # narrow NBSP
    ("4\u200b111 11\u200d11 1111 1111", (CARD,)),  # zero-width characters inside the groups
    ("4111 - 1111 - 1111 - 1111", (CARD,)),
    ("kort 4111 1111\n1111 1111 tack", (CARD,)),
    ("４１１１－１１１１－１１１１－１１１１", (CARD,)),  # full-width hyphen too
    ("٤١١١ ١١١١ ١١١١ ١١١١", (CARD,)),  # Arabic-Indic digits
    ("𝟒𝟏𝟏𝟏 𝟏𝟏𝟏𝟏 𝟏𝟏𝟏𝟏 𝟏𝟏𝟏𝟏", (CARD,)),  # mathematical bold digits
    ("4\ufe0f\u20e31\ufe0f\u20e31\ufe0f\u20e31\ufe0f\u20e3 1111 1111 1111", (CARD,)),  # keycaps
    ("5555 5555 5555 4444", (CARD,)),
    ("card number is 5555555555554444.", (CARD,)),
    ("amex 3782 822463 10005", (CARD,)),
    ("amex 3782 8224 6310 005", (CARD,)),
    ("5105 1051 0510 5100 nekas", (CARD,)),
    ("601 111 111 111 111 7", (CARD,)),  # threes
    ("60111 11111 11111 7", (CARD,)),  # fives
    # CVC: with a keyword, without one, and right after a card
    ("the three digits on the back are 123", (CVC,)),
    ("siffrorna på baksidan är 456", (CVC,)),
    ("de tre siffrorna på baksidan: 741", (CVC,)),
    ("koden på baksidan av kortet är 999", (CVC,)),
    ("säkerhetskoden 789", (CVC,)),
    ("security code １２３", (CVC,)),
    ("123 är cvc-koden", (CVC,)),
    ("Kortet nekas. Koden är 321", (CVC,)),
    ("my card keeps failing, the code is 552", (CVC,)),
    ("4111111111111111 exp 11/28 cvc 999", (CARD, CVC)),
    ("kort 5555 5555 5555 4444, 08/27, 123", (CARD, CVC)),
    ("4111 1111 1111 1111 123", (CARD, CVC)),
    # personnummer: the formats issue 13 found stored raw
    ("811218 9876", (PNR,)),
    ("19811218 9876", (PNR,)),
    ("811218–9876", (PNR,)),
    # personnummer: more
    ("811218-9876", (PNR,)),
    ("19811218-9876", (PNR,)),
    ("personnummer 198112189876", (PNR,)),
    ("8112189876", (PNR,)),
    ("1981-12-18-9876", (PNR,)),
    ("81 12 18 - 9876", (PNR,)),
    ("121212+1212", (PNR,)),
    ("samordningsnummer 701272-3289", (PNR,)),
    ("８１１２１８－９８７６", (PNR,)),
    ("811218\u00a09876", (PNR,)),
    ("19811218\u200b-\u200b9876", (PNR,)),
    ("pnr: 811218.9876", (PNR,)),
    ("min sons personnummer är 20100315-1238", (PNR,)),
    ("19560704 4566", (PNR,)),
    # several in one message
    ("pnr 811218 9876 och kort 4111 1111 1111 1111, cvc 123", (CARD, CVC, PNR)),
    ("kortet 4111.1111.1111.1111 och mitt personnummer 19121212–1212", (CARD, PNR)),
    ("Anna Svensson 811218-9876 08-123 45 67", (PNR,)),
]

# Realistic strings with numbers that are not sensitive: left exactly as typed.
KEPT = {
    "4111111111111111 exp 11/28 cvc 999": "1128",
    "kort 5555 5555 5555 4444, 08/27, 123": "0827",
    "Anna Svensson 811218-9876 08-123 45 67": "081234567",  # a phone number
}

NON_SENSITIVE_FIXED = [
    "Min order NH-100234 har inte kommit",
    "Order NH-100234 och NH-100235",
    "ordernummer 100234",
    "Ring mig på 070-123 45 67",
    "+46 70 123 45 67",
    "070-1234567 eller 08-123 456 78",
    "031-12 34 56, 0470-12 34 56",
    "+46 (0)70-123 45 67",
    "0046 70 123 45 67",
    "Det kostade 1 847 kr",
    "Totalt 12 499,00 kr, 3 999:- och 1 000 000 kr",
    "€1,299.00 and $ 4 500",
    "Leverans 2026-12-01",
    "Resa 2026-12-01 – 2026-12-08",
    "20261201-20261208",
    "2026-12-01 14.30",
    "1/12 - 8/12 2026",
    "01.12.2026",
    "Storgatan 12, 123 45 Stockholm",
    "postnummer 123 45",
    "kl 14:30 den 28/11",
    "flyg SK 1415 kl 07.40",
    "OCR 12345678901234569",  # invoice reference: Luhn-valid, left alone
    "OCR-nummer: 5550 1234 5678 90",
    "IBAN SE45 5000 0000 0583 9825 7466",
    "clearing 8327-9, konto 123 456 789-0",
    "bankgiro 5050-1055",
    "Rum 404 på hotellet",
    "Jag har order 123 och 456",
    "Fick en kod 4821 via sms men den fungerar inte",
    "Var hittar jag cvc-koden?",
    "Kortet nekades, rabattkoden SOMMAR25 gav 250 kr",
    "Mitt kort gick ut 2027, hur byter jag?",
    "my card was charged twice, 499 SEK each",
    "Koden till porten är 1234",  # a door code: no card in the message
    "Kortet nekades när jag betalade 1 299 kr",
    "card declined, tried 3 times, order NH-100236",
    "121212-1213",  # checksum wrong
    "9302290003",  # 29 February 1993 does not exist
    "4111 1111 1111 1112",  # Luhn fails
    "1234 5678 9012 3456",
    "Jag betalade 8112189876 kr",  # an amount, however unlikely
    "version 1.2.3, build 2026.12.01.1",
    "IP 192.168.100.200",
    "ts 1700000901.000100",  # a Slack message timestamp
    "id 1700000901123",  # milliseconds since 1970: no card number starts with 1
    "57557842-4965-4729-bca5-ad20d06a4fe3",  # a UUID
    "sha deadbeef4111111111111111",
    "1234567890123.45",
    "Leverans 2000-06-09. 0138-00 00 00",  # a date and a phone number
    "2000-06-09 0138-00 00 00",
    "19990101\n0470-12 34 56",
    "20000101-20000101\n1998-01-01 00.00",
]


def _phone(rng: random.Random) -> str:
    sub = "".join(rng.choice("0123456789") for _ in range(7))
    prefix = rng.choice(["70", "72", "73", "76", "79"])
    return rng.choice(
        [
            f"0{prefix}-{sub[:3]} {sub[3:5]} {sub[5:]}",
            f"+46 {prefix} {sub[:3]} {sub[3:5]} {sub[5:]}",
            f"0{prefix}-{sub}",
            f"0{prefix} {sub[:3]} {sub[3:]}",
            f"08-{sub[:3]} {sub[3:6]} {sub[6]}{rng.randrange(10)}",
            f"0{rng.randrange(10, 99)}-{sub[:2]} {sub[2:4]} {sub[4:6]}",
            f"+4670{sub}",
        ]
    )


def _date(rng: random.Random) -> str:
    y, m, d = rng.randrange(2015, 2028), rng.randrange(1, 13), rng.randrange(1, 29)
    d2 = min(28, d + rng.randrange(1, 14))
    return rng.choice(
        [
            f"{y}-{m:02}-{d:02}",
            f"{d}/{m}",
            f"{d:02}/{m:02}/{y}",
            f"{y}-{m:02}-{d:02} – {y}-{m:02}-{d2:02}",
            f"{y}{m:02}{d:02}",
            f"{y}{m:02}{d:02}-{y}{m:02}{d2:02}",
            f"{d}.{m}.{y}",
            f"{y}-{m:02}-{d:02} kl {rng.randrange(6, 23)}.{rng.choice(['00', '15', '30', '45'])}",
        ]
    )


def _amount(rng: random.Random) -> str:
    n = rng.choice([rng.randrange(49, 999), rng.randrange(1000, 99999), rng.randrange(100000, 9999999)])
    grouped = f"{n:,}".replace(",", " ")
    cents = rng.randrange(100)
    return rng.choice(
        [f"{grouped} kr", f"{n} kr", f"{grouped},{cents:02} kr", f"{n}:-", f"{grouped} SEK", f"{n} sek"]
    )


def _order(rng: random.Random) -> str:
    return rng.choice([f"NH-{rng.randrange(100000, 999999)}", f"order NH-{rng.randrange(100000, 999999)}"])


def _postcode(rng: random.Random) -> str:
    return f"{rng.randrange(100, 999)} {rng.randrange(10, 99)} {rng.choice(['Stockholm', 'Kiruna', 'Malmö'])}"


_TEMPLATES = [
    "Hej, ring mig på {phone} om order {order}",
    "Jag betalade {amount} den {date} men inget har kommit ({order})",
    "My order {order} was supposed to arrive on {date}, call {phone}",
    "Ny adress: Storgatan {n}, {postcode}. Mobil {phone}",
    "Beloppet {amount} drogs två gånger, {date} och {date2}",
    "Leverans {date} till {postcode}? Tel {phone}",
    "{order}: {amount}, levererad {date}",
    "Can you refund {amount} for {order}? My number is {phone}",
    "Jag vill flytta leveransen från {date} till {date2}",
    "{phone}",
    "{date}",
    "{amount}",
]


def generated_non_sensitive(count: int = 300, seed: int = 13) -> list[str]:
    """`count` realistic chat messages full of numbers that are not sensitive (reproducible)."""
    rng = random.Random(seed)
    return [
        rng.choice(_TEMPLATES).format(
            phone=_phone(rng),
            order=_order(rng),
            amount=_amount(rng),
            date=_date(rng),
            date2=_date(rng),
            postcode=_postcode(rng),
            n=rng.randrange(1, 120),
        )
        for _ in range(count)
    ]


NON_SENSITIVE = NON_SENSITIVE_FIXED + generated_non_sensitive()


@pytest.mark.parametrize(("text", "kinds"), SENSITIVE, ids=[repr(t)[1:30] for t, _ in SENSITIVE])
def test_sensitive_example_is_masked(text: str, kinds: tuple[str, ...]) -> None:
    result = mask_sensitive(text)
    assert result.masked
    assert result.kinds == kinds
    assert digits_left(result.text) == KEPT.get(text, ""), result.text
    again = mask_sensitive(result.text)
    assert again == MaskResult(result.text, False, ())


def test_order_number_before_a_card_is_kept() -> None:
    assert mask_sensitive("ärende 48213 4111 1111 1111 1111").text == "ärende 48213 [kort ••••1111]"


def test_masking_keeps_the_text_around_as_typed() -> None:
    text = "Hej!\u00a0Kortet\t4111.1111.1111.1111\u200b, pnr ８１１２１８－９８７６ 🙂"
    assert mask_sensitive(text).text == "Hej!\u00a0Kortet\t[kort ••••1111]\u200b, pnr [personnummer] 🙂"


@pytest.mark.parametrize("text", NON_SENSITIVE_FIXED)
def test_non_sensitive_example_is_unchanged(text: str) -> None:
    assert mask_sensitive(text) == MaskResult(text, False, ())


def test_no_false_positives_on_generated_realistic_messages() -> None:
    changed = [text for text in generated_non_sensitive() if mask_sensitive(text).masked]
    assert changed == []


def test_contiguous_phone_numbers_are_sometimes_personnummer() -> None:
    """A contiguous 070 number can be a valid personnummer of someone born in 2007 ("0701234567"): masking
    wins. Grouped phone numbers never are; contiguous ones only when the date and checksum happen to work."""
    rng = random.Random(7)
    numbers = [f"070{rng.randrange(10**7):07}" for _ in range(1000)]
    masked = sum(mask_sensitive(f"ring {n}").masked for n in numbers)
    assert masked < 80  # about 5 %: 10 % pass Luhn, about half hold a valid date
    assert not any(mask_sensitive(f"ring {n[:3]}-{n[3:6]} {n[6:8]} {n[8:]}").masked for n in numbers)

"""Intent signals over customer messages, Swedish and English, with and without å/ä/ö."""

from __future__ import annotations

import time

import pytest

from bot.signals import (
    Signals,
    detect_signals,
    is_frustrated,
    is_greeting,
    normalize,
    says_helpful,
    says_not_helpful,
    wants_human,
)


def test_normalize() -> None:
    assert normalize("  Jag vill  prata med en MÄNNISKA\n nu ") == "jag vill prata med en manniska nu"
    assert normalize("Hallå, Göteborg") == "halla, goteborg"
    assert normalize("That didn\u2019t help") == "that didn't help"
    assert normalize("ma\u0308nniska") == "manniska"  # decomposed ä (NFD input)


# --- wants_human ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "jag vill prata med en människa",
        "jag vill prata med en manniska",
        "Kan jag få prata med någon?",
        "kan jag fa prata med nagon",
        "koppla mig till en handläggare",
        "Koppla mig vidare tack",
        "kundtjänst",
        "Kundtjanst tack",
        "Jag vill prata med en riktig person",
        "Finns det en människa där?",
        "Jag vill ha kontakt med kundtjänst",
        "hej, kan jag få chatta med en handläggare",
        "jag vill ha mänsklig hjälp",
        "Jag vill inte prata med en robot",
        "människa!",
        "agent",
        "Agent please",
        "HUMAN",
        "talk to a human",
        "Can I speak to a person please",
        "I want to talk to someone",
        "real person",
        "customer service",
        "representative",
        "operator",
        "Connect me to an agent",
        "I'd like a live agent",
        "transfer me to customer support please",
        "How do I contact customer service?",
        "I don't want to talk to a bot",
        "Please escalate this",
    ],
)
def test_wants_human(text: str) -> None:
    assert wants_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "Is there a human-readable receipt?",
        "I need a human-readable version of the invoice",
        "Your customer service told me to write here",
        "The representative said I'd get a refund",
        "The operator charged me twice",
        "Jag pratade med kundtjänsten igår",
        "Kundtjänsten sa att jag skulle få pengarna tillbaka",
        "Hur ändrar jag min adress?",
        "Transfer my money to my savings account",
        "Can you put me on the waiting list?",
        "agent fee on my invoice",
        "Is it a human error?",
        "Hur många personer får plats i stugan?",
    ],
)
def test_does_not_want_human(text: str) -> None:
    assert not wants_human(text)


# --- is_frustrated --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Vad fan håller ni på med",
        "fy fan",
        "Jävla skitapp",
        "javla skit",
        "Det här är skit",
        "Vad i helvete",
        "Värdelös bot",
        "vardelost",
        "Dålig service!",
        "det här funkar inte!!!",
        "Varför funkar det inte!!",
        "jag är så arg",
        "Jag är förbannad",
        "Jag är trött på att vänta",
        "för tredje gången, kortet är spärrat",
        "Helt oacceptabelt",
        "DET HÄR ÄR INTE OK",
        "wtf is this",
        "damn it",
        "this fucking app",
        "useless",
        "This is ridiculous",
        "I WANT MY MONEY BACK",
        "I'm so angry",
        "worst service ever",
        "this is a joke",
        "for the third time, my card is blocked",
        "Why does it not work?!!",
    ],
)
def test_frustrated(text: str) -> None:
    assert is_frustrated(text)


@pytest.mark.parametrize(
    "text",
    [
        "Mitt kort funkar inte, vad gör jag?",
        "Mitt kort funkar inte!",
        "My card doesn't work!",
        "I'm a big fan of your app",
        "Jag är ett stort fan av er app",
        "Det var skitbra, tack!",
        "Fantastisk service",
        "Hur får jag en ny säkerhetskod?",
        "Can you help me with my invoice?",
        "Hi! I need help!",
        "Jag fick inget SMS från BankID om PIN",
        "Tack så mycket!!!",
        "Jag betalade i kassan",
        "Varför dras pengar två gånger?",
        "I use PIN and CVC",
        "Hej!! Hur mår ni?",
        "Fan vad bra!",
        "Skit samma, jag tar den andra resan",
        "I hate to bother you, but where is my receipt?",
        "Jag hatar att flyga, finns det tåg?",
        "Do I need the ATM PIN CVC or something?",
    ],
)
def test_not_frustrated(text: str) -> None:
    assert not is_frustrated(text)


# --- says_not_helpful -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "that didn't help",
        "That didn\u2019t help at all",
        "Det hjälpte inte",
        "hjälpte inte",
        "hjalpte inte",
        "Det hjälper mig inte",
        "not what I asked",
        "that's not what I meant",
        "Fel svar",
        "wrong answer",
        "Det var inte det jag frågade",
        "det var inte vad jag menade",
        "Nej det stämmer inte",
        "nej, det är fel.",
        "That doesn't answer my question",
        "You didn't answer my question",
        "det svarar inte på min fråga",
        "This is not helpful",
        "That's wrong",
        "No, that's not it",
        "You don't understand",
        "du förstår inte",
        "That was no help at all",
        "Irrelevant answer",
        "Svaret var till ingen hjälp",
    ],
)
def test_says_not_helpful(text: str) -> None:
    assert says_not_helpful(text)


@pytest.mark.parametrize(
    "text",
    [
        "Tack det hjälpte",
        "That helped a lot",
        "Can you help me?",
        "Help me please",
        "Mitt kort funkar inte",
        "Beloppet stämmer inte på fakturan",
        "Det är fel belopp på fakturan",
        "Jag förstår inte fakturan",
        "I didn't get my refund",
        "I asked for a refund last week",
        "What is the right answer to this?",
        "Jag fick ingen bekräftelse",
    ],
)
def test_does_not_say_not_helpful(text: str) -> None:
    assert not says_not_helpful(text)


# --- says_helpful ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "tack det hjälpte",
        "Tack, det hjälpte!",
        "Thanks, that helped!",
        "perfekt",
        "thank you!",
        "toppen",
        "Tack så mycket",
        "Perfect, thanks",
        "ok tack",
        "det funkar nu, tack",
        "Great, that solved it",
        "Tack för hjälpen!",
        "Tack, det funkade!",
        "It worked, thanks",
        "Thank you so much, that solved my problem",
        "Tack för svaret",
        "Hej då, tack!",
    ],
)
def test_says_helpful(text: str) -> None:
    assert says_helpful(text)


@pytest.mark.parametrize(
    "text",
    [
        "nej tack",
        "tack men det hjälpte inte",
        "thanks but that didn't help",
        "ok",
        "hjälp",
        "Tack, men jag har en fråga till",
        "did that help?",
        "Thanks for nothing",
        "det funkade inte",
        "It worked yesterday, now it doesn't",
        "Tack! Jag undrar också hur jag byter datum på min resa till Kreta i juni",
    ],
)
def test_does_not_say_helpful(text: str) -> None:
    assert not says_helpful(text)


# --- is_greeting ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "hej",
        "Hallå!",
        "halla",
        "hi",
        "Hello",
        "god morgon",
        "Hej hej",
        "Hi there!",
        "hej hur mår du",
        "god kväll",
    ],
)
def test_greeting(text: str) -> None:
    assert is_greeting(text)


@pytest.mark.parametrize(
    "text",
    [
        "Hej, jag har ett problem med kortet",
        "hi are you a bot",
        "hello my card is blocked",
        "Hej kortet spärrat",
        "tack",
        "",
    ],
)
def test_not_greeting(text: str) -> None:
    assert not is_greeting(text)


# --- all together ---------------------------------------------------------------------------------------


def test_detect_signals_matches_the_single_detectors() -> None:
    assert detect_signals("Det hjälpte inte!! Jag vill prata med en människa") == Signals(
        wants_human=True, frustrated=True, not_helpful=True, helpful=False, greeting=False
    )
    assert detect_signals("Hej!") == Signals(
        wants_human=False, frustrated=False, not_helpful=False, helpful=False, greeting=True
    )


def test_fast_on_typical_message() -> None:
    message = (
        "Hej! Jag har beställt en resa till Mallorca men fick ingen bekräftelse på mejlen. "
        "Ordernummer 48213, betalade 12 499 kr i fredags. Kan ni kolla vad som hänt och skicka "
        "bekräftelsen igen? Tack!"
    )
    start = time.perf_counter()
    for _ in range(1000):
        detect_signals(message)
    assert (time.perf_counter() - start) / 1000 < 1e-3  # about 30 µs here; generous for slow CI

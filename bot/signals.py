"""Light-weight intent signals in a customer message (Swedish and English): wants a human, frustrated,
says the answer did not help / did help, a bare greeting.

Each detector normalises its input with `normalize` (lowercase, å/ä→a, ö→o, curly quotes straightened,
whitespace collapsed), so patterns are written without diacritics and also match text typed without them
("manniska"). `detect_signals` normalises once and runs every detector.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "Signals",
    "detect_signals",
    "is_frustrated",
    "is_greeting",
    "normalize",
    "says_helpful",
    "says_not_helpful",
    "wants_human",
]

_FOLD = str.maketrans(
    {
        "å": "a", "ä": "a", "ö": "o", "æ": "a", "ø": "o", "é": "e", "è": "e", "ü": "u",
        "\u2019": "'", "\u2018": "'", "\u00b4": "'", "`": "'",
    }
)  # fmt: skip
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=256)
def normalize(text: str) -> str:
    """Lowercase, fold å/ä→a and ö→o, straighten apostrophes, collapse whitespace."""
    return _SPACES.sub(" ", text.lower().translate(_FOLD)).strip()


_WORD = re.compile(r"[a-z0-9']+")


def _words(norm: str) -> list[str]:
    return _WORD.findall(norm)


# --- wants a human ---------------------------------------------------------------------------------------

_HUMAN_SV = (
    r"(?:(?:riktig|verklig|levande|fysisk)\s)?(?:manniska|person|handlaggare|agent|medarbetare|personal)"
)
_HUMAN_EN = (
    r"(?:(?:real|live|actual|human)\s)?(?:human|person|people|agent|representative|rep|operator|staff|"
    r"customer\s(?:service|support)|support\sagent|employee|somebody|someone|anybody|anyone)"
)
_WANTS_HUMAN = re.compile(
    r"\b(?:"
    # Swedish: prata/tala/snacka/chatta med en människa / någon / en handläggare / kundtjänst
    r"(?:prata|tala|snacka|chatta|skriva)\s(?:med|till)\s(?:en\s|nagon\s|nan\s)?(?:"
    + _HUMAN_SV
    + r"|nagon|nan|kundtjanst\w*|kundservice|support\w*)\b"
    r"|koppla\s(?:mig|mej|vidare|over)\b"
    r"|(?:fa|ha|na)\s(?:kontakt\s)?(?:med\s)?(?:en|nagon)\s(?:riktig\s|verklig\s|levande\s)?"
    r"(?:manniska|person|handlaggare|agent)\b"
    r"|kontakt(?:a|\smed)\s(?:en\s|nagon\s)?(?:" + _HUMAN_SV + r"|kundtjanst\w*|kundservice|support\w*)\b"
    r"|(?:riktig|verklig|levande)\s(?:person|manniska|handlaggare)\b"
    r"|finns\sdet\s(?:en|nagon|nan)\s(?:riktig\s)?(?:manniska|person|handlaggare)\b"
    r"|mansklig\s(?:hjalp|kontakt|handlaggare|support|agent)\b"
    r"|vill\sinte\s(?:prata|chatta|tala|skriva)\smed\s(?:en\s)?(?:bot|robot|maskin|dator)\b"
    # English: talk/speak/chat to a (real) human / someone / customer service
    r"|(?:talk|speak|chat|get\sthrough)\s(?:to|with)\s(?:a\s|an\s|some\s|your\s|the\s)?" + _HUMAN_EN + r"\b"
    r"|(?:connect|transfer|put|forward|pass|hand)\sme\s(?:on\s|over\s)?(?:to|through)\b"
    r"|escalate\s(?:this|it|my\s(?:case|issue|ticket|problem|question))\b"
    r"|(?:want|need|would\slike|i'd\slike|id\slike|get|give\sme|request|ask\sfor)\s(?:a\s|an\s|to\s(?:a|an)\s)?"
    r"(?:real\s|live\s|actual\s)?(?:human|person|agent|representative|operator|customer\s(?:service|support))\b"
    r"|(?:contact|reach)\s(?:a\s|an\s|your\s|the\s)?(?:real\s|live\s)?(?:human|person|agent|representative|"
    r"operator|customer\s(?:service|support)|someone|somebody)\b"
    r"|(?:real|live|actual)\s(?:human|person|agent|people)\b"
    r"|human\s(?:agent|support|help|assistance|operator|representative)\b"
    r"|(?:do\snot|don't|dont)\swant\s(?:to\s(?:talk|chat|speak)\s(?:to|with)\s)?(?:a\s|the\s|this\s)?(?:bot|robot|machine)\b"
    r")"
)
# A message that is nothing but the wish: "människa", "agent please", "kundtjänst tack", "Customer service!"
_BARE_HUMAN = re.compile(
    r"^(?:(?:hej|hi|hello|snalla|please)\s)?(?:a\s|an\s|en\s)?(?:real\s|live\s|riktig\s)?"
    r"(?:human|person|agent|manniska|handlaggare|kundtjanst|kundservice|customer\s(?:service|support)|"
    r"representative|operator)"
    r"(?:\s(?:please|pls|plz|now|tack|snalla|nu|asap))*$"
)


def wants_human(text: str) -> bool:
    """The customer explicitly asks for a person (agent, kundtjänst, "talk to a human", bare "människa")."""
    norm = normalize(text)
    if _WANTS_HUMAN.search(norm):
        return True
    return _BARE_HUMAN.match(" ".join(_words(norm))) is not None


# --- frustration ------------------------------------------------------------------------------------------

_FRUSTRATED = re.compile(
    r"\b(?:"
    # Swedish swearing and anger
    r"(?<!\ba\s)(?<!big\s)(?<!huge\s)(?<!the\s)(?<!my\s)(?<!your\s)(?<!ceiling\s)fan\b(?!\sof\b|\sclub\b)"
    r"|fy\sfan|(?:dj|j)avl(?!igt\s(?:bra|snabb|nojd|skont))\w*|skit(?:en|et|dalig\w*|system\w*|app\w*|"
    r"tjanst\w*|service|foretag\w*|bank\w*)?\b|helvete\w*|helvetes\w*"
    r"|vardelos\w*|uselt?\b|usla\b|bedrovlig\w*|oacceptab\w*|skandal\w*|patetisk\w*|lojlig\w*|kasst?\b"
    r"|(?:dalig|usel|kass|urusel|pinsam|bedrovlig)\w*\s(?:service|kundtjanst\w*|support|bemotande|bot|app)"
    r"|forbannad\w*|forbannat|frustrerad\w*|irriterad\w*|ilsken|(?:ar|blir|e)\s(?:sa|jatte|valdigt|riktigt)?\s?arg\b"
    r"|(?:trott|less)\spa\b|ett\s(?:javla\s)?skamt\b"
    r"|for\s(?:[0-9]+:?e|tredje|fjarde|femte|sjatte|tionde|hundrade)\sgangen\b"
    # English
    r"|wtf|ffs|omfg|f+u+c+k+\w*|f\*+c?k\w*|fck\w*|shit\w*|bullshit|crap\w*|damn\w*|dammit|goddam\w*"
    r"|what\sthe\s(?:hell|heck|fuck)|pissed|useless|ridiculous|pathetic|unacceptable|furious|outrageous"
    r"|(?:so|really|very|getting|extremely)\s(?:angry|mad|annoyed|frustrated|upset)"
    r"|(?:i'm|im|i\sam)\s(?:angry|mad|annoyed|frustrated|furious|upset)"
    r"|frustrat(?:ed|ing)|fed\sup|sick\s(?:and\stired\s)?of|i\shate\b|jag\shatar\b"
    r"|(?:terrible|horrible|awful|worst|lousy|poor|crappy)\s(?:service|support|company|bank|experience|bot|app)"
    r"|(?:is|what)\sa\sjoke\b"
    r"|for\sthe\s(?:[0-9]+(?:st|nd|rd|th)|third|fourth|fifth|sixth|tenth|hundredth|last)\stime\b"
    r")"
)
# Two or more "!" in one burst ("!!", "!?!") together with a negation or complaint word.
_BANGS = re.compile(r"![!?1]*!")
_NEGATIVE = re.compile(
    r"\b(?:inte|ej|aldrig|ingen|inget|inga|nej|fel|trasig\w*|fortfarande|igen|varfor"
    r"|not|never|no|nothing|nobody|broken|wrong|still|again|why|can't|cant|won't|wont)\b|n't\b"
)
# ALL-CAPS shouting is judged on the raw text: letter-only tokens, a run of upper-case ones.
_HAS_CAPS = re.compile(r"[A-ZÅÄÖÆØÉÜ]{2}")
_LETTERS = re.compile(r"[^\W\d_]+")


def _shouting(text: str) -> bool:
    """Three or more consecutive ALL-CAPS words of two letters or more ("I" may sit among them)."""
    if _HAS_CAPS.search(text) is None:
        return False
    run = 0
    for token in _LETTERS.findall(text):
        if not token.isupper():
            run = 0
        elif len(token) >= 2:
            run += 1
            if run >= 3:
                return True
    return False


def is_frustrated(text: str) -> bool:
    """Swearing, anger words, "!!" with a negation, or three or more words of ALL CAPS."""
    norm = normalize(text)
    if _FRUSTRATED.search(norm):
        return True
    if _BANGS.search(norm) and _NEGATIVE.search(norm):
        return True
    return _shouting(text)


# --- the answer did not help ------------------------------------------------------------------------------

_NOT_HELPFUL = re.compile(
    r"\b(?:"
    # Swedish
    r"hjalp(?:te|er)\s(?:inte|ej|inget|ingenting|mig\sinte)\b"
    r"|(?:var|ar)\s(?:till\s)?ingen\shjalp\b|(?:inte|ej)\still\snagon\shjalp\b|till\singen\shjalp\b"
    r"|inte\s(?:det|vad)\sjag\s(?:fragade|fragar|undrade|undrar|menade|menar|ville|letar|sokte|behover)"
    r"|fel\ssvar|felaktigt\ssvar|(?:vardelos|meningslos|dalig|konstig|irrelevant)\w*\ssvar"
    r"|svara(?:r|de)?\sinte\spa\s(?:min|mina|fragan|det)"
    r"|du\s(?:forstar|fattar)\sinte\b"
    r"|du\shar\s(?:missforstatt|fel)\b|(?:inte|ej)\srelevant|orelevant"
    # English
    r"|(?:did\snot|didn't|didnt|does\snot|doesn't|doesnt|do\snot|don't|dont|not|wasn't|isn't)\s(?:really\s)?"
    r"help(?:ful|ing|ed)?\b"
    r"|(?:was|is|that's|thats|you're|youre|you\sare|been)\s(?:no|not\smuch|of\sno)\s(?:help|use)\b|no\shelp\sat\sall"
    r"|not\swhat\si\s(?:asked|meant|wanted|want|need|needed|was\s(?:asking|looking)|am\slooking|'m\slooking|m\slooking)"
    r"|(?:wrong|incorrect|useless|irrelevant|pointless|bad)\s(?:answer|reply|response|information|info)"
    r"|(?:did\snot|didn't|didnt|does\snot|doesn't|doesnt|not|never|aren't|arent|are\snot)\s(?:really\s)?"
    r"answer(?:ed|ing)?\s(?:my|the)\s(?:question|problem)"
    r"|you\s(?:don't|dont|do\snot)\s(?:understand|get\sit)|you\smisunderstood|(?:not|ir)\s?relevant"
    r")"
)
# Whole reply is a rejection: "nej det stämmer inte", "det är fel.", "that's wrong", "no, that's not it".
_REJECTION = re.compile(
    r"^(?:(?:nej|no|nope)\W*)?(?:"
    r"(?:det|det\sdar|detta|svaret|det\ssvaret|ditt\ssvar)\s(?:stammer\sinte|ar\s(?:inte\sratt|fel|felaktigt)"
    r"|var\s(?:inte\sratt|fel))"
    r"|(?:that's|thats|that\sis|this\sis|it's|its|that\swas)\s(?:not\s(?:it|right|correct|true)|wrong|incorrect)"
    r")\s*(?:[.!?,:;)]|$)"
)


def says_not_helpful(text: str) -> bool:
    """The customer says the bot's answer did not help or missed the question."""
    norm = normalize(text)
    return _NOT_HELPFUL.search(norm) is not None or _REJECTION.match(norm) is not None


# --- the answer helped -----------------------------------------------------------------------------------

_HELPED = re.compile(
    r"\b(?:"
    r"(?:det|detta|du|that|this|it|you|svaret|the\sanswer)\s(?:hjalpte|hjalper|helped|helps|lost\sdet|solved\sit|"
    r"fixed\sit|did\sthe\strick)\b(?!\s(?:inte|ej|not))"
    r"|(?:det|it|that|allt|everything)\s(?:funkar|fungerar|works|worked|funkade|fungerade)\s(?:nu|now|igen|again)\b"
    r"|problem(?:et)?\s(?:lost|solved|fixed)\b|(?:solved|lost)\sdet\b|tack\sfor\shjalpen|thanks\sfor\sthe\shelp"
    r")"
)
_BUT = re.compile(r"\b(?:men|but|however|dock)\b")
_THANKS_WORDS = frozenset(
    "tack tackar tusen stort sa mycket thanks thank you thx ty tnx cheers so much very a lot many "
    "perfekt perfect toppen great super bra jattebra utmarkt excellent awesome kanon kanonbra grymt fint "
    "nice wonderful fantastic fantastiskt ok okej okay alright snyggt".split()
)
_THANKS_CORE = frozenset(
    "tack tackar thanks thank thx ty tnx cheers perfekt perfect toppen great super jattebra utmarkt "
    "excellent awesome kanon kanonbra grymt wonderful fantastic fantastiskt".split()
)


def says_helpful(text: str) -> bool:
    """The answer helped ("tack det hjälpte", "thanks that helped"), or a short "toppen" / "thank you!"."""
    norm = normalize(text)
    if says_not_helpful(text) or _BUT.search(norm):
        return False
    if _HELPED.search(norm):
        return True
    words = _words(norm)
    return (
        0 < len(words) <= 6
        and all(w in _THANKS_WORDS for w in words)
        and any(w in _THANKS_CORE for w in words)
    )


# --- greeting -------------------------------------------------------------------------------------------

_GREETING_START = re.compile(
    r"^(?:hej|hejsan|hejhej|halla|hallo|hi|hello|hey|heya|hiya|howdy|tjena|tjenare|tja|morsning|mornin|morning"
    r"|god\s(?:morgon|dag|middag|eftermiddag|kvall)|good\s(?:morning|afternoon|evening|day))\b"
)
_GREETING_FILLER = frozenset(
    "hej hejsan halla hallo hi hello hey there again all everyone folks team friend bot dar igen pa er dig "
    "alla allihop kundresa how are you hur mar du ar laget god good morgon dag middag eftermiddag kvall "
    "morning afternoon evening day".split()
)


def is_greeting(text: str) -> bool:
    """A bare greeting of at most four words: "hej", "hallå!", "hi there", "god morgon"."""
    words = _words(normalize(text))
    if not 0 < len(words) <= 4 or not _GREETING_START.match(" ".join(words)):
        return False
    return all(w in _GREETING_FILLER or _GREETING_START.match(w) for w in words)


# --- all at once ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Signals:
    """Every detector's verdict on one message."""

    wants_human: bool
    frustrated: bool
    not_helpful: bool
    helpful: bool
    greeting: bool


def detect_signals(text: str) -> Signals:
    """Run all detectors over one message (normalised once, thanks to the cache in `normalize`)."""
    return Signals(
        wants_human=wants_human(text),
        frustrated=is_frustrated(text),
        not_helpful=says_not_helpful(text),
        helpful=says_helpful(text),
        greeting=is_greeting(text),
    )

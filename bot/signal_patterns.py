"""The word lists and compiled patterns behind `bot.signals` (Swedish and English), written for
`normalize`d text: lowercase, no diacritics (å/ä→a, ö→o), straight apostrophes, single spaces.

Speed: each pattern is one `\\b(?:branch|branch|...)` alternation whose branches start with a literal
letter; the regex engine then rejects a branch on its first character, which keeps a 200-character
message well under 50 µs per detector.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "BANGS",
    "BARE_HUMAN",
    "BUT",
    "FRUSTRATED",
    "GREETING_START",
    "GREETING_WORDS",
    "HAS_CAPS",
    "HELPED",
    "LETTERS",
    "NEGATIVE",
    "NOT_HELPFUL",
    "REJECTION",
    "THANKS_CORE",
    "THANKS_WORDS",
    "WANTS_HUMAN",
    "WORD",
]


def _any_of(branches: Iterable[str]) -> re.Pattern[str]:
    """Compile `\\b(?:...)`, grouping branches by a literal first letter so each position costs few checks."""
    by_first: dict[str, list[str]] = {}
    other: list[str] = []
    for branch in branches:
        if branch[0] in _LITERAL_START and branch[1:2] not in ("*", "+", "?", "{"):
            by_first.setdefault(branch[0], []).append(branch[1:])
        else:
            other.append(branch)
    grouped = [f"{first}(?:{'|'.join(rests)})" for first, rests in by_first.items()]
    return re.compile(r"\b(?:" + "|".join(grouped + other) + ")")


_LITERAL_START = frozenset("abcdefghijklmnopqrstuvwxyz0123456789'")


def _each(words: str, template: str) -> list[str]:
    """One branch per word ("prata tala", "_" for a space), each starting with a literal; {w} is the word.

    The template goes through str.format, so it must hold no other braces (no `{2,}` quantifiers).
    """
    return [template.format(w=w.replace("_", " ")) for w in words.split()]


WORD = re.compile(r"[a-z0-9']+")
_END = r"(?![\w-])"  # end of a noun: "human" but not "human-readable"

# --- wants a human ---------------------------------------------------------------------------------------

_WHO_SV = (
    r"(?:(?:riktig|verklig|levande|fysisk) )?"
    r"(?:manniska|person|handlaggare|agent|medarbetare|personal|nagon|nan|kundtjanst\w*|kundservice|support\w*)"
    + _END
)
_WHO_EN = (
    r"(?:(?:real|live|actual|human) )?(?:human|person|people|agent|representative|rep|operator|staff|"
    r"customer (?:service|support)|support agent|employee|somebody|someone|anybody|anyone)" + _END
)
_PERSON_EN = (
    r"(?:real |live |actual )?(?:human|person|agent|representative|operator|customer (?:service|support))"
)
WANTS_HUMAN = _any_of(
    [
        # Swedish
        *_each("prata tala snacka chatta skriva", r"{w} (?:med|till) (?:en |nagon |nan )?" + _WHO_SV),
        *_each(
            "fa ha",
            r"{w} (?:kontakt med )?(?:en|nagon) (?:riktig |verklig |levande )?"
            r"(?:manniska|person|handlaggare|agent)" + _END,
        ),
        *_each("kontakta kontakt_med", r"{w} (?:en |nagon )?" + _WHO_SV),
        *_each("riktig verklig levande", r"{w} (?:person|manniska|handlaggare)" + _END),
        r"koppla (?:mig|mej|vidare|over)\b",
        r"finns det (?:en|nagon|nan) (?:riktig )?(?:manniska|person|handlaggare)" + _END,
        r"mansklig (?:hjalp|kontakt|handlaggare|support|agent)\b",
        r"vill inte (?:prata|chatta|tala|skriva) med (?:en )?(?:bot|robot|maskin|dator)\b",
        # English
        *_each("talk speak chat get_through", r"{w} (?:to|with) (?:a |an |some |your |the )?" + _WHO_EN),
        *_each("connect transfer put forward pass hand", r"{w} me (?:on |over )?(?:to|through)\b"),
        r"escalate (?:this|it|my (?:case|issue|ticket|problem|question))\b",
        *_each(
            "want need would_like i'd_like id_like get give_me request ask_for",
            r"{w} (?:a |an )?" + _PERSON_EN + _END,
        ),
        *_each("contact reach", r"{w} (?:a |an |your |the )?(?:" + _PERSON_EN + r"|someone|somebody)" + _END),
        *_each("real live actual", r"{w} (?:human|person|agent|people)" + _END),
        r"human (?:agent|support|help|assistance|operator|representative)\b",
        *_each(
            "do_not don't dont",
            r"{w} want (?:to (?:talk|chat|speak) (?:to|with) )?"
            r"(?:a |the |this |your )?(?:bot|chatbot|robot|machine|ai)" + _END,
        ),
    ]
)
# A message that is nothing but the wish: "människa", "agent please", "kundtjänst tack", "Customer service!"
BARE_HUMAN = re.compile(
    r"(?:(?:hej|hi|hello|snalla|please) )?(?:a |an |en )?(?:real |live |riktig )?"
    r"(?:human|person|agent|manniska|handlaggare|kundtjanst|kundservice|customer (?:service|support)|"
    r"representative|operator)"
    r"(?: (?:please|pls|plz|now|tack|snalla|nu|asap))*"
)


# --- frustration ------------------------------------------------------------------------------------------

FRUSTRATED = _any_of(
    [
        # Swedish swearing, complaints, anger ("fan" the swear word, not "a big fan" / "ett stort fan av")
        r"fan\b(?<!\ba fan)(?<!big fan)(?<!huge fan)(?<!the fan)(?<!my fan)(?<!ceiling fan)(?<!ett fan)"
        r"(?<!stort fan)(?! of\b| av\b| club\b| page\b| vad (?:bra|skont|gott|snyggt|najs)\b)",
        *_each("djavl javl", r"{w}(?!igt (?:bra|snabbt?|nojd|skont|gott))\w*"),
        r"skit(?:en|et|dalig\w*|system\w*|app\w*|tjanst\w*|service|foretag\w*|bank\w*|snack)?\b(?! samma)",
        r"helvete\w*",
        r"vardelos\w*",
        r"uselt?\b",
        r"usla\b",
        r"bedrovlig\w*",
        r"oacceptab\w*",
        r"skandal\w*",
        r"patetisk\w*",
        r"lojlig\w*",
        r"kasst?\b",
        *_each("dalig usel urusel pinsam", r"{w}\w* (?:service|kundtjanst\w*|support|bemotande|bot|app)\b"),
        r"forbann\w*",
        r"frustrerad\w*",
        r"irriterad\w*",
        r"ilsken\b",
        *_each("ar blir e", r"{w} (?:sa |jatte ?|valdigt |riktigt |skit ?)?arg\b"),
        *_each("trott less", r"{w} pa\b"),
        r"ett skamt\b",
        r"jag hatar (?:er|dig|det har|den har|detta|denna|appen|banken|boten)\b",
        r"for (?:[0-9]+:?e|tredje|fjarde|femte|sjatte|tionde|hundrade) gangen\b",
        # English
        r"wtf\b",
        r"ffs\b",
        r"omfg\b",
        r"fu+c*k+\w*",
        r"f\*+c?k\w*",
        r"fck\w*",
        r"fkn\b",
        r"shit\w*",
        r"bullshit\w*",
        r"crap\w*",
        r"damn\w*",
        r"dammit\b",
        r"goddam\w*",
        r"what the (?:hell|heck|fuck)",
        r"pissed\b",
        r"useless\b",
        r"ridiculous\b",
        r"pathetic\b",
        r"unacceptable\b",
        r"furious\b",
        r"outrageous\b",
        r"frustrat(?:ed|ing)\b",
        r"fed up\b",
        r"sick (?:and tired )?of\b",
        r"i hate (?:this|you|your|it|the app|the bot)\b",
        *_each("so really very getting extremely i'm im am", r"{w} (?:angry|mad|annoyed|upset|livid)\b"),
        *_each(
            "terrible horrible awful worst lousy poor crappy",
            r"{w} (?:customer service|service|support|company|bank|experience|bot|app)\b",
        ),
        *_each("is what", r"{w} a joke\b"),
        r"for the (?:[0-9]+(?:st|nd|rd|th)|third|fourth|fifth|sixth|tenth|hundredth|last) time\b",
    ]
)
# Two or more "!" in one burst ("!!", "!?!") together with a negation or complaint word.
BANGS = re.compile(r"![!?1]*!")
NEGATIVE = _any_of(
    [
        *"inte ej aldrig ingen inget inga nej fel fortfarande igen varfor".split(),
        *"not never no nothing nobody broken wrong still again why can't cant won't wont".split(),
        r"trasig\w*",
        r"\w+n't",
    ]
)
# ALL-CAPS shouting is judged on the raw text: letter-only tokens, a run of upper-case ones.
HAS_CAPS = re.compile(r"[A-ZÅÄÖÆØÉÜ]{2}")
LETTERS = re.compile(r"[^\W\d_]+")


# --- the answer did not help ------------------------------------------------------------------------------

_EN_NEG = (
    "did_not didn't didnt does_not doesn't doesnt do_not don't dont "
    "not wasn't wasnt isn't isnt was_not is_not"
)
NOT_HELPFUL = _any_of(
    [
        # Swedish
        *_each("hjalpte hjalper", r"{w} (?:inte|ej|inget|ingenting|mig inte)\b"),
        *_each("var ar", r"{w} (?:till )?ingen hjalp\b"),
        *_each("inte ej", r"{w} till nagon hjalp\b"),
        r"till ingen hjalp\b",
        r"inte (?:det|vad) jag (?:fragade|fragar|undrade|undrar|menade|menar|ville|letar|sokte|behover)\b",
        r"fel svar\b",
        *_each("felaktig vardelos meningslos dalig konstig irrelevant", r"{w}\w* svar\b"),
        r"svara(?:r|de)? inte pa (?:min|mina|fragan|det jag)\b",
        *_each("forstar fattar", r"du {w} inte\b"),
        r"du (?:har )?missforst\w*",
        r"du har fel\b",
        *_each("inte ej", r"{w} relevant\b"),
        r"orelevant\b",
        # English
        *_each(_EN_NEG, r"{w} (?:really |at all )?help(?:ful|ing|ed)?\b"),
        r"unhelpful\b",
        *_each("was is that's thats you're youre you_are been", r"{w} (?:no|not much|of no) (?:help|use)\b"),
        r"no help at all\b",
        r"not what i(?: asked| meant| wanted| want| need| needed| was asking| was looking| am looking"
        r"|'m looking)",
        *_each(
            "wrong incorrect useless irrelevant pointless bad",
            r"{w} (?:answer|reply|response|information|info)\b",
        ),
        *_each(
            _EN_NEG + " never aren't arent are_not haven't havent",
            r"{w} (?:really |even )?answer(?:ed|ing)? (?:my|the) question",
        ),
        r"you (?:don't|dont|do not) (?:understand|get it)\b",
        r"you misunderst\w*",
        r"irrelevant\b",
        r"not relevant\b",
    ]
)
# The whole reply is a rejection: "nej det stämmer inte", "det är fel.", "that's wrong", "no, that's not it".
REJECTION = re.compile(
    r"(?:(?:nej|no|nope)\W*)?(?:"
    r"(?:det|det dar|detta|svaret|det svaret|ditt svar) (?:stammer inte|ar (?:inte ratt|fel|felaktigt)"
    r"|var (?:inte ratt|fel))"
    r"|(?:that's|thats|that is|this is|it's|its|that was) (?:not (?:it|right|correct|true)|wrong|incorrect)"
    r")\s*(?:[.!?,:;)]|$)"
)


# --- the answer helped -----------------------------------------------------------------------------------

HELPED = _any_of(
    [
        *_each(
            "det detta du that this it you svaret the_answer",
            r"{w} (?:hjalpte|hjalper|helped|helps|loste (?:det|sig|problemet|mitt problem)|did the trick|"
            r"(?:solved|fixed) (?:it|my problem|the problem|my issue|the issue))\b(?! (?:inte|ej|not)\b)",
        ),
        # "det funkade!", "it worked, thanks" (but not "it worked yesterday")
        *_each(
            "det it that",
            r"{w} (?:funkade|fungerade|worked)(?= ?[.!,:)]| tack| thanks|$)",
        ),
        *_each(
            "det it that allt everything",
            r"{w} (?:funkar|fungerar|works|worked|funkade|fungerade) (?:nu|now|igen|again)\b",
        ),
        r"problem(?:et)? (?:lost|solved|fixed)\b",
        r"tack for (?:hjalpen|svaret|infon|informationen)\b",
        *_each("thanks thank_you", r"{w} for (?:the|your) (?:help|answer|reply|info)\b"),
    ]
)
BUT = re.compile(r"\b(?:men|but|however|dock)\b")
THANKS_WORDS = frozenset(
    "tack tackar tusen stort sa mycket thanks thank you thx ty tnx cheers so much very a lot many "
    "perfekt perfect toppen great super bra jattebra utmarkt excellent awesome kanon kanonbra grymt fint "
    "nice wonderful fantastic fantastiskt ok okej okay alright snyggt bye hej hejda da".split()
)
THANKS_CORE = frozenset(
    "tack tackar thanks thank thx ty tnx cheers perfekt perfect toppen great super jattebra utmarkt "
    "excellent awesome kanon kanonbra grymt wonderful fantastic fantastiskt".split()
)


# --- greeting -------------------------------------------------------------------------------------------

GREETING_START = re.compile(
    r"(?:hej|hejsan|hejhej|halla|hallo|hi|hello|hey|heya|hiya|howdy|tjena|tjenare|tja|morsning|mornin|morning"
    r"|god (?:morgon|dag|middag|eftermiddag|kvall)|good (?:morning|afternoon|evening|day))\b"
)
GREETING_WORDS = frozenset(
    "hej hejsan hejhej halla hallo hi hello hey heya hiya howdy tjena tjenare tja morsning mornin "
    "there again all everyone folks team friend bot dar igen pa er dig alla allihop kundresa "
    "how are you hur mar du ar laget god good morgon dag middag eftermiddag kvall "
    "morning afternoon evening day".split()
)

"""Mask payment card numbers, CVC codes and Swedish personnummer in chat text before it is stored or shown.

Masking is meant as a property, not a list of formats: a Luhn-valid card number or a valid personnummer is
masked whatever separates its digits (spaces, tabs, newlines, NBSP, ``.``, ``-``, ``–``, ``/``, ``_``, ...),
however they are grouped, in whatever digit script (full-width, Arabic-Indic, ...), with zero-width
characters or combining marks anywhere inside. Everything around it stays exactly as typed.

Two passes, each on the output of the one before:

1. numbers (``_numbers``): digit runs (``_runs``) are split into groups; card numbers (13-19 digits, Luhn)
   and personnummer (date + Luhn, 10 or 12 digits) are chosen among the spans of whole groups. Runs the
   context marks as something else (``_context``: after "OCR" or "+", an IBAN, a piece of an identifier, an
   amount) and decimal numbers are left alone;
2. CVC (``_cvc``): a standalone 3-4 digit number in card context: after a card-security phrase ("cvc",
   "säkerhetskod", "the three digits on the back"), after "kod"/"code" when the message is about a card, or
   right after a masked card number ("[kort ••••1111] 123").

Masking is idempotent (``mask_sensitive(mask_sensitive(t).text)`` masks nothing more): the tokens hold no
digit run a pass would take, no gap a pass reads crosses a token, and where a decision depends on the digits
around a number, a neighbouring token counts as the digits it replaced. ``mask_value`` applies
``mask_sensitive`` to every string of a JSON-like structure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from router.masking._cvc import CVC_TOKEN, KIND_CVC, mask_cvc
from router.masking._numbers import KIND_CARD, KIND_PERSONNUMMER, PERSONNUMMER_TOKEN, mask_numbers
from router.masking._text import luhn_valid

__all__ = [
    "CVC_TOKEN",
    "KIND_CARD",
    "KIND_CVC",
    "KIND_PERSONNUMMER",
    "PERSONNUMMER_TOKEN",
    "MaskResult",
    "contains_card_details",
    "luhn_valid",
    "mask_sensitive",
    "mask_value",
]

_KIND_ORDER = (KIND_CARD, KIND_CVC, KIND_PERSONNUMMER)
_ANY_DIGIT = re.compile(r"\d")


@dataclass(frozen=True, slots=True)
class MaskResult:
    """Masked text, whether anything was masked, and which kinds (in the order card, cvc, personnummer)."""

    text: str
    masked: bool
    kinds: tuple[str, ...]


def contains_card_details(result: MaskResult) -> bool:
    """True when the customer sent a card number or a CVC (the bot then warns them not to)."""
    return KIND_CARD in result.kinds or KIND_CVC in result.kinds


def mask_sensitive(text: str) -> MaskResult:
    """Mask card numbers and personnummer, then CVC codes (see the module docstring)."""
    if _ANY_DIGIT.search(text) is None:  # fast path: nothing to mask without a digit
        return MaskResult(text, False, ())
    numbered, kinds = mask_numbers(text)
    final = mask_cvc(numbered)
    if final is not numbered:
        kinds.add(KIND_CVC)
    if not kinds:
        return MaskResult(text, False, ())
    return MaskResult(final, True, tuple(k for k in _KIND_ORDER if k in kinds))


def _mask_leaf(value: Any) -> Any:
    if isinstance(value, str):
        return mask_sensitive(value).text
    # An integer can carry a card number or personnummer too ({"card": 4111111111111111}); it becomes the
    # masked string. Only integers short enough to be one are looked at (str() of a huge int is slow).
    if isinstance(value, int) and not isinstance(value, bool) and -(10**20) < value < 10**20:
        result = mask_sensitive(str(value))
        return result.text if result.masked else value
    return value


def mask_value(obj: Any) -> Any:
    """A copy of a JSON-like value with every string masked: dicts (keys unchanged), lists, tuples, strings.

    Other values are returned as they are, except integers that are a card number or personnummer, which
    become their masked string. Works without recursion, so any nesting depth is fine. The input is not
    modified.
    """
    if not isinstance(obj, (dict, list, tuple)):
        return _mask_leaf(obj)
    root: list[Any] = [None]
    tuples: list[tuple[Any, Any, list[Any]]] = []  # (parent, key, list standing in for a tuple)
    stack: list[tuple[Any, Any, Any]] = [(obj, root, 0)]  # (source, parent, key in parent)
    while stack:
        source, parent, key = stack.pop()
        if isinstance(source, dict):
            copy: Any = {}
            items: Any = source.items()
        else:
            copy = []
            items = enumerate(source)
            if isinstance(source, tuple):
                tuples.append((parent, key, copy))
        parent[key] = copy
        for k, value in items:
            if isinstance(value, (dict, list, tuple)):
                if isinstance(copy, list):
                    copy.append(None)
                else:
                    copy[k] = None  # keeps the key order; filled in when popped
                stack.append((value, copy, k))
            elif isinstance(copy, list):
                copy.append(_mask_leaf(value))
            else:
                copy[k] = _mask_leaf(value)
    for parent, key, items_list in reversed(tuples):  # innermost last created: freeze inside out
        parent[key] = tuple(items_list)
    return root[0]

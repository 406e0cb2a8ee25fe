"""Swedish personnummer and samordningsnummer: a valid date (day + 60 for a samordningsnummer) and a
Luhn-valid last ten digits, written with 10 or 12 digits."""

from __future__ import annotations

import calendar
import time

from router.masking._text import luhn_valid

# personnummer shapes (group lengths) by the length of their first group
PNR_SHAPES: dict[int, list[int]] = {
    10: [10],
    6: [6, 4],
    2: [2, 2, 2, 4],
    12: [12],
    8: [8, 4],
    4: [4, 2, 2, 4],
}
PNR_GROUPS = frozenset((4, 10, 12))  # every shape holds one of these
_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _valid_date(year: int, month: int, day: int, *, century: bool) -> bool:
    """`year` is a full year when `century`, else two digits (then 29 February needs `year` % 4 == 0)."""
    if not 1 <= month <= 12 or day < 1:
        return False
    if month == 2 and day == 29:
        return calendar.isleap(year) if century else year % 4 == 0
    return day <= _MONTH_DAYS[month]


_today_cache = [0, 0.0]  # YYYYMMDD, and until when (time.time()) it is fresh


def _today() -> int:
    """Today as YYYYMMDD (local time), looked up at most once a minute."""
    now = time.time()
    if now >= _today_cache[1]:
        day = time.localtime(now)
        _today_cache[0] = day.tm_year * 10000 + day.tm_mon * 100 + day.tm_mday
        _today_cache[1] = now + 60
    return int(_today_cache[0])


def valid_personnummer(digits: str) -> bool:
    """10 or 12 ASCII digits: a valid (birth or coordination) date and a Luhn-valid last ten digits.

    With the century written the birth date must also lie before today ("2026-12-01 1234" is a booking).
    """
    century = len(digits) == 12
    if century:
        if digits[:2] not in ("18", "19", "20"):
            return False
        year = int(digits[:4])
        digits = digits[2:]
    else:
        year = int(digits[:2])
    month, day = int(digits[2:4]), int(digits[4:6])
    if day > 60:  # samordningsnummer: day + 60
        day -= 60
    if not _valid_date(year, month, day, century=century) or not luhn_valid(digits):
        return False
    return not century or year * 10000 + month * 100 + day < _today()


def is_date8(digits: str) -> bool:
    """Eight ASCII digits that are a YYYYMMDD date of the 1900s or 2000s."""
    return digits[:2] in ("19", "20") and _valid_date(
        int(digits[:4]), int(digits[4:6]), int(digits[6:8]), century=True
    )

"""bot/eval_compare.py: the methods compared and the table they are shown in (a real `kundresa eval` run:
tests/bot/cli/test_evaluate.py)."""

from __future__ import annotations

from bot.eval_compare import COLUMNS, METHODS, format_table
from config import SearchSettings


def test_methods_have_unique_names_and_valid_search_overrides() -> None:
    assert len({m.name for m in METHODS}) == len(METHODS)
    known = set(SearchSettings.model_fields)
    for method in METHODS:
        # SearchSettings ignores unknown keys: a misspelt override would silently compare nothing new
        assert set(method.search) <= known, (method.name, set(method.search) - known)
        SearchSettings(**method.search)


def test_the_table_aligns_columns_and_shows_missing_values_as_a_dash() -> None:
    rows = [
        {"method": "short", "top1_accuracy": 0.9, "auroc": None, "seconds": 12.5},
        {"method": "a much longer method name", "top1_accuracy": 0.12345, "seconds": 3},
    ]
    header, first, second = format_table(rows).splitlines()
    assert header.split() == ["method", *" ".join(title for _, title in COLUMNS).split()]
    assert first.startswith("short" + " " * (len("a much longer method name") - 5 + 2))
    assert "0.900" in first and "0.123" in second and "12.500" in first and " 3" in second
    assert "—" in first  # auroc unknown
    assert len({line.index("0.") for line in (first, second)}) == 1  # one column start for top-1

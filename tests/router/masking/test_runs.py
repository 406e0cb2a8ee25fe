"""router.masking._runs: digit runs (groups joined by separators) in any script, their groups and gaps."""

from __future__ import annotations

from router.masking._runs import gaps_of, groups_of, runs


def spans(text: str) -> list[str]:
    return [text[start:end] for start, end in runs(text)]


def test_runs_take_grouped_numbers_whole_and_skip_short_ones() -> None:
    text = "kort 4111 1111 1111 1111, order 48213, tel 070-123 45 67"
    assert spans(text) == ["4111 1111 1111 1111", "070-123 45 67"]


def test_full_stop_before_whitespace_ends_a_run() -> None:
    # a sentence ends after the date: two numbers, not one
    assert spans("född 2000-06-09. 0138-00 00 00") == ["2000-06-09", "0138-00 00 00"]
    assert spans("4111.1111.1111.1111") == ["4111.1111.1111.1111"]


def test_runs_in_other_scripts_and_with_ignorables() -> None:
    text = "kort ４１１１ １１１１ １１１１ １１１１ och 4111\u200b1111\u200b1111\u200b1111"
    assert spans(text) == ["４１１１ １１１１ １１１１ １１１１", "4111\u200b1111\u200b1111\u200b1111"]


def test_groups_and_gaps_of_a_run() -> None:
    assert groups_of("4111 1111-1111/1111") == ["4111", "1111", "1111", "1111"]
    assert gaps_of("4111 1111-1111/1111") == [" ", "-", "/"]
    assert groups_of("４１１１\u00a0１１\u200b１１") == ["4111", "1111"]
    assert gaps_of("4111\u200b \u200b1111") == [" "]  # ignorables inside a gap are dropped

"""bot/cli/main.py: the parser's command groups, and how errors end the command (exit code 2, one line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import build_parser, main


def test_every_command_group_is_on_the_parser_in_order() -> None:
    usage = build_parser().format_usage()
    assert "{serve,db,kb,eval,user,customer,retention}" in usage


@pytest.mark.parametrize(
    "argv",
    [
        ["serve", "--port", "80"],
        ["db", "upgrade"],
        ["kb", "search", "hej", "--json", "--lang", "sv", "--drafts"],
        ["kb", "tune", "--epochs", "1"],
        ["eval", "banking77", "--shots", "5", "--compare", "--tuned"],
        ["user", "add", "ann", "--role", "admin", "--team", "b2b", "--capacity", "2"],
        ["customer", "erase", "7", "--yes", "--keep-as", "3=text"],
        ["retention", "run", "--dry-run"],
    ],
)
def test_each_command_parses_to_its_handler(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert callable(args.func)
    assert args.func.__module__.startswith("bot.cli.")


def test_a_kundresa_error_is_one_line_on_stderr_and_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.toml"
    assert main(["--config", str(missing), "db", "upgrade"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip() == f"kundresa: settings file {missing} does not exist"


def test_an_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err

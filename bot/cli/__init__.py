"""The `kundresa` command (pyproject's `kundresa = "bot.cli:main"`): one module a command group."""

from bot.cli.main import build_parser, main

__all__ = ["build_parser", "main"]

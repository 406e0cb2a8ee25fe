"""Debian's chromium for the browser tests: where it is and how to launch it on a closed network."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Without the networking flags chromium floods the closed network with connections at every start.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} not found: `apt-get install chromium` (make test does, as root)",
)


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """Debian's chromium, headless, through playwright (the test is skipped when playwright is missing)."""
    playwright = pytest.importorskip("playwright.async_api")
    async with playwright.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()

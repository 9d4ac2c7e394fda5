"""Headless Debian chromium driven by playwright, for the tests that look at pages in a real
browser (the live view, the docs site). The system browser is used: ``playwright install`` is
not needed. Missing pieces fail the test in CI and skip it elsewhere."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def unavailable(reason: str) -> NoReturn:
    """Fail in CI, skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"CI must provide the browser test's needs: {reason}")
    pytest.skip(reason)


@contextlib.contextmanager
def headless_chromium() -> Iterator[Any]:
    """A launched playwright ``Browser`` on Debian's chromium, closed on exit."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        unavailable("the playwright pip package is missing (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Error as exc:
            pytest.fail(f"headless {CHROMIUM} did not start: {exc.message.splitlines()[0]}")
        yield launched
        launched.close()

"""Headless Chromium for the browser tests: Debian's `chromium` package driven by Playwright for Python.

`playwright install` cannot download its own browser offline, so the README's commands install Debian's
package and the tests launch it through executable_path, with the flags that keep it off the network.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    """Debian's chromium binary; a clear failure (never a skip) when the README's set-up was not run."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise RuntimeError("chromium is not installed: run the README's test command, which installs Debian's "
                           "`chromium` package (apt-get install chromium)")
    return found


@contextmanager
def browser_page(user_data: Path, *, width: int = 1280, height: int = 900) -> Iterator["object"]:
    """A fresh page in headless Chromium with its own profile folder; closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(user_data), executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height})
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()

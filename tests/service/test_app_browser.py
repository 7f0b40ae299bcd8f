"""`coursework app` in a real headless Chromium: the overview, a task's page, the form, CSV and image scoring."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coursework import tracking
from tests.browser import browser_page
from tests.service.conftest import APP_MAX_MB
from tests.support import console, iris_frame

WAIT_MS = 120_000  # the first prediction loads TensorFlow or checks a model's files on a loaded 2-core box


def _open(page, url: str, **query) -> None:
    page.goto(url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""))
    page.get_by_text("coursework", exact=True).first.wait_for(timeout=WAIT_MS)


def _shot(page, name: str) -> None:
    """Saved when COURSEWORK_SCREENSHOT_DIR is set (the README's docs/app.png comes from here)."""
    folder = os.environ.get("COURSEWORK_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def _no_traceback(page) -> None:
    assert "Traceback" not in page.content()


def test_overview_lists_every_registered_task_with_its_champion(app_project, app_url, tmp_path):
    tracking.configure(app_project)
    tasks = {t: tracking.alias_version(t) for t in ("iris_knn", "mnist_dense")}
    with browser_page(tmp_path / "profile") as page:
        _open(page, app_url)
        page.get_by_text("Champions").wait_for(timeout=WAIT_MS)
        for task, champion in tasks.items():
            row = page.locator("table tr", has_text=task).first
            row.wait_for(timeout=WAIT_MS)
            text = row.inner_text()
            assert f"v{champion['version']}" in text, text
            assert f"{champion['metrics']['accuracy']:.4f}" in text, text  # the primary metric, as registered
        _shot(page, "app.png")
        _no_traceback(page)

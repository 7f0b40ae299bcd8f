"""The app's input handling and predictions log, on real data without a server: fast, pure functions."""

from __future__ import annotations

import io

import numpy as np
import pytest

from coursework.errors import SourceError
from coursework.tracking_serving import serving_metadata
from coursework.webapp import inputs, predlog
from tests.support import iris_frame

FEATURES = [{"name": n, "kind": "numeric", "dtype": "float64"} for n in ("sepal_length", "sepal_width")]


def test_a_file_over_the_limit_is_refused_by_name_and_size():
    inputs.check_size("ok.csv", 1024 * 1024, 1.0)  # exactly at the limit passes
    with pytest.raises(SourceError, match=r"big.csv is 1.5 MB, over the 0.5 MB limit"):
        inputs.check_size("big.csv", int(1.5 * 1024 * 1024), 0.5)


def test_the_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("COURSEWORK_APP_MAX_MB", raising=False)
    assert inputs.max_mb() == inputs.DEFAULT_MAX_MB == 10
    monkeypatch.setenv("COURSEWORK_APP_MAX_MB", "2.5")
    assert inputs.max_mb() == 2.5


@pytest.mark.parametrize("data, message", [
    (b"sepal_length\n5.1\n", "lacks the column(s) the model needs: sepal_width"),
    (b"sepal_length,sepal_width\n", "has a header but no rows"),
    (b"\xff\xfe\x00binary", "is not a readable CSV file"),
])
def test_a_bad_csv_is_refused_with_its_reason(data, message):
    with pytest.raises(SourceError, match=message.replace("(", r"\(").replace(")", r"\)")):
        inputs.read_csv("in.csv", data, ["sepal_length", "sepal_width"])


def test_a_word_in_a_numeric_column_is_named_with_its_row():
    frame = inputs.read_csv("in.csv", b"sepal_length,sepal_width\n5.1,3.5\n4.9,n/a?\n", ["sepal_length", "sepal_width"])
    with pytest.raises(SourceError, match=r"column 'sepal_width' must be a number, but row 2 holds 'n/a\?'"):
        inputs.check_types(frame, FEATURES, "in.csv")
    inputs.check_types(frame.iloc[:1], FEATURES, "in.csv")  # the good row alone passes


def test_a_digit_image_of_any_size_becomes_the_28x28_row_it_was_drawn_from():
    from PIL import Image

    from pipelines._shared.data import digits_frame

    frame = digits_frame()
    row = frame.drop(columns="label").iloc[0].to_numpy(dtype=np.uint8).reshape(28, 28)
    buffer = io.BytesIO()
    Image.fromarray(255 - row).resize((300, 300), Image.BILINEAR).save(buffer, format="JPEG")  # dark ink, bigger, lossy
    got = inputs.image_row("digit.jpg", buffer.getvalue())
    assert list(got.columns) == [f"px{i}" for i in range(784)] and got.to_numpy().min() >= 0 and got.to_numpy().max() == 255
    # MNIST digits are already centred in a 20x20 box: the round trip keeps the strokes where they were
    assert np.corrcoef(got.to_numpy().ravel().astype(float), row.ravel().astype(float))[0, 1] > 0.8


@pytest.mark.parametrize("data, message", [(b"not an image", "is not an image"), (None, "the image is blank")])
def test_a_non_image_or_blank_image_is_refused(data, message):
    if data is None:
        from PIL import Image

        buffer = io.BytesIO()
        Image.new("L", (50, 50), 255).save(buffer, format="PNG")
        data = buffer.getvalue()
    with pytest.raises(SourceError, match=message):
        inputs.image_row("x.png", data)


def test_only_784_pixel_inputs_make_an_image_task():
    assert inputs.is_image_task([f"px{i}" for i in range(784)])
    assert not inputs.is_image_task([f"px{i}" for i in range(3072)]) and not inputs.is_image_task(["sepal_length"])


def test_the_predictions_log_keeps_records_newest_first_and_skips_a_torn_line(tmp_path):
    frame = iris_frame().drop(columns="species").head(3)
    sha = predlog.inputs_sha256(frame)
    assert sha == predlog.inputs_sha256(frame.copy()) != predlog.inputs_sha256(frame.head(2))
    for version in (1, 2):
        predlog.append(tmp_path, task="iris_knn", version=version, rows=3, latency_ms=1.234, sha256=sha, source="form")
    with (tmp_path / predlog.LOG).open("a") as log:
        log.write('{"time": "cut sho')  # a crash mid-write
    records = predlog.last(tmp_path)
    assert [r["version"] for r in records] == [2, 1] and records[0]["latency_ms"] == 1.2
    assert set(records[0]) == {"time", "task", "version", "rows", "latency_ms", "inputs_sha256", "source"}


def test_serving_metadata_holds_medians_modes_dtypes_and_classes():
    from pipelines import get_spec

    frame = iris_frame()
    X, y = frame.drop(columns="species"), frame["species"]
    X = X.assign(colour=["blue"] * 100 + ["red"] * 50)
    meta = serving_metadata(get_spec("iris_knn"), X, y)
    by_name = {f["name"]: f for f in meta["features"]}
    assert by_name["petal_length"] == {"name": "petal_length", "dtype": "float64", "kind": "numeric",
                                       "default": float(X["petal_length"].median())}
    assert by_name["colour"]["kind"] == "categorical" and by_name["colour"]["default"] == "blue"
    assert meta["classes"] == ["setosa", "versicolor", "virginica"]
    assert meta["anchor"] == get_spec("iris_knn").anchor and meta["problem"] == "classification"

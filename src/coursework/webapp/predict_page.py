"""The predict page: a form from the champion's inputs, a CSV for batch scoring, a digit image for MNIST."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import streamlit as st

from coursework.errors import CourseworkError
from coursework.webapp import inputs, predlog, scoring


def _field(feature: dict):
    """One typed input with the training split's median or mode as its default."""
    name, default = feature["name"], feature.get("default")
    if feature["kind"] == "numeric":
        if feature["dtype"].startswith(("int", "uint")):
            return st.number_input(name, value=int(round(default)) if default is not None else 0, step=1, key=f"in_{name}")
        return st.number_input(name, value=float(default) if default is not None else 0.0, format="%.4f", key=f"in_{name}")
    return st.text_input(name, value="" if default is None else str(default), key=f"in_{name}")


def _say(served: scoring.Served, values: pd.Series) -> None:
    label = values.iloc[0]
    noun = {"classification": "class"}.get((served.meta or {}).get("problem"), "prediction")
    st.success(f"Prediction ({noun}): {label}  ·  model version {served.version}")


def _form(root: Path, served: scoring.Served) -> None:
    with st.form("one_row"):
        values = {f["name"]: _field(f) for f in served.features}
        submitted = st.form_submit_button("Predict")
    if submitted:
        _say(served, scoring.predict(root, served, inputs.form_row(values, served.features), source="form"))


def _upload(label: str, key: str):
    """An uploaded file's (name, bytes), refused on the page when over the size limit."""
    limit = inputs.max_mb()
    # the widget refuses a file over the whole-MB cap before it is sent; check_size holds the exact limit
    file = st.file_uploader(f"{label} (up to {limit:g} MB)", key=key, max_upload_size=max(1, math.ceil(limit)))
    if file is None:
        return None
    inputs.check_size(file.name, file.size, limit)
    return file.name, file.getvalue()


def _image(root: Path, served: scoring.Served) -> None:
    st.subheader("A digit image")
    st.caption("PNG or JPG of any size: made grayscale, cropped to the ink, scaled into MNIST's 28×28 frame")
    got = _upload("digit image", "image")
    if got:
        row = inputs.image_row(*got)
        st.image(row.to_numpy().reshape(inputs.SIDE, inputs.SIDE).astype("uint8"), caption="as the model sees it", width=112)
        values = scoring.predict(root, served, row, source=f"image {got[0]}")
        _say(served, values)


def _batch(root: Path, served: scoring.Served) -> None:
    st.subheader("Batch scoring from a CSV")
    names = [f["name"] for f in served.features]
    st.caption(f"columns needed: {', '.join(names[:12])}{' …' if len(names) > 12 else ''}; others are kept")
    got = _upload("CSV file", "csv")
    if got:
        frame = inputs.read_csv(*got, names)
        result = frame.assign(prediction=scoring.predict(root, served, frame, source=f"csv {got[0]}").to_numpy())
        st.success(f"{len(result)} predictions from model version {served.version}")
        st.dataframe(result, hide_index=True)
        st.download_button("Download predictions (CSV)", result.to_csv(index=False).encode(),
                           file_name=f"{served.task}-predictions.csv", mime="text/csv")


def _log(root: Path) -> None:
    st.subheader("Last served predictions")
    records = predlog.last(root)
    if records:
        st.table(pd.DataFrame(records))
    else:
        st.caption(f"none yet; every prediction is logged to {predlog.LOG}")


def predict_page(root: Path, task: str) -> None:
    """Predictions from models:/TASK@champion as it is now (its files checked before it loads)."""
    st.header(f"Predict: {task}")
    try:
        served = scoring.champion(task)
    except CourseworkError as exc:  # a model whose files fail their sha256 is not loaded: said, not raised
        st.error(str(exc))
        served = None
    else:
        if served is None:
            st.warning(f"{task} has no champion to predict with: no version has met its gate yet")
    if served is None:
        _log(root)
        return
    st.caption(f"models:/{task}@champion is version {served.version}")
    if served.meta is None:
        st.info(f"version {served.version} was registered before serving metadata was logged: the inputs come from "
                "its signature, without defaults or class labels")
    elif served.meta.get("classes"):
        st.caption(f"classes: {', '.join(map(str, served.meta['classes']))}")
    names = [f["name"] for f in served.features]
    for part in ((_image,) if inputs.is_image_task(names) else (_form,)) + (_batch,):
        try:
            part(root, served)
        except CourseworkError as exc:
            st.error(str(exc))
    _log(root)

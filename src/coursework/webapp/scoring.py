"""Predictions from a task's champion: the model the alias points at now, checked, cached by its version."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from coursework import tracking, tracking_registry, tracking_serving
from coursework.webapp import inputs, predlog


@dataclass(frozen=True)
class Served:
    """The champion as served: its version, run, input features (metadata, else signature) and model."""

    task: str
    version: int
    run_id: str | None
    features: list[dict[str, Any]]
    meta: dict[str, Any] | None
    model: Any


@st.cache_resource(max_entries=6, show_spinner="loading the model (its files checked against their sha256)")
def _model(task: str, version: int):
    # keyed by the version the alias points at now: a promotion or rollback changes the key, so the
    # next prediction loads the new champion; an unchanged alias reuses the checked copy
    return tracking.load_version_model(task, version)


def _signature_features(model) -> list[dict[str, Any]]:
    numeric = ("int", "float", "uint")
    return [{"name": name, "dtype": dtype, "kind": "numeric" if dtype.startswith(numeric) else "categorical",
             "default": None} for name, dtype in tracking_serving.signature_inputs(model)]


def champion(task: str) -> Served | None:
    """The task's champion now, or None when it has none; files that fail their sha256 raise (exit-4 kind)."""
    version = tracking_registry.alias_target(task, "champion")
    if version is None:
        return None
    row = next(r for r in tracking_serving.versions(task) if r["version"] == version)
    model = _model(task, version)
    meta = tracking_serving.metadata(row["run_id"])
    features = meta["features"] if meta else _signature_features(model)
    return Served(task, version, row["run_id"], features, meta, model)


def predict(root: Path, served: Served, frame: pd.DataFrame, *, source: str) -> pd.Series:
    """The champion's predictions for these rows, logged to the predictions file (time, version, rows, latency, hash)."""
    names = [f["name"] for f in served.features]
    inputs.check_types(frame, served.features, source)
    started = time.perf_counter()
    values = tracking.predict_frame(served.model, frame[names])
    latency = (time.perf_counter() - started) * 1000
    predlog.append(root, task=served.task, version=served.version, rows=len(frame), latency_ms=latency,
                   sha256=predlog.inputs_sha256(frame[names]), source=source)
    result = pd.Series(pd.DataFrame(values).iloc[:, 0] if getattr(values, "ndim", 1) > 1 else values,
                       name="prediction")
    return result.reset_index(drop=True)


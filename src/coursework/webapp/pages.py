"""The overview and task pages: what the registry holds for every task, and one task's evidence."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from coursework.webapp import registry_view


def overview() -> None:
    """Every registered task with its champion, primary metric beside baseline and anchor, lineage, last gate."""
    st.header("Champions")
    rows = registry_view.overview()
    if not rows:
        st.info("No task is registered yet: `coursework run --all` trains and registers every task.")
        return
    st.caption(f"{len(rows)} registered task(s); the champion is the version the `champion` alias points at")
    st.table(pd.DataFrame(rows).set_index("task"))


def _comparison(state: dict) -> None:
    st.subheader("Champion against challenger")
    rows = registry_view.comparison(state)
    if state["challenger"] is None:
        st.caption("no challenger: every version that met its gate and beat the champion became champion")
    if rows:
        st.table(pd.DataFrame(rows).set_index("metric"))


def _evidence(run_id: str) -> None:
    found = registry_view.evidence(run_id)
    st.subheader("Plots of the champion's run")
    if not found["plots"]:
        st.caption("the run logged no plots")
    columns = st.columns(2)
    for i, (name, data) in enumerate(sorted(found["plots"].items())):
        columns[i % 2].image(data, caption=name, width="stretch")
    st.subheader("Validation report")
    report = found["validation"]
    if report is None:
        st.caption("the run logged no validation report")
    else:
        verdict = "passed" if report.get("success") else "failed"
        st.write(f"Great Expectations: {verdict}, {report.get('evaluated', '?')} expectations evaluated")
        if report.get("failures"):
            st.table(pd.DataFrame(report["failures"]))
    if found["study"]:
        st.subheader("Tuning (Optuna)")
        st.json(found["study"], expanded=False)


def task_page(task: str) -> None:
    """One task: its champion's plots and validation report, champion vs challenger, the alias history."""
    state = registry_view.task_state(task)
    champ = state["champion"]
    meta = (champ or {}).get("meta") or {}
    st.header(task)
    if meta.get("description"):
        st.write(meta["description"])
    if meta.get("anchor"):
        st.caption(f"the course's anchor: {meta['anchor']}")
    if champ is None:
        st.warning(f"{task} has no champion: no version has met its gate yet")
    _comparison(state)
    st.subheader("Alias history")
    moves = registry_view.history(task)
    if moves:
        st.table(pd.DataFrame(moves))
    else:
        st.caption("no alias has moved yet")
    if champ:
        _evidence(champ["run_id"])

"""The script `coursework app` hands to `streamlit run`: `main.py -- PROJECT_ROOT TRACKING_URI`.

Streamlit re-runs this file on every interaction; the store is set each time (cheap) and models are
cached by version in scoring.py. Pages are picked in the sidebar, mirrored in the URL (?page=&task=).
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

from coursework import errorlog, tracking_serving
from coursework.errors import CourseworkError
from coursework.webapp import pages, predict_page

PAGES = ("Overview", "Task", "Predict")


def _choice(label: str, options: list[str], param: str) -> str | None:
    """A sidebar selectbox that starts from, and writes back, its query parameter (links can open a page)."""
    if not options:
        return None
    wanted = st.query_params.get(param)
    picked = st.sidebar.selectbox(label, options, index=options.index(wanted) if wanted in options else 0, key=param)
    st.query_params[param] = picked
    return picked


def render(root: Path) -> None:
    st.sidebar.title("coursework")
    st.sidebar.caption("every task's champion, from the MLflow registry")
    page = _choice("page", list(PAGES), "page")
    tasks = tracking_serving.registered_tasks() if page != "Overview" else []
    task = _choice("task", tasks, "task")
    if page == "Overview":
        pages.overview()
    elif task is None:
        st.info("No task is registered yet: `coursework run --all` trains and registers every task.")
    elif page == "Task":
        pages.task_page(task)
    else:
        predict_page.predict_page(root, task)


def main(argv: list[str]) -> None:
    st.set_page_config(page_title="coursework", layout="wide")
    root, uri = Path(argv[1]), argv[2]
    tracking_serving.use_store(uri)
    try:
        render(root)
    except CourseworkError as exc:
        st.error(str(exc))
    except Exception as exc:  # noqa: BLE001 - a page never shows a traceback: one line, and the log file's name
        st.error(errorlog.message(exc, errorlog.write(exc, root, what="serving a page of the web app")))


main(sys.argv)

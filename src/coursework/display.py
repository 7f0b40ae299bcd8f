"""How the CLI prints: tables that never cut an id short, JSON for scripts, a progress bar on stderr."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import os
import sys
from typing import Any, Callable, Iterable, Iterator, Sequence

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

PIPE_WIDTH = 1000  # a pipe has no width: a table is printed at its own, one line per row, for grep and cut


def stdout_console() -> Console:
    """Rich's console for stdout; into a pipe (and no COLUMNS set) it takes no terminal's width, not 80."""
    piped = not sys.stdout.isatty() and not os.environ.get("COLUMNS")
    return Console(width=PIPE_WIDTH if piped else None)


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, title: str | None = None,
          fold: Sequence[str] | None = None) -> Table:
    """A table whose first column (the id: task, metric, param) is never wrapped or cut short.

    The columns named in `fold` (all the others by default) wrap over lines when the width is short,
    never ending in "…"; the rest keep their short values on one line.
    """
    rows = [tuple(row) for row in rows]
    key_width = max([cell_len(str(row[0])) for row in rows] + [cell_len(headers[0])])
    result = Table(title=title, box=box.SIMPLE_HEAD)  # no side rules: a row's fields split on spaces (awk, cut)
    result.add_column(headers[0], no_wrap=True, min_width=key_width)
    for header in headers[1:]:
        folds = fold is None or header in fold
        result.add_column(header, overflow="fold" if folds else "ellipsis", no_wrap=not folds)
    for row in rows:
        result.add_row(*row)
    return result


def finite(value: Any) -> float | None:
    """A metric as a plain float for JSON; NaN or infinity (JSON has neither) as None."""
    value = float(value)
    return value if math.isfinite(value) else None


def print_json(value: Any) -> None:
    """One JSON document on stdout; NaN and infinity are refused, not written as invalid JSON."""
    sys.stdout.write(json.dumps(value, indent=2, allow_nan=False) + "\n")
    sys.stdout.flush()


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Everything printed in the block goes to stderr (Python's prints and child processes' alike), so stdout
    holds only the JSON written after it."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 1)
        os.close(saved)


class _LinesAbove(io.TextIOBase):
    """A stream whose lines a console prints (above its live bar). Not Rich's FileProxy: a Console writing
    to a FileProxy unwraps it and writes straight through the bar."""

    def __init__(self, console: Console) -> None:
        self._console, self._partial = console, ""

    def write(self, text: str) -> int:
        *lines, self._partial = (self._partial + text).split("\n")
        for line in lines:
            self._console.print(Text.from_ansi(line), soft_wrap=True)
        return len(text)

    def isatty(self) -> bool:
        return self._console.is_terminal


@contextlib.contextmanager
def _prefect_logs_above(console: Console) -> Iterator[None]:
    """Prefect's console handlers hold the stderr of their import time: send their lines through the bar's
    console, so they print above the bar instead of through it."""
    from prefect.logging.handlers import PrefectConsoleHandler

    loggers = [logging.getLogger()] + [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    handlers = {id(h): h for lg in loggers for h in getattr(lg, "handlers", []) if isinstance(h, PrefectConsoleHandler)}
    before = {key: h.console.file for key, h in handlers.items()}
    for handler in handlers.values():
        handler.console.file = _LinesAbove(console)
    try:
        yield
    finally:
        for key, handler in handlers.items():
            handler.console.file = before[key]


@contextlib.contextmanager
def task_progress(total: int, console: Console) -> Iterator[tuple[Callable[[str], None], Callable[[dict], None]]]:
    """A bar on `console`: tasks done of total, the task running now, time elapsed; yields (start, done) hooks."""
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    above = _prefect_logs_above(console) if console.is_terminal else contextlib.nullcontext()  # only a live bar
    with Progress(*columns, console=console, redirect_stdout=False) as progress, above:  # needs the lines above it
        bar = progress.add_task("starting", total=total)

        def start(name: str) -> None:
            progress.update(bar, description=f"running {name}")

        def done(summary: dict) -> None:
            finished = progress.tasks[0].completed + 1 >= total
            progress.update(bar, advance=1, description="done" if finished else f"{summary['task']} {summary['status']}")

        yield start, done

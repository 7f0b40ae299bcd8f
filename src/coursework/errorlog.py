"""errorlog: an unexpected error's traceback kept in a file, and the one line that names it (exit 70)."""

from __future__ import annotations

import sys
import tempfile
import traceback
from datetime import datetime, timezone
from pathlib import Path

from coursework.fsutil import atomic_write_text

EX_SOFTWARE = 70  # an unexpected internal error (sysexits.h): a bug or a broken environment, never the user's input
LOGS = Path(".coursework") / "logs"


def write(exc: BaseException, root: Path, what: str | None = None) -> Path:
    """The full traceback in ROOT/.coursework/logs/error-<UTC time>.log (the temp folder if that is unwritable)."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    text = (f"coursework {' '.join(sys.argv[1:])}\n" + (f"while {what}\n" if what else "")
            + f"cwd {Path.cwd()}\ntime {stamp}\n\n" + "".join(traceback.format_exception(exc)))
    for folder in (Path(root) / LOGS, Path(tempfile.gettempdir()) / "coursework-logs"):
        try:
            return atomic_write_text(folder / f"error-{stamp}.log", text).resolve()
        except OSError:
            continue
    raise exc  # nowhere to write: the traceback on the console is better than nothing


def summary(exc: BaseException) -> str:
    """`Type: first line of the message`, short enough for one console line."""
    first = (str(exc).strip().splitlines() or [""])[0][:160]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def message(exc: BaseException, log: Path) -> str:
    """What a user reads instead of the traceback."""
    return f"internal error: {summary(exc)}; the traceback is in {log}"

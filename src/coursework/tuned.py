"""tuned/<task>.yaml: a study's best parameters, tracked in git, read by `coursework run` and DVC's task stage."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

import yaml

from coursework.errors import ConfigError, OutputError
from coursework.fsutil import atomic_write_text

FOLDER = "tuned"
WRITTEN = "# written by `coursework tune"  # the first line of a file this project wrote
PLACEHOLDER = "# not tuned yet"  # the shipped file of a task no study has tuned: DVC needs its dep to exist
OURS = (WRITTEN, PLACEHOLDER)


def path_of(root: Path, task: str) -> Path:
    return root / FOLDER / f"{task}.yaml"


def read_tuned(root: Path, task: str) -> dict[str, Any] | None:
    """{'model', 'params', 'study', ...} from tuned/<task>.yaml, or None when absent or not tuned yet."""
    path = path_of(root, task)
    if not path.is_file():
        return None
    try:
        data = yaml.safe_load(path.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if not data:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("model"), str) or not isinstance(data.get("params"), dict):
        raise ConfigError(f"{path}: expected 'model: NAME' and 'params: {{...}}' (written by `coursework tune {task}`)")
    return data


def stale_note(record: Mapping[str, Any] | None, task: str, data_hash: str | None) -> str | None:
    """A warning when the tuned params were found on other data than the run trains on; None otherwise."""
    tuned_on = (record or {}).get("data_hash")
    if not tuned_on or not data_hash or tuned_on == data_hash:
        return None
    return (f"tuned/{task}.yaml was tuned on data sha256 {tuned_on[:12]}, but this run trains on {data_hash[:12]}: "
            f"its params are used as they are; `coursework tune {task}` searches again on this data")


def check_ours(root: Path, task: str) -> Path:
    """tuned/<task>.yaml, refused (exit 2) when something there was not written by this project."""
    path = path_of(root, task)
    if path.exists() and (path.is_dir() or not path.read_text(errors="replace").startswith(OURS)):
        raise OutputError(f"{path} exists and was not written by coursework; move it away and tune again")
    return path


def write_tuned(root: Path, task: str, record: Mapping[str, Any]) -> Path:
    """Write the record atomically, with a header saying which study, data and space it came from."""
    path = check_ours(root, task)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    header = (f"{WRITTEN} {task}` at {stamp}: the best of {record['trials']} trials of study {record['study']}\n"
              f"# data sha256 {record['data_hash']}, search-space hash {record['space_hash']}, "
              f"storage {record['storage']}\n"
              f"# `coursework run {task}` trains {record['model']} with these params (no inline study while this "
              f"file holds them)\n")
    return atomic_write_text(path, header + yaml.safe_dump(dict(record), sort_keys=False))

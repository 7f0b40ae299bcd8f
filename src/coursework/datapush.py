"""datapush: a newly recorded data version sent to the default DVC remote, so other clones and machines can pull it.

A push that fails is a warning naming the remote, never a lost run: the version is recorded in data.dvc
and the data is in this clone's DVC cache, so `dvc push data.dvc` later sends it.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from coursework.urls import redact_urls_in
from coursework.versioning import DVC_FILE
from coursework.versioning import _dvc  # the one way this project runs DVC's CLI


@dataclass(frozen=True)
class Pushed:
    """Where the data went: the default remote's name (None: no remote), whether the push worked, and a line to say."""

    remote: str | None
    ok: bool
    message: str


def _last_line(done: subprocess.CompletedProcess) -> str:
    lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
    return redact_urls_in(lines[-1] if lines else f"exit {done.returncode}")[:300]


def default_remote(root: Path) -> str | None:
    """The DVC repository's default remote, or None when it has none."""
    done = _dvc(root, "remote", "default")
    return done.stdout.strip() or None if done.returncode == 0 else None


def push_data(root: Path) -> Pushed:
    """`dvc push data.dvc` to the default remote; a one-line note where there is none."""
    root = Path(root)
    remote = default_remote(root)
    if remote is None:
        return Pushed(None, True, "no default DVC remote: the new data version stays in this clone's DVC cache "
                                  "(`dvc remote add -d NAME URL` makes one)")
    done = _dvc(root, "push", "--remote", remote, DVC_FILE)
    if done.returncode != 0:
        return Pushed(remote, False, f"the new data version was not pushed to DVC remote '{remote}': "
                                     f"{_last_line(done)}; `dvc push {DVC_FILE}` sends it once the remote is reachable")
    return Pushed(remote, True, f"data pushed to DVC remote '{remote}'")

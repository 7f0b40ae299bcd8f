"""Atomic writes and atomic folder swaps: a reader, or a run killed mid-write, sees the old or the new, never half."""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from coursework.fsutil.owners import owner_token

_RENAME_EXCHANGE = 2  # linux/fs.h: swap two paths in one step


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write `data` to `path` through a temp file in the same folder and one rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temp path beside `path` for a writer that wants a file name (savefig, to_csv); renamed on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix or ".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in 1 MiB blocks (snapshots, model files)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _exchange(a: Path, b: Path) -> bool:
    """renameat2(RENAME_EXCHANGE): swap two folders atomically; False where the kernel or fs lacks it."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    if not hasattr(libc, "renameat2"):
        return False
    at_fdcwd = -100
    done = libc.renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return done == 0


def staging_dir(final: Path) -> Path:
    """An empty hidden folder beside `final`, on the same filesystem, to fill and then swap in."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{final.name}-new-{owner_token()}-", dir=final.parent))


def swap_dir(staged: Path, final: Path) -> Path:
    """Put the filled folder `staged` at `final`; `final` holds the old folder or the new one, never neither.

    Only for folders the project owns (data/<task>, its report folders): the old one is removed.
    """
    staged, final = Path(staged), Path(final)
    if not final.exists():
        os.rename(staged, final)
        return final
    if _exchange(staged, final):  # staged now holds the old folder
        shutil.rmtree(staged, ignore_errors=True)
        return final
    old = final.with_name(f".{final.name}-old-{owner_token()}")
    os.rename(final, old)  # fallback: a short window where `final` is missing; recover_dir() repairs it
    os.rename(staged, final)
    shutil.rmtree(old, ignore_errors=True)
    return final


def recover_dir(final: Path) -> None:
    """After a crash in swap_dir's fallback: put the old folder back if `final` is missing; drop leftovers."""
    final = Path(final)
    olds = sorted(final.parent.glob(f".{final.name}-old-*")) if final.parent.is_dir() else []
    if not final.exists() and olds:
        os.rename(olds[-1], final)
        olds = olds[:-1]
    for leftover in olds:
        shutil.rmtree(leftover, ignore_errors=True)


def install_dir(final: Path, files: Iterable[Path]) -> Path:
    """Make `final` a folder holding copies of `files`, swapped in whole (swap_dir); nothing half-copied stays."""
    recover_dir(final)  # a run killed inside an earlier swap left the old folder aside
    fresh = staging_dir(final)
    try:
        for file in map(Path, files):
            shutil.copy2(file, fresh / file.name)
        return swap_dir(fresh, final)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise

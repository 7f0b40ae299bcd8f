"""dvcdata: a new data.dvc built from the RECORDED listing of data/, with only some tasks' entries replaced.

`dvc add data` hashes the whole workspace folder, so it would record whatever another task's killed
or running batch left in data/. Here the listing data.dvc records (a `.dir` object in DVC's cache) is
loaded, the named tasks' entries are swapped for their files in data/<task>/ (added to the cache), and
the result is digested exactly as `dvc add` digests a folder, so DVC reads it as its own.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import yaml

from coursework import fsutil

DATA_DIR = "data"
DVC_FILE = "data.dvc"


@contextmanager
def open_cache(root: Path) -> Iterator:
    """The project's local DVC cache (an object database), where DVC's own config places it."""
    from dvc.repo import Repo

    with Repo(str(root)) as repo:
        yield repo.cache.local


def load_listing(odb, version: str | None):
    """The recorded listing of data/ (a dvc_data Tree); None where this clone's cache lacks it."""
    from dvc_data.hashfile.hash_info import HashInfo
    from dvc_data.hashfile.tree import Tree
    from dvc_objects.errors import ObjectFormatError

    if version is None:  # nothing recorded yet: the first version starts from an empty listing
        return Tree()
    try:
        return Tree.load(odb, HashInfo("md5", version))
    except (FileNotFoundError, ObjectFormatError):
        return None


def _files(root: Path, tasks: list[str] | None = None) -> list[Path]:
    """Files under data/ (or only data/<task>/ of `tasks`), without the hidden entries .dvcignore leaves out."""
    data = Path(root) / DATA_DIR
    tops = [data / t for t in tasks] if tasks is not None else sorted(data.iterdir()) if data.is_dir() else []
    tops = [t for t in tops if not t.name.startswith(".")]
    return sorted(f for t in tops for f in ([t] if t.is_file() else t.rglob("*")) if f.is_file())


def _hash_into(tree, root: Path, paths: list[Path]) -> list[tuple[str, str]]:
    """Each file into `tree`, keyed by its path under data/ as `dvc add` keys it; returns (path, md5) pairs."""
    from dvc_data.hashfile.hash import hash_file
    from dvc_objects.fs.local import LocalFileSystem

    hashed = []
    for path in paths:
        meta, oid = hash_file(str(path), LocalFileSystem(), "md5")
        tree.add(tuple(path.relative_to(Path(root) / DATA_DIR).parts), meta, oid)
        hashed.append((str(path), oid.value))
    return hashed


def _store(odb, tree, hashed: list[tuple[str, str]]):
    """The files and the digested listing into the cache, so `dvc checkout` and `dvc push` find them."""
    from dvc_data.hashfile.db import add_update_tree
    from dvc_objects.fs.local import LocalFileSystem

    for path, md5 in hashed:
        odb.add(path, LocalFileSystem(), md5)
    return add_update_tree(odb, tree)


def cache_workspace_listing(odb, root: Path, version: str | None) -> bool:
    """Where the cache lacks the recorded listing but data/ is exactly that version, cache it from data/."""
    from dvc_data.hashfile.tree import Tree

    if version is None or load_listing(odb, version) is not None:
        return True
    tree = Tree()
    hashed = _hash_into(tree, root, _files(root))
    tree.digest()
    if tree.oid != version:  # data/ is partial or changed: it is not the recorded listing
        return False
    _store(odb, tree, hashed)
    return True


def replace_tasks(odb, root: Path, listing, tasks: list[str]):
    """A copy of `listing` whose data/<task>/ entries are this workspace's files, each added to the cache."""
    from dvc_data.hashfile.tree import Tree

    tree = Tree()
    for key, meta, oid in listing:
        if key[0] not in tasks:
            tree.add(key, meta, oid)
    hashed = _hash_into(tree, root, _files(root, tasks))
    tree.digest()
    return _store(odb, tree, hashed)


def _size(odb, tree) -> int | None:
    """Total bytes of the listing's files as the cache holds them; None where one is not cached."""
    try:
        return sum(Path(odb.oid_to_path(oid.value)).stat().st_size for _, _, oid in tree)
    except FileNotFoundError:
        return None


def write_dvc_file(odb, root: Path, tree, meta: dict) -> str:
    """data.dvc pointing at `tree`, written atomically; returns the new data version (the tree's md5)."""
    path = Path(root) / DVC_FILE
    doc = (yaml.safe_load(path.read_text()) if path.is_file() else None) or {}
    old = dict((doc.get("outs") or [{}])[0])
    out = {"md5": tree.oid, "size": _size(odb, tree), "nfiles": len(tree), "hash": "md5", "path": DATA_DIR}
    kept = {k: v for k, v in old.items() if k not in out}  # options a user set on the output (remote, ...)
    out = {**{k: v for k, v in out.items() if v is not None}, **kept}
    fsutil.atomic_write_text(path, yaml.safe_dump({**doc, "outs": [out], "meta": meta}, sort_keys=False))
    return tree.oid


@contextmanager
def repo_lock(root: Path, *, timeout: float, say: Callable[[str], None] | None = None) -> Iterator[None]:
    """DVC's own repository lock (.dvc/tmp/lock, as `dvc add` takes it), waited for at most `timeout` s."""
    import zc.lockfile

    path = Path(root) / ".dvc" / "tmp" / "lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline, told = time.monotonic() + timeout, False
    while True:
        try:
            lock = zc.lockfile.LockFile(str(path))
            break
        except zc.lockfile.LockError:
            if time.monotonic() >= deadline:
                raise fsutil.LockTimeout(f"DVC's repository lock ({path}) is still held after {timeout:.0f} s "
                                         f"(a dvc command is running here); try again when it has finished") from None
            if say and not told:
                say(f"waiting up to {timeout:.0f} s for DVC's repository lock ({path}): a dvc command is running")
                told = True
            time.sleep(0.5)
    try:
        yield
    finally:
        lock.close()

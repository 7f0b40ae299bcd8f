"""artifacts: model files that are safe to load: skops with an honest trusted-types list, and sha256 per file.

A registered version records the sha256 of every file of its logged model; a loader downloads the
files, checks each against that record and loads only the checked copy, so bytes swapped in the
artefact store (a malicious pickle, an edited MLmodel) are refused before anything reads them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from coursework.errors import ArtifactIntegrityError
from coursework.fsutil import file_sha256

# module prefixes whose types a skops file may name: our code, the libraries our models are made of
ALLOWED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "coursework.", "pipelines.", "builtins.")
# builtins that run code or touch files when called: never trusted, whatever the prefix says
DENIED_BUILTINS = {"eval", "exec", "compile", "open", "__import__", "getattr", "setattr", "delattr",
                   "globals", "locals", "vars", "input", "breakpoint", "exit", "quit", "help"}
HASH_TAG = "artifact_sha256"
TAG_CHUNK = 4000  # a model version tag value holds a few thousand characters: longer records span tags


def _refused(types: list[str]) -> list[str]:
    """The type names no allow-list rule admits."""
    def ok(name: str) -> bool:
        if name.startswith("builtins."):
            return name.split(".", 1)[1] not in DENIED_BUILTINS
        return name.startswith(ALLOWED_PREFIXES)
    return [t for t in types if not ok(t)]


def skops_types(data: bytes, *, what: str) -> list[str]:
    """The non-default types a skops file names, all within the allow-list; anything else is refused."""
    import skops.io

    types = sorted(skops.io.get_untrusted_types(data=data))
    refused = _refused(types)
    if refused:
        raise ArtifactIntegrityError(f"{what} names types outside the allow-list {ALLOWED_PREFIXES}: {refused}")
    return types


def dump_skops(obj: Any) -> tuple[bytes, list[str]]:
    """An object as skops bytes, with the trusted-types list its loader needs (checked, never blanket)."""
    import skops.io

    data = skops.io.dumps(obj)
    try:
        return data, skops_types(data, what=f"{type(obj).__name__}")
    except ArtifactIntegrityError as exc:  # our own model names a foreign type: a code problem, not a user's
        raise TypeError(str(exc)) from None


def load_skops(path: Path) -> Any:
    """A skops file, loaded only if every type it names is within the allow-list."""
    import skops.io

    data = Path(path).read_bytes()
    return skops.io.loads(data, trusted=skops_types(data, what=str(path)))


def check_trusted(types: list[str] | None, *, what: str) -> None:
    """A trusted-types list read from a model's own metadata must still sit inside the allow-list."""
    refused = _refused(list(types or []))
    if refused:
        raise ArtifactIntegrityError(f"{what} trusts types outside the allow-list {ALLOWED_PREFIXES}: {refused}")


def hash_tree(folder: Path) -> dict[str, str]:
    """{relative posix path: sha256} for every file under a folder."""
    folder = Path(folder)
    return {p.relative_to(folder).as_posix(): file_sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def verify_tree(folder: Path, expected: Mapping[str, str], *, what: str) -> None:
    """Every file present, none extra, each with its recorded sha256; else refused, naming the files."""
    found = hash_tree(folder)
    problems = [f"{name}: missing" for name in sorted(set(expected) - set(found))]
    problems += [f"{name}: not part of the registered model" for name in sorted(set(found) - set(expected))]
    problems += [f"{name}: sha256 {found[name][:12]}… differs from the recorded {expected[name][:12]}…"
                 for name in sorted(set(found) & set(expected)) if found[name] != expected[name]]
    if problems:
        raise ArtifactIntegrityError(
            f"{what}: the model's files do not match the sha256 recorded at registration, so it was not loaded:\n  "
            + "\n  ".join(problems))


def hash_tags(hashes: Mapping[str, str]) -> dict[str, str]:
    """The record as version tags: compact JSON under `artifact_sha256`, continued in `artifact_sha256.2`, …"""
    text = json.dumps(dict(sorted(hashes.items())), separators=(",", ":"))
    chunks = [text[i:i + TAG_CHUNK] for i in range(0, len(text), TAG_CHUNK)]
    return {HASH_TAG if i == 0 else f"{HASH_TAG}.{i + 1}": chunk for i, chunk in enumerate(chunks)}


def hashes_from_tags(tags: Mapping[str, str], *, what: str) -> dict[str, str]:
    """The record back from a version's tags; a version without one is refused (it cannot be checked)."""
    if HASH_TAG not in tags:
        raise ArtifactIntegrityError(f"{what} has no `{HASH_TAG}` tag, so its files cannot be checked; "
                                     "it was registered before hashes were recorded: run the task again")
    parts, n = [tags[HASH_TAG]], 2
    while f"{HASH_TAG}.{n}" in tags:
        parts.append(tags[f"{HASH_TAG}.{n}"])
        n += 1
    try:
        record = json.loads("".join(parts))
    except ValueError:
        raise ArtifactIntegrityError(f"{what}: its `{HASH_TAG}` tag is not a readable record") from None
    if not isinstance(record, dict) or not record:
        raise ArtifactIntegrityError(f"{what}: its `{HASH_TAG}` tag lists no files")
    return {str(k): str(v) for k, v in record.items()}

"""Helpers the test modules share (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PARAMS = REPO / "params.yaml"


def iris_frame():
    """The iris frame the default loader gives (species names as labels)."""
    from coursework.sources import iris_frame as load

    return load()


def registry_state(task: str, root: Path) -> dict:
    """What must not change when a bad batch is rejected: versions, champion, the validated snapshot."""
    from coursework import tracking

    tracking.configure(root)
    champion = tracking.alias_version(task)
    raw = root / "data" / task / "raw.csv"
    return {
        "versions": tracking.registered_versions(task),
        "champion": champion["version"] if champion else None,
        "raw": raw.read_bytes() if raw.exists() else None,
    }

"""What the pages show, gathered from the registry and store (no Streamlit here, so it can be tested alone)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from coursework import promotion, tracking, tracking_registry, tracking_serving

HIDDEN_METRIC_PREFIXES = ("candidate_", "cv_")  # shown on the task page's comparison only when both have them


def _when(ms: int | None) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if ms else "-"


def _fmt(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else ("-" if value is None else str(value))


def primary_of(meta: dict | None, metrics: dict[str, float]) -> str | None:
    """The task's primary metric: from the serving metadata, else the one metric a baseline was logged for."""
    if meta and meta.get("primary_metric"):
        return meta["primary_metric"]
    baselines = sorted(k[len("baseline_"):] for k in metrics if k.startswith("baseline_"))
    return baselines[0] if baselines else None


def task_state(task: str) -> dict[str, Any]:
    """A task's versions, its champion and challenger (version rows with metrics and metadata), newest first."""
    rows = tracking_serving.versions(task)
    by_alias = {}
    for alias in ("champion", "challenger"):
        target = tracking_registry.alias_target(task, alias)
        row = next((r for r in rows if r["version"] == target), None)
        if row is not None:
            by_alias[alias] = row
            row["metrics"] = tracking_serving.run_metrics(row["run_id"])
            row["meta"] = tracking_serving.metadata(row["run_id"])
    return {"task": task, "versions": rows, "champion": by_alias.get("champion"),
            "challenger": by_alias.get("challenger"), "latest": rows[0] if rows else None}


def overview_row(task: str) -> dict[str, str]:
    """One line of the overview: champion, primary metric beside baseline and anchor, lineage, last gate."""
    state = task_state(task)
    champ, latest = state["champion"], state["latest"]
    last_gate = {"True": "passed", "False": "missed"}.get((latest or {}).get("tags", {}).get("passed_gate"), "-")
    row = {"task": task, "champion": "-", "primary metric": "-", "value": "-", "baseline": "-", "anchor": "-",
           "data version": "-", "git commit": "-", "registered": "-",
           "last run's gate": f"{last_gate} (v{latest['version']})" if latest else "-"}
    if champ:
        meta, metrics, tags = champ["meta"], champ["metrics"], champ["tags"]
        primary = primary_of(meta, metrics)
        row.update({"champion": f"v{champ['version']}", "primary metric": primary or "-",
                    "value": _fmt(metrics.get(primary)), "baseline": _fmt(metrics.get(f"baseline_{primary}")),
                    "anchor": (meta or {}).get("anchor") or "(no serving metadata)",
                    "data version": str(tags.get("data_version", "-"))[:12],
                    "git commit": str(tags.get("git_commit", "-"))[:10], "registered": _when(champ["created_ms"])})
    return row


def overview() -> list[dict[str, str]]:
    return [overview_row(task) for task in tracking_serving.registered_tasks()]


def comparison(state: dict[str, Any]) -> list[dict[str, str]]:
    """Champion against challenger, metric by metric (the candidates' and CV scores left out)."""
    champ, chall = state["champion"] or {}, state["challenger"] or {}
    a, b = champ.get("metrics", {}), chall.get("metrics", {})
    names = sorted(n for n in set(a) | set(b) if not n.startswith(HIDDEN_METRIC_PREFIXES))
    head_a = f"champion v{champ['version']}" if champ else "champion (none)"
    head_b = f"challenger v{chall['version']}" if chall else "challenger (none)"
    return [{"metric": n, head_a: _fmt(a.get(n)), head_b: _fmt(b.get(n))} for n in names]


def history(task: str) -> list[dict[str, str]]:
    """Every alias move, oldest first, as `coursework history` shows it."""
    return [{"time (UTC)": e.time[:19].replace("T", " "), "alias": e.alias,
             "from": f"v{e.from_version}" if e.from_version is not None else "-", "to": f"v{e.to_version}",
             "user": e.user, "kind": e.kind, "reason": e.reason} for e in promotion.history(task)]


def evidence(run_id: str) -> dict[str, Any]:
    """The champion's run: its PNG plots (name -> bytes), validation report and tuning study, where logged."""
    files = tracking_serving.run_files(run_id)
    plots = {p: tracking_serving.run_file(run_id, p) for p in files if p.lower().endswith(".png")}
    return {"plots": plots,
            "validation": tracking.load_run_dict(run_id, "validation/result.json") if "validation/result.json" in files else None,
            "study": tracking.load_run_dict(run_id, "tuning/study.json") if "tuning/study.json" in files else None}

"""What the orchestration costs over the bare work (issue 11, goals 1 and 2): a benchmark, not a test.

    uv run python benchmarks/overhead.py                      # everything: about 30 min on 2 loaded cores
    uv run python benchmarks/overhead.py --repeats 3 --skip-dvc --skip-stack   # the cold ratio only
    uv run python benchmarks/overhead.py --tasks iris_knn iris_tree --repeats 1  # dvc on two tasks

Every figure is the median wall time of whole processes, each one started as a user starts it, and is
printed as a ratio to its bare counterpart measured in the same run:
- `coursework run iris_knn` against `benchmarks/bare_knn.py` (the seed's KNN exercise and nothing
  else), cold (no stack: Prefect's temporary server is started and stopped by the run) and with
  `coursework up` running (started here and stopped afterwards; skipped if one is already up), both
  forked by the stack's warm runner and, with COURSEWORK_NO_RUNNER=1, only attached to its servers;
- a forced `dvc repro` of the tasks' stages (validate@T and task@T: one process each) against
  `coursework run T1 T2 ...` (the same tasks in one process), and a no-op `dvc repro` (benchmarks/dvc_noop.py),
  cold and with the stack up (`--dvc-where`).
CPU seconds (user+sys of the process and its children) are printed beside wall time: on a shared machine
they move less with the load than wall time does. It runs in --repo (default: this checkout) and writes
what a user's commands write there: MLflow runs and versions, data/, reports/, dvc.lock.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import dvc_noop  # noqa: E402  (its no-op measurement, reused)

BIN = Path(sys.executable).parent
ENV = {**os.environ, "DVC_NO_ANALYTICS": "1", "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(repo: Path, command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall s, CPU s) of one whole process, printed as it comes; exits the benchmark if it failed."""
    cpu, start = _cpu(), time.perf_counter()
    done = subprocess.run(command, cwd=repo, env=env or ENV, capture_output=True, text=True)
    wall = time.perf_counter() - start
    print(f"  {wall:7.1f} s wall {_cpu() - cpu:6.1f} s CPU  {' '.join(Path(c).name for c in command[:2])} "
          f"{' '.join(command[2:])}", file=sys.stderr, flush=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} exited {done.returncode}:\n{(done.stdout + done.stderr)[-3000:]}")
    return wall, _cpu() - cpu


def median(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def elsewhere(figures: tuple[float, float]) -> tuple[float, float]:
    """Wall time only: the work ran in the stack's warm runner, whose CPU seconds are not this process's children's."""
    return figures[0], float("nan")


def coursework(*args: str) -> list[str]:
    return [str(BIN / "coursework"), *args]


def side_by_side(repo: Path, repeats: int, command: list[str], bare: list, env: dict | None = None) -> list:
    """The command and the bare script in turn, so both meet the same load; bare samples go to `bare`."""
    samples = []
    for _ in range(repeats):
        bare.append(timed(repo, [sys.executable, str(HERE / "bare_knn.py")]))
        samples.append(timed(repo, command, env))
    return samples


def with_stack(repo: Path, repeats: int, bare: list, dvc: bool, tasks: list[str] | None) -> dict | None:
    """With `coursework up` running: runs forked by its warm runner, runs that only attach, and (dvc) repro."""
    if subprocess.run(coursework("status"), cwd=repo, env=ENV, capture_output=True).returncode == 0:
        print("a stack is already running: not started or stopped here, and not measured", file=sys.stderr)
        return None
    timed(repo, coursework("up"))
    try:
        found = {"runner": side_by_side(repo, repeats, coursework("run", "iris_knn"), bare),
                 "attach": side_by_side(repo, repeats, coursework("run", "iris_knn"), bare, {**ENV, "COURSEWORK_NO_RUNNER": "1"})}
        found["dvc"] = dvc_rows(repo, tasks, max(1, repeats // 3), ", stack up") if dvc else []
        return found
    finally:
        subprocess.run(coursework("down"), cwd=repo, env=ENV, capture_output=True)


def noop_targets(repo: Path, targets: list[str]) -> float:
    """A no-op `dvc repro` of some stages: each says it "didn't change" (not the whole pipeline's message)."""
    start = time.perf_counter()
    done = dvc_noop.dvc(repo, "repro", *targets)
    elapsed = time.perf_counter() - start
    if done.returncode != 0 or "Running stage" in done.stdout:
        sys.exit(f"dvc repro {' '.join(targets)} was no no-op:\n{(done.stdout + done.stderr)[-2000:]}")
    return elapsed


def dvc_rows(repo: Path, tasks: list[str] | None, repeats: int, where: str = ", cold") -> list[tuple]:
    """Forced repro of the tasks' stages vs `coursework run` of the same tasks, then the no-op repro."""
    targets = [f"{stage}@{t}" for t in tasks for stage in ("validate", "task")] if tasks else []
    run_all = coursework("run", *tasks) if tasks else coursework("run", "--all")
    repro = [sys.executable, "-m", "dvc", "repro", "--force", *(["--single-item", *targets] if tasks else [])]
    runs, repros = [], []
    for _ in range(repeats):
        runs.append(timed(repo, run_all))
        repros.append(timed(repo, repro))
    noop = [dvc_noop.timed(repo, "repro") if not tasks else noop_targets(repo, targets) for _ in range(max(repeats, 3))]
    name = "all offline tasks" if not tasks else " ".join(tasks)
    figures = [median(repros), median(runs)] if where == ", cold" else [elsewhere(median(repros)), elsewhere(median(runs))]
    return [(f"dvc repro --force ({name}{where})", *figures, "run of the same tasks", 1.3),
            (f"dvc repro, nothing changed{where}", (statistics.median(noop), float("nan")), None, "-", 3.0)]


def table(rows: list[tuple]) -> None:
    print("| measurement | wall s | CPU s | against | wall ratio | CPU ratio | target | met |")
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: | --- |")
    for name, (wall, cpu), base, against, target in rows:
        if base is None:  # an absolute target in seconds
            print(f"| {name} | {wall:.1f} | - | - | - | - | ≤ {target:g} s | {'yes' if wall <= target else 'no'} |")
            continue
        ratio, cpu_ratio = wall / base[0], cpu / base[1]
        met = "-" if target is None else ("yes" if ratio <= target else "no")
        cpu_text, ratio_text = ("-", "-") if math.isnan(cpu) else (f"{cpu:.1f}", f"{cpu_ratio:.2f}×")
        print(f"| {name} | {wall:.1f} | {cpu_text} | {against} ({base[0]:.1f} s) | {ratio:.2f}× | {ratio_text} | "
              f"{'-' if target is None else f'≤ {target:g}×'} | {met} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=HERE.parent)
    parser.add_argument("--repeats", type=int, default=5, help="whole-process runs per figure (median)")
    parser.add_argument("--tasks", nargs="+", help="dvc figures on these tasks only (default: all offline tasks)")
    parser.add_argument("--skip-cold", action="store_true", help="no `coursework run iris_knn` without a stack")
    parser.add_argument("--skip-stack", action="store_true", help="no `coursework up` and runs against it")
    parser.add_argument("--skip-dvc", action="store_true", help="no dvc repro figures")
    parser.add_argument("--dvc-where", choices=("cold", "stack", "both"), default="both",
                        help="dvc figures without a stack, with `coursework up` running (stages forked by its runner), or both")
    args = parser.parse_args()
    repo, bare, rows = args.repo.resolve(), [], []
    timed(repo, coursework("run", "iris_knn"))  # warm-up: a fresh checkout's first run migrates stores
    cold = None if args.skip_cold else side_by_side(repo, args.repeats, coursework("run", "iris_knn"), bare)
    dvc_stack = not args.skip_dvc and args.dvc_where in ("stack", "both")
    stacked = None if args.skip_stack else with_stack(repo, args.repeats, bare, dvc_stack, args.tasks)
    bare_median = median(bare) if bare else None
    rows.append(("bare_knn.py (the bare work)", bare_median, None, "-", None)) if bare else None
    found = stacked or {}
    for name, samples, summary in (("coursework run iris_knn, cold", cold, median),
                                   ("coursework run iris_knn, stack up (forked by its warm runner)", found.get("runner"),
                                    lambda s: elsewhere(median(s))),  # its work ran in the runner's child
                                   ("coursework run iris_knn, stack up, COURSEWORK_NO_RUNNER=1", found.get("attach"), median)):
        if samples:
            rows.append((name, summary(samples), bare_median, "bare_knn.py", 2.0))
    if not args.skip_dvc and args.dvc_where in ("cold", "both"):
        rows += dvc_rows(repo, args.tasks, max(1, args.repeats // 3))
    rows += found.get("dvc", [])
    load = os.getloadavg()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs, load average "
          f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}; medians of {args.repeats} runs")
    table([r if r[2] is not None or r[4] is not None else (r[0], r[1], r[1], "itself", None) for r in rows])


if __name__ == "__main__":
    main()

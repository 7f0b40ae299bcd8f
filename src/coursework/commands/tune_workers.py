"""`coursework tune`'s workers: K processes sharing one study, this one under a progress bar."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from coursework.cli import err
from coursework.errors import CourseworkError

if TYPE_CHECKING:
    from coursework.commands.tune import Setup

POLL_S = 0.5  # how often the progress bar reads the study while only workers are running


def trial_shares(trials: Optional[int], workers: int) -> list[Optional[int]]:
    """Each worker's number of trials: together exactly `trials` (None: until the timeout)."""
    if trials is None:
        return [None] * workers
    return [trials // workers + (i < trials % workers) for i in range(workers)]


def open_shared(setup: Setup, worker: int):
    """The shared study, created on first use; this process's sampler seeded by worker and trials so far."""
    from coursework import study

    storage = study.open_storage(setup.storage_url, setup.root)
    opened = study.open_study(storage, setup.name, direction=setup.direction,
                              sampler=study.make_sampler(setup.params.tune, setup.params.seed),
                              pruner=study.make_pruner(setup.params.tune))
    opened.sampler = study.make_sampler(setup.params.tune, study.worker_seed(setup.params.seed, worker, len(opened.trials)))
    return opened


def optimize(setup: Setup, worker: int, parent_run: str, trials: Optional[int], timeout: Optional[float],
             on_trial: Callable | None = None):
    """Run this process's share of trials on the shared study, each one logged as a child run."""
    import warnings

    from coursework import tracking_tune

    optuna_study = open_shared(setup, worker)
    callbacks = [tracking_tune.TrialLogger(parent_run, worker=worker)] + ([on_trial] if on_trial else [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn's convergence chatter, once per fold of every trial
        if trials != 0:
            optuna_study.optimize(setup.objective, n_trials=trials, timeout=timeout, callbacks=callbacks)
    return optuna_study


def spawn(setup: Setup, worker: int, parent_run: str, trials: Optional[int], timeout: Optional[float],
          params_path: Path) -> subprocess.Popen:
    """A worker: this CLI again, in its own process, on the same study and parent run."""
    cmd = [sys.executable, "-c", "from coursework.cli import main; main()", "tune", setup.task,
           "--params", str(params_path), "--storage", setup.storage_url, "--worker-index", str(worker),
           "--parent-run", parent_run, "--study", setup.name]
    cmd += ["--trials", str(trials)] if trials is not None else []
    cmd += ["--timeout", str(timeout)] if timeout is not None else []
    return subprocess.Popen(cmd, cwd=setup.root, env=dict(os.environ), stdout=subprocess.DEVNULL)


def progress_bar() -> Progress:
    """Trials done of the budget and the best value so far, on stderr."""
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("best {task.fields[best]}"), TimeElapsedColumn(), console=err, transient=False)


def run_all(setup: Setup, workers: int, trials: Optional[int], timeout: Optional[float], params_path: Path,
            parent_run: str, before: int):
    """This process runs share 0 under a progress bar; workers 1..K-1 run theirs as their own processes."""
    from coursework import study

    shares = trial_shares(trials, workers)
    procs = [spawn(setup, i, parent_run, shares[i], timeout, params_path) for i in range(1, workers) if shares[i] != 0]
    try:
        with progress_bar() as bar:
            row = bar.add_task(f"tune {setup.task}", total=trials, best="-")

            def show(optuna_study, _trial=None) -> None:
                best = study.best_trial(optuna_study)
                bar.update(row, completed=len(study.finished(optuna_study)) - before,
                           best=f"{best.value:.4f} (trial {best.number})" if best else "-")

            optuna_study = optimize(setup, 0, parent_run, shares[0], timeout, on_trial=show)
            while any(p.poll() is None for p in procs):
                show(optuna_study)
                time.sleep(POLL_S)
            show(optuna_study)
    finally:
        for proc in procs:  # on Ctrl-C or an error here, no worker outlives this command
            if proc.poll() is None:
                proc.terminate()
            proc.wait()
    failed = [(i + 1, p.returncode) for i, p in enumerate(procs) if p.returncode != 0]
    if failed:
        raise CourseworkError(f"worker(s) {failed} (index, exit code) failed; their errors are above")
    return optuna_study

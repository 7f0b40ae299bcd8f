"""study: a task's persistent Optuna study, its name, its storage, its sampler and pruner."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

import optuna

from coursework.config import TuneParams, thaw
from coursework.errors import ConfigError
from coursework.urls import redact_url

JOURNAL = "journal:"  # journal:PATH is Optuna's JournalStorage on a file (the default, see README "Tuning a task")
DEFAULT_STORAGE = "journal:mlruns/optuna.journal"  # relative paths are the project root's
RDB_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg2", "mysql", "mysql+pymysql")
SQLITE_WAIT_S = 60  # a second writer waits for SQLite's lock this long instead of failing at once


def journal_path(url: str, root: Path) -> Path | None:
    """The file of a journal:PATH storage (relative to the project root), None for a database URL."""
    return (root / url[len(JOURNAL):]).resolve() if url.startswith(JOURNAL) else None


def open_storage(url: str, root: Path) -> optuna.storages.BaseStorage:
    """JournalStorage for journal:PATH, RDBStorage for a database URL; anything else is refused."""
    path = journal_path(url, root)
    if path is not None:
        from optuna.storages.journal import JournalFileBackend

        path.parent.mkdir(parents=True, exist_ok=True)
        return optuna.storages.JournalStorage(JournalFileBackend(str(path)))
    scheme = urlsplit(url).scheme
    if scheme not in RDB_SCHEMES:
        raise ConfigError(f"--storage {redact_url(url)}: use journal:PATH, sqlite:///PATH or postgresql://USER@HOST/DB")
    kwargs = {"connect_args": {"timeout": SQLITE_WAIT_S}} if scheme == "sqlite" else {"pool_pre_ping": True}
    try:
        return optuna.storages.RDBStorage(url, engine_kwargs=kwargs)
    except Exception as exc:  # sqlalchemy's errors name the cause; the URL's password stays out of the message
        raise ConfigError(f"--storage {redact_url(url)}: cannot open it ({type(exc).__name__})") from None


def space_hash(space: Mapping[str, Any], model: str | None) -> str:
    """12 hex digits naming a search space (and the model it tunes), stable across key order."""
    blob = json.dumps({"model": model, "space": thaw(space)}, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def study_name(task: str, data_hash: str, space: Mapping[str, Any], model: str | None) -> str:
    """task-<data sha256[:12]>-<space hash>: changed data or a changed space is a new study."""
    return f"{task}-{data_hash[:12]}-{space_hash(space, model)}"


def make_sampler(tune: TuneParams, seed: int) -> optuna.samplers.BaseSampler:
    """The seeded sampler the tune block names."""
    if tune.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def make_pruner(tune: TuneParams) -> optuna.pruners.BasePruner:
    """The pruner the tune block names, with its arguments (median when none is named)."""
    options = dict(thaw(tune.pruner))
    kind = options.pop("type", "median")
    if kind == "none":
        return optuna.pruners.NopPruner()
    if kind == "successive_halving":
        return optuna.pruners.SuccessiveHalvingPruner(**options)
    if kind == "hyperband":
        return optuna.pruners.HyperbandPruner(**options)
    return optuna.pruners.MedianPruner(**{"n_startup_trials": 3, "n_warmup_steps": 1, **options})


def worker_seed(seed: int, worker: int, done: int) -> int:
    """Workers and later calls draw from different streams: the same seed twice would repeat its points."""
    return (seed * 1_000_003 + worker * 7_919 + done) % 2**31


def open_study(storage: optuna.storages.BaseStorage | None, name: str | None, *, direction: str,
               sampler: optuna.samplers.BaseSampler, pruner: optuna.pruners.BasePruner) -> optuna.Study:
    """The named study in storage, created on first use and continued after; in memory when storage is None."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(storage=storage, study_name=name, direction=direction, sampler=sampler,
                               pruner=pruner, load_if_exists=storage is not None)


def load_study(storage: optuna.storages.BaseStorage, name: str) -> optuna.Study:
    """An existing study, read back (its trials and their states)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        return optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        raise ConfigError(f"no study named {name} in this storage") from None


def finished(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """The study's trials that ended: complete, pruned or failed (not those still running)."""
    return [t for t in study.get_trials(deepcopy=False) if t.state.is_finished()]


def best_trial(study: optuna.Study) -> optuna.trial.FrozenTrial | None:
    """The best complete trial, or None while no trial has completed."""
    try:
        return study.best_trial
    except ValueError:
        return None

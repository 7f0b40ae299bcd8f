"""dvc.yaml and .dvc/config against the project, on the stages DVC itself resolves (foreach and vars expanded):
every task a stage, each stage reading exactly its own keys, and every file a stage's code imports in its deps."""

import ast
import shlex
from functools import cache
from pathlib import Path

import pytest

from pipelines import available, offline_tasks

REPO = Path(__file__).resolve().parents[2]
TASKS = offline_tasks(REPO / "params.yaml")  # tasks needing a user file or network have no snapshot to repro


@cache
def stages() -> dict:
    """Every pipeline stage as DVC resolves it from dvc.yaml: name -> its cmd, deps, params and outputs."""
    from dvc.repo import Repo

    out = {}
    with Repo(str(REPO)) as repo:
        for stage in repo.index.stages:
            if not hasattr(stage, "name"):
                continue  # data.dvc: an import record, not a pipeline stage
            params = [k for d in stage.deps if d.__class__.__name__ == "ParamsDependency" for k in d.params]
            out[stage.name] = {
                "cmd": shlex.split(" ".join(stage.cmd) if isinstance(stage.cmd, list) else stage.cmd),
                "deps": [d.def_path for d in stage.deps if d.__class__.__name__ != "ParamsDependency"],
                "params": params,
                "outs": {o.def_path: {"cache": o.use_cache, "metric": bool(o.metric), "plot": bool(o.plot)}
                         for o in stage.outs},
            }
    return out


def option(cmd: list[str], name: str) -> str:
    """The value a command line gives an option (the path the command will write)."""
    return cmd[cmd.index(name) + 1]


def test_the_stages_are_validate_and_task_for_each_offline_task_of_params_yaml():
    expected = {f"{family}@{task}" for family in ("validate", "task") for task in TASKS}
    assert set(stages()) == expected, "dvc.yaml's stages must be params.yaml's offline tasks, validated and trained"


@pytest.mark.parametrize("task", TASKS)
def test_every_stage_task_has_a_package(task):
    assert task in available()


@pytest.mark.parametrize("task", TASKS)
def test_each_stage_reads_the_base_block_and_its_own_block_only(task):
    assert sorted(stages()[f"task@{task}"]["params"]) == sorted(["base", task])


@pytest.mark.parametrize("task", TASKS)
def test_each_stage_depends_on_its_data_package_and_the_step_library(task):
    for family in ("validate", "task"):
        deps = stages()[f"{family}@{task}"]["deps"]
        assert {f"data/{task}", f"pipelines/{task}", "pipelines/_shared", "src/coursework"} <= set(deps)
        assert not any(d in ("data", "pipelines", "flows") for d in deps), "a whole shared folder would re-run every task"


@pytest.mark.parametrize("task", TASKS)
def test_the_train_stage_depends_on_the_report_its_validate_stage_writes(task):
    validate = stages()[f"validate@{task}"]
    report = option(validate["cmd"], "--report")
    assert validate["outs"] == {report: {"cache": False, "metric": False, "plot": False}}
    assert report in stages()[f"task@{task}"]["deps"]


def test_the_train_stage_depends_on_its_own_tuned_file_which_exists():
    """`coursework tune` writes tuned/<task>.yaml: only that task re-runs, and DVC needs the file to exist."""
    for task in TASKS:
        deps = stages()[f"task@{task}"]["deps"]
        assert f"tuned/{task}.yaml" in deps and "tuned" not in deps
        assert (REPO / "tuned" / f"{task}.yaml").is_file()


def test_no_stage_writes_data_or_runs_dvc():
    """data.dvc owns data/: a stage that output data/<task> or ran `dvc add` would fight it."""
    for name, stage in stages().items():
        assert not any(o.startswith("data") for o in stage["outs"]), name
        assert "dvc" not in stage["cmd"], name
        assert stage["cmd"][:1] == ["coursework"], name


PACKAGES = {"pipelines": REPO / "pipelines", "flows": REPO / "flows", "coursework": REPO / "src" / "coursework"}


def module_file(name: str) -> Path | None:
    """The file of a module of this project (pipelines, flows, src/coursework), or None for a library."""
    top, *rest = name.split(".")
    if top not in PACKAGES:
        return None
    base = PACKAGES[top].joinpath(*rest)
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return path
    return None


def imported_names(path: Path, name: str) -> set[str]:
    """Every module a file imports anywhere (lazy imports inside functions too), with its parent packages."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found |= {base, *(f"{base}.{alias.name}" for alias in node.names)}
    return {".".join(n.split(".")[:i]) for n in found for i in range(1, n.count(".") + 2)}


def import_closure(*entries: str) -> set[str]:
    """Files (relative to the repo) that importing `entries` executes, within this project."""
    seen, todo = {}, [".".join(e.split(".")[:i]) for e in entries for i in range(1, e.count(".") + 2)]
    while todo:
        name = todo.pop()
        path = module_file(name)
        if path is None or name in seen:
            continue
        seen[name] = path
        todo += imported_names(path, name)
    return {str(p.relative_to(REPO)) for p in seen.values()}


def covered(path: str, deps: list[str]) -> bool:
    return any(path == d or path.startswith(d.rstrip("/") + "/") for d in deps)


def test_the_import_walk_sees_shared_suites_and_lazy_imports():
    """The check below can fail: iris_tree reaches the shared iris suite, task_flow the data flow."""
    assert "pipelines/_shared/iris.py" in import_closure("pipelines.iris_tree")
    assert "pipelines/_shared/pixels.py" in import_closure("pipelines.mnist_lenet")
    assert {"flows/data_flow.py", "src/coursework/dvcdata.py"} <= import_closure("flows.task_flow")
    assert not covered("pipelines/_shared/iris.py", ["pipelines/iris_tree", "src/coursework"])


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("family, entries", [
    ("validate", ["pipelines.{task}", "pipelines", "coursework.versioning", "coursework.validate"]),
    ("task", ["pipelines.{task}", "pipelines", "flows.task_flow"]),
])
def test_every_file_a_stage_imports_is_one_of_its_deps(task, family, entries):
    deps = stages()[f"{family}@{task}"]["deps"]
    files = import_closure(*(e.format(task=task) for e in entries))
    missing = sorted(f for f in files if not covered(f, deps))
    assert not missing, f"{family}@{task} runs code that is not in its deps: {missing}"


def test_shared_suites_are_not_tasks():
    assert "_shared" not in available() and (REPO / "pipelines" / "_shared" / "iris.py").is_file()
    assert not (REPO / "pipelines" / "iris_knn" / "expectations.py").exists(), "the iris suite lives in _shared"


@pytest.mark.parametrize("task", TASKS)
def test_the_stage_runs_the_flow_on_the_snapshot_and_declares_what_it_writes(task):
    stage = stages()[f"task@{task}"]
    cmd = stage["cmd"]
    assert cmd[:3] == ["coursework", "run", task] and "--from-snapshot" in cmd
    metrics, plots = option(cmd, "--metrics-out"), option(cmd, "--plots-out")
    assert stage["outs"][metrics] == {"cache": False, "metric": True, "plot": False}
    assert stage["outs"][plots]["plot"] and set(stage["outs"]) == {metrics, plots}


def test_default_remote_is_a_local_folder_outside_the_repo():
    import configparser

    config = configparser.ConfigParser()
    config.read(REPO / ".dvc" / "config")
    name = config["core"]["remote"]
    url = config[f"'remote \"{name}\"'"]["url"]
    assert "://" not in url, "the default remote needs no account or network"
    resolved = (REPO / ".dvc" / url).resolve()
    assert REPO not in resolved.parents and resolved != REPO


def test_bytecode_and_promotion_leftovers_are_never_hashed():
    ignored = (REPO / ".dvcignore").read_text().split()
    assert "__pycache__/" in ignored and "*.pyc" in ignored and "/data/.*" in ignored

"""dvc.yaml and .dvc/config against the project: every task a stage, each stage reading exactly its own keys,
and every file a stage's code imports listed in its deps."""

import ast
from pathlib import Path

import pytest
import yaml

from pipelines import available, offline_tasks

REPO = Path(__file__).resolve().parents[2]
DVC_YAML = yaml.safe_load((REPO / "dvc.yaml").read_text())
FAMILY = DVC_YAML["stages"]["task"]
VALIDATE = DVC_YAML["stages"]["validate"]
TASKS = offline_tasks(REPO / "params.yaml")  # tasks needing a user file or network have no snapshot to repro


@pytest.fixture(scope="module")
def dvc_stages() -> dict:
    """The stages as DVC itself resolves dvc.yaml's templates against params.yaml: {name: stage}."""
    from dvc.repo import Repo

    with Repo(str(REPO)) as repo:
        return {stage.addressing: stage for stage in repo.index.stages if stage.relpath == "dvc.yaml"}


def test_dvc_makes_a_stage_pair_for_each_offline_task_of_params_yaml(dvc_stages):
    assert [n.split("@", 1)[1] for n in dvc_stages if n.startswith("task@")] == TASKS
    assert [n.split("@", 1)[1] for n in dvc_stages if n.startswith("validate@")] == TASKS
    assert set(dvc_stages) == {f"{family}@{task}" for family in ("task", "validate") for task in TASKS}


def test_dvc_tracks_exactly_the_base_block_and_the_tasks_own_block(dvc_stages):
    for name, stage in dvc_stages.items():
        params = [d.params for d in stage.deps if type(d).__name__ == "ParamsDependency"]
        family, task = name.split("@", 1)
        assert params == ([["base", task]] if family == "task" else []), name


@pytest.mark.parametrize("task", TASKS)
def test_every_stage_task_has_a_package(task):
    assert task in available()


def test_each_stage_depends_on_its_data_package_and_the_step_library():
    for family in (FAMILY, VALIDATE):
        deps = family["do"]["deps"]
        assert {"data/${item}", "pipelines/${item}", "pipelines/_shared", "src/coursework"} <= set(deps)
        assert not any(d in ("data", "pipelines", "flows") for d in deps), "a whole shared folder would re-run every task"


def test_the_train_stage_depends_on_the_validation_report():
    assert VALIDATE["do"]["outs"] == [{"reports/${item}/validation.json": {"cache": False}}]
    assert "reports/${item}/validation.json" in FAMILY["do"]["deps"]


def test_the_train_stage_depends_on_its_own_tuned_file_which_exists():
    """`coursework tune` writes tuned/<task>.yaml: only that task re-runs, and DVC needs the file to exist."""
    assert "tuned/${item}.yaml" in FAMILY["do"]["deps"] and "tuned" not in FAMILY["do"]["deps"]
    assert all((REPO / "tuned" / f"{task}.yaml").is_file() for task in TASKS)


def test_no_stage_writes_data_or_runs_dvc():
    """data.dvc owns data/: a stage that output data/<task> or ran `dvc add` would fight it."""
    for name, family in DVC_YAML["stages"].items():
        outs = [next(iter(o)) if isinstance(o, dict) else o for o in family["do"].get("outs", [])]
        assert not any(o.startswith("data") for o in outs), name
        assert "dvc" not in family["do"]["cmd"].split(), name
    assert VALIDATE["do"]["cmd"] == "coursework data validate ${item} --report reports/${item}/validation.json"


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
@pytest.mark.parametrize("stage, entries", [
    ("validate", ["pipelines.{task}", "pipelines", "coursework.versioning", "coursework.validate"]),
    ("task", ["pipelines.{task}", "pipelines", "flows.task_flow"]),
])
def test_every_file_a_stage_imports_is_one_of_its_deps(task, stage, entries):
    deps = [d.replace("${item}", task) for d in DVC_YAML["stages"][stage]["do"]["deps"]]
    files = import_closure(*(e.format(task=task) for e in entries))
    missing = sorted(f for f in files if not covered(f, deps))
    assert not missing, f"{stage}@{task} runs code that is not in its deps: {missing}"


def test_shared_suites_are_not_tasks():
    assert "_shared" not in available() and (REPO / "pipelines" / "_shared" / "iris.py").is_file()
    assert not (REPO / "pipelines" / "iris_knn" / "expectations.py").exists(), "the iris suite lives in _shared"


def test_the_stage_runs_the_flow_on_the_snapshot_and_writes_its_outputs():
    cmd = " ".join(FAMILY["do"]["cmd"].split())
    assert cmd.startswith("coursework run ${item} --from-snapshot")
    assert "--metrics-out reports/${item}/metrics.json" in cmd and "--plots-out reports/${item}/plots" in cmd
    assert FAMILY["do"]["metrics"] == [{"reports/${item}/metrics.json": {"cache": False}}]
    assert FAMILY["do"]["plots"] == ["reports/${item}/plots"]


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

"""dvc.yaml and .dvc/config against the project: every task a stage, each stage reading exactly its own keys."""

from pathlib import Path

import pytest
import yaml

from flows.catalog import offline_tasks
from pipelines import available

REPO = Path(__file__).resolve().parents[2]
DVC_YAML = yaml.safe_load((REPO / "dvc.yaml").read_text())
FAMILY = DVC_YAML["stages"]["task"]
TASKS = offline_tasks(REPO / "params.yaml")  # tasks needing a user file or network have no snapshot to repro


def test_foreach_lists_exactly_the_tasks_of_params_yaml():
    assert FAMILY["foreach"] == TASKS, "dvc.yaml's foreach must list params.yaml's offline task blocks, in order"


@pytest.mark.parametrize("task", TASKS)
def test_every_stage_task_has_a_package(task):
    assert task in available()


def test_each_stage_reads_the_base_block_and_its_own_block_only():
    assert FAMILY["do"]["params"] == ["base", "${item}"]


def test_each_stage_depends_on_its_data_package_and_the_step_library():
    deps = FAMILY["do"]["deps"]
    assert {"data/${item}", "pipelines/${item}", "src/coursework", "flows/task_flow.py"} <= set(deps)
    assert not any(d in ("data", "pipelines") for d in deps), "a shared folder would re-run every task"


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

"""stack_control: is each service of `coursework up` healthy, and stop them all, process groups included."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

from coursework import stackfile, warm
from coursework.fsutil import process_alive
from coursework.stack import POOL, StackDown
from coursework.stackfile import Service, StackState

HEALTHY_WAIT_S = 240.0  # a first start migrates two databases on a shared 2-core machine
STOP_WAIT_S = 15.0  # SIGTERM, then SIGKILL: a clean shutdown of uvicorn takes a few seconds


# ------------------------------------------------------------------------------------------------ health
def http_ok(url: str, *, method: str = "GET", body: bytes | None = None) -> tuple[bool, object]:
    """(answered 200, parsed JSON or text) for one request; (False, the error) when it does not answer."""
    request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            text = response.read().decode("utf-8", "replace")
            try:
                return response.status == 200, json.loads(text)
            except ValueError:
                return response.status == 200, text
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except OSError as exc:
        return False, str(getattr(exc, "reason", exc))


def online_workers(api_url: str) -> set[str]:
    """Names of the workers Prefect's server sees polling the pool (their heartbeat is recent)."""
    ok, found = http_ok(f"{api_url}/work_pools/{POOL}/workers/filter", method="POST", body=b"{}")
    if not ok or not isinstance(found, list):
        return set()
    return {w["name"] for w in found if w.get("status") == "ONLINE"}


def health(state: StackState) -> list[dict]:
    """One row per service: name, url, pid, alive, healthy and why not (a real HTTP check, not only the pid)."""
    workers = online_workers(state.prefect_api_url) if any(s.name.startswith("worker-") for s in state.services) else set()
    rows = []
    for svc in state.services:
        alive = process_alive(svc.pid, svc.started)
        if not alive:
            ok, detail = False, "process is gone"
        elif svc.name == "runner":
            ok, detail = warm.ping(Path((svc.url or "").removeprefix("unix:")))
        elif svc.name.startswith("worker-"):
            ok = f"coursework-{svc.name}" in workers
            detail = f"polling pool {state.work_pool}" if ok else f"not polling pool {state.work_pool} (yet)"
        else:
            ok, answer = http_ok(f"{(svc.url or '').rstrip('/')}/health")
            detail = "answers /health" if ok else f"/health: {answer}"
        rows.append({"name": svc.name, "url": svc.url, "pid": svc.pid, "alive": alive, "healthy": ok,
                     "detail": detail, "log": svc.log})
    return rows


def wait_healthy(state: StackState, timeout: float = HEALTHY_WAIT_S) -> None:
    """Until every service answers; StackDown naming the log of the first that died or never answered."""
    deadline = time.monotonic() + timeout
    while True:
        rows = health(state)
        dead = next((r for r in rows if not r["alive"]), None)
        if dead:
            raise StackDown(f"{dead['name']} exited while starting; see {dead['log']}")
        late = next((r for r in rows if not r["healthy"]), None)
        if late is None:
            return
        if time.monotonic() > deadline:
            raise StackDown(f"{late['name']} was not healthy after {timeout:.0f} s ({late['detail']}); see {late['log']}")
        time.sleep(0.5)


# -------------------------------------------------------------------------------------------------- stop
def members(svc: Service) -> list[psutil.Process]:
    """The live processes of the service's group (its session), the leader dead or alive; none if the pid was reused."""
    found = []
    for proc in psutil.process_iter(["pid", "create_time", "status"]):
        try:
            if os.getpgid(proc.pid) == svc.pid and (proc.info["create_time"] or 0) >= svc.started - 1.0:
                found.append(proc)
        except (ProcessLookupError, psutil.Error):
            continue
    leader = next((p for p in found if p.pid == svc.pid), None)
    if leader is not None and abs(leader.info["create_time"] - svc.started) >= 1.0:
        return []  # the pid, and so the group, belongs to another process now
    # a leader killed with -9 may stay a zombie until init reaps it; its children still run and are ours
    return [p for p in found if p.info["status"] != psutil.STATUS_ZOMBIE]


def _signal(procs: list[psutil.Process], sig: int) -> None:
    for proc in procs:
        try:
            proc.send_signal(sig)
        except psutil.Error:
            continue


def stop_all(services: tuple[Service, ...], grace: float = STOP_WAIT_S) -> list[int]:
    """SIGTERM every process of every service, SIGKILL what is left after `grace`; the pids still alive."""
    procs = [p for svc in services for p in members(svc)]
    _signal(procs, signal.SIGTERM)
    _, alive = psutil.wait_procs(procs, timeout=grace)
    _signal(alive, signal.SIGKILL)
    _, alive = psutil.wait_procs(alive, timeout=5)
    return [p.pid for p in alive]


def teardown(root: Path) -> tuple[StackState | None, list[int]]:
    """Stop the recorded stack (live or half dead) and remove its state file; (what was recorded, survivors)."""
    state = stackfile.load(root)
    if state is None:
        return None, []
    survivors = stop_all(tuple(reversed(state.services)))  # workers first, the server they poll last
    if not survivors:
        stackfile.path(root).unlink(missing_ok=True)
    return state, survivors

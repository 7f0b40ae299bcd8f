"""Scheduled runs: serve the all-tasks flow on a cron schedule (`python -m flows.schedules`).

Serving needs a Prefect API that outlives this process: start one with `prefect server start` and set
PREFECT_API_URL, or point PREFECT_API_URL at your team's server.
"""

from __future__ import annotations

import argparse

from prefect import serve

from flows.all_tasks import all_tasks_flow

NIGHTLY = "0 3 * * *"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cron", default=NIGHTLY, help=f"cron schedule (default {NIGHTLY!r}, 03:00 daily)")
    parser.add_argument("--params", default="params.yaml")
    args = parser.parse_args()
    deployment = all_tasks_flow.to_deployment(name="nightly", cron=args.cron, parameters={"params_path": args.params})
    serve(deployment)


if __name__ == "__main__":
    main()

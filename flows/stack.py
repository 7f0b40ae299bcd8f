"""The stack's Prefect side: the process work pool its workers poll, made once before they start."""

from __future__ import annotations


def ensure_work_pool(api_url: str, name: str) -> None:
    """Create the process work pool `name` with Prefect's default job template, unless it exists."""
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists
    from prefect.workers.process import ProcessWorker

    # N workers started at once would each try to create a missing pool; one creation here, none there
    pool = WorkPoolCreate(name=name, type="process", base_job_template=ProcessWorker.get_default_base_job_template())
    with SyncPrefectClient(api_url) as client:
        try:
            client.create_work_pool(pool)
        except ObjectAlreadyExists:
            pass

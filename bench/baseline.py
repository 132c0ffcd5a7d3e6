"""The per-job baseline: what the Terraform and Pulumi Huawei Cloud providers do for the same jobs.

Each job is its own resource: one batch-starting call naming that one job, then, after a 20 s delay,
one batch-status call for that one job about every 10 s until it runs, for up to 60 minutes. The
engine creates resources `parallelism` at a time (Terraform's -parallelism default is 10).
`Cadence.scaled` shrinks every wait by one factor, so a run with the emulator's transitions shrunk by
the same factor makes the same calls in less time; converge times are only measured at full cadence.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, replace

from pulumi_drs.api import DrsApi, connect
from pulumi_drs.api.base import Act
from pulumi_drs.plan import Goal, Step, Target, plan_job, reached
from pulumi_drs.settings import Settings

TERRAFORM_PARALLELISM = 10


@dataclass(frozen=True)
class Cadence:
    initial_delay: float = 20.0
    interval: float = 10.0
    timeout: float = 3600.0

    def scaled(self, factor: float) -> Cadence:
        return replace(self, initial_delay=self.initial_delay * factor, interval=self.interval * factor,
                       timeout=self.timeout * factor)


class PerJobDriver:
    def __init__(self, settings: Settings, cadence: Cadence, parallelism: int = TERRAFORM_PARALLELISM) -> None:
        self.settings = settings
        self.cadence = cadence
        self.parallelism = parallelism

    def create_all(self, job_ids: list[str]) -> None:
        """Create one resource per job, `parallelism` at a time; returns when every one is created."""
        with ThreadPoolExecutor(max_workers=min(self.parallelism, max(1, len(job_ids)))) as pool:
            list(pool.map(self.create_one, job_ids))

    def create_one(self, job_id: str) -> None:
        with closing(connect(self.settings)) as api:
            answer = api.act(Act.START, [job_id])[job_id]
            if not answer.accepted:
                raise RuntimeError(f"baseline: DRS refused to start {job_id}: {answer.error_message}")
            self._wait(api, job_id)

    def _wait(self, api: DrsApi, job_id: str) -> None:
        deadline = time.monotonic() + self.cadence.timeout
        time.sleep(self.cadence.initial_delay)
        while True:
            status = api.read_statuses([job_id])[job_id].status or "UNKNOWN"
            if reached(Goal(Target.RUNNING), status):
                return
            if plan_job(job_id, status).step is Step.FAIL or time.monotonic() + self.cadence.interval > deadline:
                raise RuntimeError(f"baseline: job {job_id} did not run: {status}")
            time.sleep(self.cadence.interval)

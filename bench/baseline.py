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
from dataclasses import dataclass, replace

from pulumi_drs import wire
from pulumi_drs.client import DrsClient
from pulumi_drs.reconcile import WaitTarget, failed, reached, read_statuses
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
        with DrsClient(self.settings) as client:
            answer = client.start_jobs([wire.StartInfo(job_id=job_id)])[0]
            if answer.status != "success":
                raise RuntimeError(f"baseline: DRS refused to start {job_id}: {answer.error_msg}")
            self._wait(client, job_id)

    def _wait(self, client: DrsClient, job_id: str) -> None:
        deadline = time.monotonic() + self.cadence.timeout
        time.sleep(self.cadence.initial_delay)
        while True:
            status = read_statuses(client, [job_id])[job_id]
            if reached(WaitTarget.RUNNING, status):
                return
            if failed(WaitTarget.RUNNING, status) or time.monotonic() + self.cadence.interval > deadline:
                raise RuntimeError(f"baseline: job {job_id} did not run: {status}")
            time.sleep(self.cadence.interval)

"""An in-memory stand-in for DrsClient, for unit tests of the provider's decisions.

It follows the emulator's rules in miniature (start moves CONFIGURATION to a running status after
`steps_to_run` status reads) and records every call, so tests can assert which calls were made.
Behaviour over HTTP is tested against the real emulator elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pulumi_drs import wire


@dataclass
class FakeJob:
    status: str = "CONFIGURATION"
    reads_until_running: int = 0
    fail_start: bool = False
    start_count: int = 0
    detail: dict[str, object] = field(default_factory=dict)
    delay: str = "0"


@dataclass(frozen=True)
class FakeSettings:
    poll_interval_max: float = 0.01


@dataclass
class FakeDrsClient:
    jobs: dict[str, FakeJob] = field(default_factory=dict)
    settings: FakeSettings = field(default_factory=FakeSettings)
    steps_to_run: int = 1
    calls: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def _tick(self, job: FakeJob) -> None:
        if job.status == "STARTJOBING":
            if job.reads_until_running <= 0:
                job.status = "START_JOB_FAILED" if job.fail_start else "INCRE_TRANSFER_STARTED"
            job.reads_until_running -= 1
        elif job.status == "RELEASE_RESOURCE_STARTED":
            job.status = "RELEASE_RESOURCE_COMPLETE"

    def job_statuses(self, job_ids: Sequence[str]) -> dict[str, wire.JobStatusResult]:
        self.calls.append(("status", tuple(job_ids)))
        out = {}
        for job_id in job_ids:
            job = self.jobs.get(job_id)
            if job is None:
                out[job_id] = wire.JobStatusResult(id=job_id, error_code="DRS.M05003", error_message="not found")
                continue
            self._tick(job)
            out[job_id] = wire.JobStatusResult(id=job_id, status=job.status)
        return out

    def job_details(self, job_ids: Sequence[str]) -> dict[str, wire.JobDetail]:
        self.calls.append(("detail", tuple(job_ids)))
        return {j: wire.JobDetail(id=j, status=self.jobs[j].status, **self.jobs[j].detail)  # type: ignore[arg-type]
                for j in job_ids if j in self.jobs}

    def job_progress(self, job_ids: Sequence[str]) -> dict[str, wire.JobProgress]:
        self.calls.append(("progress", tuple(job_ids)))
        return {j: wire.JobProgress(job_id=j, incre_trans_delay=self.jobs[j].delay) for j in job_ids if j in self.jobs}

    def start_jobs(self, jobs: Sequence[wire.StartInfo]) -> list[wire.StartJobResult]:
        self.calls.append(("start", tuple(j.job_id for j in jobs)))
        results = []
        for info in jobs:
            job = self.jobs.get(info.job_id)
            if job is None:
                results.append(wire.StartJobResult(id=info.job_id, status="failed", error_code="DRS.M05003",
                                                   error_msg="task information not found"))
            elif job.status not in ("CONFIGURATION", "START_JOB_FAILED"):
                results.append(wire.StartJobResult(id=info.job_id, status="failed", error_code="DRS.M00304",
                                                   error_msg="wrong status"))
            else:
                job.status, job.reads_until_running = "STARTJOBING", self.steps_to_run
                job.start_count += 1
                results.append(wire.StartJobResult(id=info.job_id, status="success"))
        return results

    def retry_jobs(self, job_ids: Sequence[str]) -> list[wire.ActionResult]:
        self.calls.append(("retry", tuple(job_ids)))
        for job_id in job_ids:
            self.jobs[job_id].status = "INCRE_TRANSFER_STARTED"
        return [wire.ActionResult(id=j, status="success") for j in job_ids]

    def terminate_jobs(self, job_ids: Sequence[str]) -> list[wire.ActionResult]:
        self.calls.append(("terminate", tuple(job_ids)))
        for job_id in job_ids:
            self.jobs[job_id].status = "RELEASE_RESOURCE_STARTED"
        return [wire.ActionResult(id=j, status="success") for j in job_ids]

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.calls]

"""The emulated DRS service: jobs and the rules of each batch operation, with no HTTP.

One public method per DRS operation, named as the official SDK names it (`batch_start_jobs`, ...),
taking the path's project id and the wire request, returning the wire response. Per-item failures
come back inside the response; whole-request failures raise `exceptions.EmulatorError`. Admin methods
(`create_jobs`, `update_job`, ...) serve tests and demos. One lock guards the state, so the HTTP
layer may call in from any thread.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from pulumi_drs import wire
from pulumi_drs.emulator import exceptions as exc
from pulumi_drs.emulator.config import Settings
from pulumi_drs.emulator.jobs import Job, JobPatch, JobSpec
from pulumi_drs.emulator.store import JobStore, MemoryStore

Clock = Callable[[], float]
_MIN_MS_EPOCH = 10**12
"""Epoch milliseconds below this (September 2001) are taken for seconds and rejected."""
_MAX_MS_EPOCH = 10**14


class _Unit:
    """One operation's view of the jobs: each job advances at most once; changes are remembered."""

    def __init__(self, jobs: dict[str, Job], now: float, step_seconds: float, is_read: bool) -> None:
        self.jobs, self.now, self.step_seconds, self.is_read = jobs, now, step_seconds, is_read
        self.seen: set[str] = set()
        self.changed: set[str] = set()
        self.deleted: set[str] = set()
        self._parents: set[str] | None = None

    def get(self, job_id: str) -> Job | None:
        job = self.jobs.get(job_id)
        if job is None or job_id in self.seen:
            return job
        self.seen.add(job_id)
        if job.advance(self.now, self.step_seconds, is_read=self.is_read):
            self.changed.add(job_id)
        if job.purged:
            del self.jobs[job_id]
            self.changed.discard(job_id)
            self.deleted.add(job_id)
            return None
        return job

    def require(self, job_id: str) -> Job:
        if not job_id:
            raise exc.ParameterEmpty("job_id cannot be empty.")
        job = self.get(job_id)
        if job is None:
            raise exc.JobNotFound(f"Task {job_id} not found.")
        return job

    def touch(self, job: Job) -> None:
        self.changed.add(job.id)

    def children_of(self, job_id: str) -> list[str]:
        return sorted(j.id for j in self.jobs.values() if j.parent_id == job_id)

    def is_parent(self, job: Job) -> bool:
        if self._parents is None:
            self._parents = {j.parent_id for j in self.jobs.values() if j.parent_id}
        return job.id in self._parents


class DrsBackend:
    def __init__(
        self, project_id: str, settings: Settings, store: JobStore | None = None, clock: Clock = time.time
    ) -> None:
        self.project_id = project_id
        self.settings = settings
        self._store: JobStore = store or MemoryStore()
        self._clock = clock
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {r["id"]: Job.from_record(r) for r in self._store.load()}

    @contextmanager
    def _unit(self, project_id: str | None, *, is_read: bool = False) -> Iterator[_Unit]:
        with self._lock:
            if project_id is not None and project_id != self.project_id:
                raise exc.InvalidProjectId(f"Invalid project ID: {project_id}.")
            unit = _Unit(self._jobs, self._clock(), self.settings.transition_seconds, is_read)
            try:
                yield unit
            finally:
                records = [self._jobs[i].to_record() for i in unit.changed if i in self._jobs]
                self._store.write(records, unit.deleted)

    # --- DRS operations ---------------------------------------------------------------------

    def batch_start_jobs(
        self, project_id: str, request: wire.BatchStartJobsRequest
    ) -> wire.BatchStartJobsResponse:
        """`POST /v3/{project_id}/jobs/batch-starting`; 400 with this body when every item failed."""
        with self._unit(project_id) as unit:
            _require_jobs(request.jobs)
            errors = _attempt([i.job_id for i in request.jobs], lambda n: self._start(unit, request.jobs[n]))
        pairs = zip(request.jobs, errors, strict=True)
        results = [_start_result(info.job_id, error) for info, error in pairs]
        response = wire.BatchStartJobsResponse(count=len(results), results=results)
        if all(errors):
            raise exc.BatchRejected(response.to_wire())
        return response

    def batch_list_job_status(self, project_id: str, query: wire.BatchJobsQuery) -> wire.BatchStatusResponse:
        """`POST /v3/{project_id}/jobs/batch-status`; unknown jobs come back as items with an error."""
        with self._unit(project_id, is_read=True) as unit:
            results = [_status_of(job_id, unit.get(job_id)) for job_id in _page(query)]
        return wire.BatchStatusResponse(count=len(results), results=results)

    def batch_list_job_details(self, project_id: str, query: wire.BatchJobsQuery) -> wire.BatchDetailResponse:
        """`POST /v3/{project_id}/jobs/batch-detail`; 400 with the batch body when no job is known."""
        with self._unit(project_id, is_read=True) as unit:
            found = [(job_id, unit.get(job_id)) for job_id in _page(query)]
            children = {job_id: unit.children_of(job_id) for job_id, job in found if job and unit.is_parent(job)}
        results = [_detail_of(job_id, job) for job_id, job in found]
        for detail in results:
            if detail.id in children:  # parent tasks list their subtasks, as the Terraform provider reads
                detail.children = children[detail.id]
        response = wire.BatchDetailResponse(count=len(results), results=results)
        if all(job is None for _, job in found):
            raise exc.BatchRejected(response.to_wire())
        return response

    def batch_list_progresses(
        self, project_id: str, request: wire.BatchProgressRequest
    ) -> wire.BatchProgressResponse:
        """`POST /v3/{project_id}/jobs/batch-progress`."""
        with self._unit(project_id, is_read=True) as unit:
            _require_jobs(request.jobs)
            results = [_progress_of(job_id, unit.get(job_id)) for job_id in request.jobs]
        return wire.BatchProgressResponse(count=len(results), results=results)

    def batch_restore_task(
        self, project_id: str, request: wire.BatchRetryTaskRequest
    ) -> wire.BatchActionResponse:
        """`POST /v3/{project_id}/jobs/batch-retry-task`: resume paused jobs, retry failed transfers."""
        with self._unit(project_id) as unit:
            _require_jobs(request.jobs)
            errors = _attempt(
                [i.job_id for i in request.jobs], lambda n: self._restore(unit, request.jobs[n])
            )
        return _action_response([i.job_id for i in request.jobs], errors)

    def batch_delete_jobs(
        self, project_id: str, request: wire.BatchDeleteJobsRequest
    ) -> wire.BatchActionResponse:
        """`DELETE /v3/{project_id}/jobs/batch-jobs`: terminate, force-terminate or delete."""
        with self._unit(project_id) as unit:
            _require_jobs(request.jobs)
            errors = _attempt([i.job_id for i in request.jobs], lambda n: self._delete(unit, request.jobs[n]))
        return _action_response([i.job_id for i in request.jobs], errors)

    # --- per-item rules ---------------------------------------------------------------------

    def _start(self, unit: _Unit, info: wire.StartInfo) -> None:
        start_at = _parse_start_time(info.start_time, unit.now)
        job = unit.require(info.job_id)
        job.check_not_released()
        if unit.is_parent(job):
            raise exc.SubtaskOnly(f"Task {job.id} is a parent task; start its subtasks.")
        job.check_startable()
        if job.is_dr_backward:
            forward = unit.get(job.master_job_id) if job.master_job_id else None
            if forward is None:
                raise exc.InvalidJobStatus(
                    f"DR backward task {job.id} has no forward task {job.master_job_id}."
                )
            forward.check_can_be_forward_of(job.id)
        job.start(unit.now, start_at)
        unit.touch(job)

    def _restore(self, unit: _Unit, info: wire.RetryInfo) -> None:
        job = unit.require(info.job_id)
        if unit.is_parent(job) and job.db_use_type == "cloudDataGuard":
            raise exc.SubtaskOnly(f"Task {job.id} is a dual-active DR parent task.")
        job.restore(unit.now)
        unit.touch(job)

    def _delete(self, unit: _Unit, info: wire.DeleteInfo) -> None:
        job = unit.require(info.job_id)
        if unit.is_parent(job) and job.db_use_type != "cloudDataGuard":
            raise exc.SubtaskOnly(f"Task {job.id} is a parent task; only dual-active DR allows this.")
        if info.delete_type == "delete":
            job.delete(unit.now)
        else:
            job.terminate(unit.now, force=info.delete_type == "force_terminate")
        unit.touch(job)

    # --- admin (not DRS) --------------------------------------------------------------------

    def create_jobs(self, specs: Sequence[JobSpec]) -> list[dict[str, Any]]:
        with self._unit(None) as unit:
            jobs = [Job.from_spec(spec, unit.now, len(self._jobs) + n + 1) for n, spec in enumerate(specs)]
            ids = [job.id for job in jobs]
            clash = next((i for i in ids if i in self._jobs or ids.count(i) > 1), None)
            if clash is not None:
                raise exc.InvalidParameter(f"Job {clash} already exists.")
            for job in jobs:
                self._jobs[job.id] = job
                unit.touch(job)
            return [job.to_admin() for job in jobs]

    def update_job(self, job_id: str, patch: JobPatch) -> dict[str, Any]:
        with self._unit(None) as unit:
            job = unit.require(job_id)
            job.patch(patch, unit.now)
            unit.touch(job)
            return job.to_admin()

    def describe_job(self, job_id: str) -> dict[str, Any]:
        with self._unit(None) as unit:
            return unit.require(job_id).to_admin()

    def list_jobs(self) -> list[dict[str, Any]]:
        with self._unit(None) as unit:
            found = [unit.get(job_id) for job_id in list(self._jobs)]
            return [job.to_admin() for job in found if job is not None]

    def reset(self) -> None:
        with self._lock:
            self._jobs.clear()
            self._store.clear()

    def close(self) -> None:
        with self._lock:
            self._store.close()


# --- helpers: request checks and result items -------------------------------------------------


def _require_jobs(jobs: Sequence[object]) -> None:
    if not jobs:
        raise exc.ParameterEmpty("jobs cannot be empty.")


def _page(query: wire.BatchJobsQuery) -> list[str]:
    """The job ids of the requested page: per_page defaults to 5, 0 means all, at most 100."""
    _require_jobs(query.jobs)
    req = query.page_req or wire.PageReq()
    if req.cur_page < 1 or req.per_page < 0:
        raise exc.PageInvalid(f"Page invalid: cur_page={req.cur_page}, per_page={req.per_page}.")
    if req.per_page > wire.MAX_PER_PAGE:
        raise exc.PageOverLimit(f"per_page {req.per_page} is over the limit of {wire.MAX_PER_PAGE}.")
    per_page = req.per_page or len(query.jobs)
    last_page = math.ceil(len(query.jobs) / per_page)
    if req.cur_page > last_page:
        raise exc.PageOverLimit(f"cur_page {req.cur_page} is past the last page ({last_page}).")
    first = (req.cur_page - 1) * per_page
    return query.jobs[first : first + per_page]


def _parse_start_time(value: str | None, now: float) -> float | None:
    """The epoch seconds of a future start, or None to start now ("", "0" or a past time)."""
    if value is None or value in ("", "0"):
        return None
    if not value.isdigit() or not _MIN_MS_EPOCH <= int(value) < _MAX_MS_EPOCH:
        raise exc.ParameterInvalid(f"start_time {value!r} is invalid: give epoch milliseconds.")
    start_at = int(value) / 1000
    return start_at if start_at > now else None


def _attempt(job_ids: Sequence[str], action: Callable[[int], None]) -> list[exc.EmulatorError | None]:
    """Run `action` per item; a repeated id fails with DRS.M00301 and is not acted on again."""
    seen: set[str] = set()
    outcomes: list[exc.EmulatorError | None] = []
    for index, job_id in enumerate(job_ids):
        try:
            if job_id in seen:
                raise exc.DuplicateParameter(f"Duplicate job_id in request: {job_id}.")
            seen.add(job_id)
            action(index)
            outcomes.append(None)
        except exc.EmulatorError as error:
            outcomes.append(error)
    return outcomes


def _start_result(job_id: str, error: exc.EmulatorError | None) -> wire.StartJobResult:
    if error is None:
        return wire.StartJobResult(id=job_id, status="success")
    return wire.StartJobResult(id=job_id, status="failed", error_code=error.code, error_msg=error.error_msg)


def _action_response(job_ids: list[str], errors: list[exc.EmulatorError | None]) -> wire.BatchActionResponse:
    results = [
        wire.ActionResult(id=job_id, status="success")
        if error is None
        else wire.ActionResult(id=job_id, status="failed", error_code=error.code, error_msg=error.error_msg)
        for job_id, error in zip(job_ids, errors, strict=True)
    ]
    return wire.BatchActionResponse(count=len(results), results=results)


def _not_found(job_id: str) -> exc.JobNotFound:
    return exc.JobNotFound(f"Task {job_id} not found.")


def _status_of(job_id: str, job: Job | None) -> wire.JobStatusResult:
    if job is not None:
        return job.to_status()
    error = _not_found(job_id)
    return wire.JobStatusResult(id=job_id, error_code=error.code, error_message=error.error_msg)


def _detail_of(job_id: str, job: Job | None) -> wire.JobDetail:
    if job is not None:
        return job.to_detail()
    error = _not_found(job_id)
    return wire.JobDetail(id=job_id, error_code=error.code, error_message=error.error_msg)


def _progress_of(job_id: str, job: Job | None) -> wire.JobProgress:
    if job is not None:
        return job.to_progress()
    error = _not_found(job_id)
    return wire.JobProgress(job_id=job_id, error_code=error.code, error_msg=error.error_msg)

"""The emulated DRS service: jobs and the rules of each operation, with no HTTP and no wire format.

One public method per DRS operation, named as the official SDK names it (`batch_start_jobs`, ...). They
take the path's project id and plain Python (job ids, `StartItem`s, a `Page`, ...) and return plain
Python: an `Outcome` per item of an action, a `Found` (a snapshot of the job, or None) per job asked
about. So every API version module serializes the same backend. Per-item failures come back inside the
results; whole-request failures raise `exceptions.EmulatorError`. Admin methods (`create_jobs`, `step`,
...) serve tests and demos. One lock guards the state, so the HTTP layer may call in from any thread.
The queries of actions accepted asynchronously (v5) live in memory only: a restart forgets them.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from pulumi_drs.emulator import exceptions as exc
from pulumi_drs.emulator import rules as r
from pulumi_drs.emulator.config import Clock, RuntimeSettings
from pulumi_drs.emulator.items import (
    ActionItem,
    DeleteItem,
    Found,
    JobList,
    Listed,
    Outcome,
    Progress,
    RetryItem,
    StartItem,
    StopItem,
)
from pulumi_drs.emulator.jobs import Job, JobPatch, JobSpec, StepPolicy
from pulumi_drs.emulator.paging import JobFilter, JobQuery, Page, check_batch, page_of, window
from pulumi_drs.emulator.store import JobStore, MemoryStore

_MIN_MS_EPOCH = 10**12
"""Epoch milliseconds below this (September 2001) are taken for seconds and rejected."""
_MAX_MS_EPOCH = 10**14


class _Unit:
    """One operation's view of the jobs: each job advances at most once; changes are remembered."""

    def __init__(self, jobs: dict[str, Job], now: float, policy: StepPolicy, is_read: bool) -> None:
        self.jobs, self.now, self.policy, self.is_read = jobs, now, policy, is_read
        self.seen: set[str] = set()
        self.changed: set[str] = set()
        self.deleted: set[str] = set()
        self._children: dict[str, list[Job]] | None = None

    def name_of(self, job_id: str) -> str | None:
        job = self.jobs.get(job_id)
        return job.name if job is not None else None

    def get(self, job_id: str) -> Job | None:
        job = self.jobs.get(job_id)
        if job is None or job_id in self.seen:
            return job
        self.seen.add(job_id)
        if job.advance(self.now, self.policy, is_read=self.is_read):
            self.touch(job)
        return self.settle(job)

    def settle(self, job: Job) -> Job | None:
        """The job, or None once it reached PURGED and was removed."""
        if not job.purged:
            return job
        del self.jobs[job.id]
        self.changed.discard(job.id)
        self.deleted.add(job.id)
        return None

    def require(self, job_id: str) -> Job:
        if not job_id:
            raise exc.ParameterEmpty("job_id cannot be empty.")
        job = self.get(job_id)
        if job is None:
            raise exc.JobNotFound(f"Task {job_id} not found.")
        return job

    def touch(self, job: Job) -> None:
        self.changed.add(job.id)

    def found(self, job_id: str) -> Found:
        job = self.get(job_id)
        return Found(job_id, copy.copy(job) if job is not None else None, self.now)

    def all_jobs(self) -> list[Job]:
        return self.read(list(self.jobs.values()))

    def read(self, jobs: Sequence[Job]) -> list[Job]:
        """`jobs` as they are now: each advanced (once per operation), the purged ones left out."""
        return [job for job in map(self.get, [j.id for j in jobs]) if job is not None]

    def is_top(self, job: Job) -> bool:
        """Not a subtask of a job DRS knows: a top-level entry of the task list."""
        return job.parent_id is None or job.parent_id not in self.jobs

    def listed(self, job: Job) -> Listed:
        """`job` with all its subtasks, as the task list shows them (each subtask read too)."""
        children = self.read(self.children_of(job.id))
        return Listed(copy.copy(job), tuple(copy.copy(child) for child in children))

    def is_parent(self, job: Job) -> bool:
        return bool(self.children_of(job.id))

    def children_of(self, job_id: str) -> list[Job]:
        """The job's subtasks, indexed once per operation: batches of 100 over thousands of jobs stay linear."""
        if self._children is None:
            self._children = {}
            for other in self.jobs.values():
                if other.parent_id:
                    self._children.setdefault(other.parent_id, []).append(other)
        return self._children.get(job_id, [])


@dataclass
class _Query:
    """One action accepted asynchronously: its job, its refusal (if DRS refused it), its end once reached."""

    job_id: str
    error: exc.EmulatorError | None
    ended: Progress | None = None


class DrsBackend:
    def __init__(
        self, project_id: str, settings: RuntimeSettings, store: JobStore | None = None, clock: Clock = time.time
    ) -> None:
        self.project_id = project_id
        self.settings = settings
        self._store: JobStore = store or MemoryStore()
        self._clock = clock
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {rec["id"]: Job.from_record(rec) for rec in self._store.load()}
        self._queries: dict[str, _Query] = {}

    @contextmanager
    def _unit(self, project_id: str | None, *, is_read: bool = False) -> Iterator[_Unit]:
        with self._lock:
            if project_id is not None and project_id != self.project_id:
                raise exc.InvalidProjectId(f"Invalid project ID: {project_id}.")
            unit = _Unit(self._jobs, self._clock(), StepPolicy.of(self.settings), is_read)
            try:
                yield unit
            finally:
                # A generator: the memory store discards records, so none is built unless a store reads it.
                records = (self._jobs[i].to_record() for i in unit.changed if i in self._jobs)
                self._store.write(records, unit.deleted)

    # --- DRS operations ---------------------------------------------------------------------

    def batch_start_jobs(self, project_id: str, items: Sequence[StartItem]) -> list[Outcome]:
        """batch-starting: each item started, or refused with its error."""
        return self._act(project_id, items, self._start)

    def batch_restore_task(self, project_id: str, items: Sequence[RetryItem]) -> list[Outcome]:
        """batch-retry-task: resume paused jobs, retry failed transfers."""
        return self._act(project_id, items, self._restore)

    def batch_delete_jobs(self, project_id: str, items: Sequence[DeleteItem]) -> list[Outcome]:
        """batch-jobs (DELETE): terminate, force-terminate or delete."""
        return self._act(project_id, items, self._delete)

    def batch_list_job_status(self, project_id: str, job_ids: Sequence[str], page: Page) -> list[Found]:
        """batch-status: the page's jobs, unknown ones as None."""
        return self._find(project_id, self._page(job_ids, page))

    def batch_list_job_details(self, project_id: str, job_ids: Sequence[str], page: Page) -> list[Found]:
        """batch-detail: the page's jobs, unknown ones as None."""
        return self._find(project_id, self._page(job_ids, page))

    def batch_list_progresses(self, project_id: str, job_ids: Sequence[str]) -> list[Found]:
        """batch-progress: every job asked about (no paging)."""
        return self._find(project_id, check_batch(job_ids))

    def batch_list_rpos_and_rtos(self, project_id: str, job_ids: Sequence[str]) -> list[Found]:
        """batch-rpo-and-rto: every job asked about, for its RPO and RTO."""
        return self._find(project_id, check_batch(job_ids))

    def show_job_list(self, project_id: str, query: JobFilter) -> JobList:
        """The task list: top-level tasks matching `query`, each with all its subtasks.

        GUESS: subtasks appear only inside their parent's children (API querying_tasks_of_a_tenant.rst
        shows them there); a page past the last is empty rather than an error."""
        query.check()
        with self._unit(project_id, is_read=True) as unit:
            selected = unit.read([job for job in unit.jobs.values() if unit.is_top(job) and query.selects(job)])
            matching = [job for job in selected if query.matches(job)]
            first, size = window(len(matching), query.page, cap=None)
            listed = [unit.listed(job) for job in matching[first : first + size]]
        return JobList(len(matching), listed)

    def batch_execute_job_actions(
        self, project_id: str, items: Sequence[ActionItem], *, asynchronous: bool = False
    ) -> list[Outcome]:
        """v5 jobs/action: each item's action done, or refused with its error. `asynchronous` (v5's 202):
        every item gets a query, where a refusal shows, and a start or restart is left under way."""
        outcomes = self._act(project_id, items, partial(self._execute, deferred=asynchronous))
        return [self._queued(outcome) for outcome in outcomes] if asynchronous else outcomes

    def show_task_execute_progress(self, project_id: str, async_job_id: str) -> Progress | None:
        """v5 jobs/{async_job_id}/progress: what an action accepted asynchronously came to, read from its job
        (a status read); None for a query DRS does not know. Once ended, the answer no longer changes."""
        with self._unit(project_id, is_read=True) as unit:
            query = self._queries.get(async_job_id)
            if query is None or query.ended is not None:
                return None if query is None else query.ended
            progress = _progress(query, unit.get(query.job_id))
            query.ended = progress if progress.done else None
            return progress

    def batch_stop_jobs_action(self, project_id: str, items: Sequence[StopItem]) -> list[Outcome]:
        """v5 jobs/batch-stop: end each job (terminate, as v3 batch-jobs does), not pause it."""
        return self._act(project_id, items, lambda unit, item: self._end(unit, item.job_id, item.force))

    def list_jobs(self, project_id: str, query: JobQuery) -> JobList:
        """v5 ListJobs: top-level tasks of one job type matching `query`, each with all its subtasks.

        Only the tasks the type and name select are read (and may advance), so a query for one type
        moves no other task. GUESS, as the v3 task list: subtasks appear only inside their parent."""
        query.check()
        with self._unit(project_id, is_read=True) as unit:
            selected = unit.read([job for job in unit.jobs.values() if unit.is_top(job) and query.selects(job)])
            matching = query.order([job for job in selected if query.matches(job)])
            size = min(query.limit, self.settings.max_per_page)
            listed = [unit.listed(job) for job in matching[query.offset : query.offset + size]]
        return JobList(len(matching), listed)

    def show_actions(self, project_id: str, job_id: str) -> Found:
        """v5 jobs/{job_id}/actions: a snapshot of the job, for what its status allows."""
        return self._find(project_id, [job_id])[0]

    def show_job_detail(self, project_id: str, job_id: str) -> Found:
        """v5 jobs/{job_id}: a snapshot of the job."""
        return self._find(project_id, [job_id])[0]

    def _act(self, project_id: str, items: Sequence[Any], action: Callable[[_Unit, Any], None]) -> list[Outcome]:
        with self._unit(project_id) as unit:
            check_batch([item.job_id for item in items])
            return [_attempt(unit, item.job_id, partial(action, unit, item)) for item in items]

    def _find(self, project_id: str, job_ids: Sequence[str]) -> list[Found]:
        with self._unit(project_id, is_read=True) as unit:
            return [unit.found(job_id) for job_id in job_ids]

    def _page(self, job_ids: Sequence[str], page: Page) -> list[str]:
        return page_of(check_batch(job_ids), page, cap=self.settings.max_per_page)

    # --- per-item rules ---------------------------------------------------------------------

    def _queued(self, outcome: Outcome) -> Outcome:
        query_id = str(uuid.uuid4())  # GUESS: DRS's query IDs are UUIDs, as HWC drs_03_0211's example
        with self._lock:
            self._queries[query_id] = _Query(outcome.job_id, outcome.error)
        return dataclasses.replace(outcome, query_id=query_id)

    def _start(self, unit: _Unit, item: StartItem, deferred: bool = False) -> None:
        start_at = _parse_start_time(item.start_time, unit.now)
        job = unit.require(item.job_id)
        job.check_not_released()
        if unit.is_parent(job):  # API starting_tasks_in_batches.rst: "The parent task does not support this"
            raise exc.SubtaskOnly(f"Task {job.id} is a parent task; start its subtasks.")
        job.check_startable()
        if job.forward_job_id is not None:
            forward = unit.get(job.forward_job_id)
            if forward is None:
                raise exc.InvalidJobStatus(f"DR backward task {job.id} has no forward task {job.forward_job_id}.")
            forward.check_can_be_forward_of(job.id)
        job.start(unit.now, start_at, deferred=deferred)
        unit.touch(job)

    def _restore(self, unit: _Unit, item: RetryItem, deferred: bool = False) -> None:
        job = unit.require(item.job_id)
        # API resuming_or_retrying_tasks_in_batches.rst: "In the dual-active DR scenario, the parent task
        # cannot call the API."
        if unit.is_parent(job) and job.db_use_type == "cloudDataGuard":
            raise exc.SubtaskOnly(f"Task {job.id} is a dual-active DR parent task.")
        job.restore(unit.now, is_sync_re_edit=item.is_sync_re_edit, deferred=deferred)
        unit.touch(job)

    def _delete(self, unit: _Unit, item: DeleteItem) -> None:
        if item.delete_type != "delete":
            self._end(unit, item.job_id, force=item.delete_type == "force_terminate")
            return
        job = self._endable(unit, item.job_id)
        job.delete(unit.now)
        unit.touch(job)

    def _end(self, unit: _Unit, job_id: str, force: bool) -> None:
        job = self._endable(unit, job_id)
        job.terminate(unit.now, force=force)
        unit.touch(job)

    def _endable(self, unit: _Unit, job_id: str) -> Job:
        job = unit.require(job_id)
        # API stopping_or_deleting_tasks_in_batches.rst: "The parent task can call the API only in the
        # dual-active DR scenario."
        if unit.is_parent(job) and job.db_use_type != "cloudDataGuard":
            raise exc.SubtaskOnly(f"Task {job.id} is a parent task; only dual-active DR allows this.")
        return job

    def _execute(self, unit: _Unit, item: ActionItem, deferred: bool = False) -> None:
        """One v5 action, by the rules of the operation it stands for; `deferred`: accepted asynchronously.
        GUESS: an action the emulator does not serve (`precheck`, `network`, ... or no SDK action at all)
        fails for its job only."""
        steps: dict[str, Callable[[], None]] = {
            "start": partial(self._start, unit, StartItem(item.job_id, item.start_time), deferred),
            "restart": partial(self._restore, unit, RetryItem(item.job_id, item.is_sync_re_edit), deferred),
            "stop": partial(self._change, unit, item.job_id, Job.pause),
            "reset": partial(self._change, unit, item.job_id, Job.reset),
            "terminate": partial(self._end, unit, item.job_id, item.force),
        }
        step = steps.get(item.action_name)
        if step is None:
            unit.require(item.job_id)
            raise exc.ActionFailed(f"Action {item.action_name!r} is not supported: use one of {', '.join(steps)}.")
        step()

    def _change(self, unit: _Unit, job_id: str, change: Callable[[Job, float], None]) -> None:
        job = unit.require(job_id)
        change(job, unit.now)
        unit.touch(job)

    # --- admin (not DRS) --------------------------------------------------------------------

    def create_jobs(self, specs: Sequence[JobSpec]) -> list[dict[str, Any]]:
        with self._unit(None) as unit:
            jobs = [Job.from_spec(spec, unit.now, len(self._jobs) + n + 1) for n, spec in enumerate(specs)]
            ids = [job.id for job in jobs]
            counts = Counter(ids)
            clash = next((i for i in ids if i in self._jobs or counts[i] > 1), None)
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

    def describe_jobs(self) -> list[dict[str, Any]]:
        with self._unit(None) as unit:
            return [job.to_admin() for job in unit.all_jobs()]

    def step(self, job_ids: Sequence[str] | None = None, steps: int = 1) -> list[dict[str, Any]]:
        """Take up to `steps` queued steps of each job now, whatever time, holds or reads say."""
        with self._unit(None) as unit:
            jobs = unit.all_jobs() if job_ids is None else [unit.require(job_id) for job_id in job_ids]
            stepped = [_step(unit, job, steps) for job in jobs]
            return [job.to_admin() for job in stepped if job is not None]

    def reset(self) -> None:
        with self._lock:
            self._jobs.clear()
            self._queries.clear()
            self._store.clear()

    def close(self) -> None:
        with self._lock:
            self._store.close()


def _attempt(unit: _Unit, job_id: str, action: Callable[[], None]) -> Outcome:
    try:
        action()
    except exc.EmulatorError as error:
        return Outcome(job_id, error, unit.name_of(job_id))
    return Outcome(job_id, name=unit.name_of(job_id))


def _progress(query: _Query, job: Job | None) -> Progress:
    """A refused action failed with its refusal; an accepted one is where its job shows it (`rules.action_progress`)."""
    if query.error is not None or job is None:
        error = query.error or exc.JobNotFound(f"Task {query.job_id} not found.")
        return Progress(r.ACTION_FAILED, r.ACTION_PERCENT[r.ACTION_FAILED], error)
    state = r.action_progress(job.status, job.acting)
    if state != r.ACTION_FAILED:
        return Progress(state, r.ACTION_PERCENT[state])
    failure = exc.JobFailed(job.error_message or f"Task {job.id} is {job.status}.", job.error_code)
    return Progress(state, r.ACTION_PERCENT[state], failure)


def _step(unit: _Unit, job: Job, steps: int) -> Job | None:
    for _ in range(steps):
        if job.step_now(unit.now):
            unit.touch(job)
    return unit.settle(job)


def _parse_start_time(value: str | None, now: float) -> float | None:
    """The epoch seconds of a future start, or None to start now ("", "0" or a past time)."""
    if value is None or value in ("", "0"):
        return None
    if not value.isdigit() or not _MIN_MS_EPOCH <= int(value) < _MAX_MS_EPOCH:
        raise exc.ParameterInvalid(f"start_time {value!r} is invalid: give epoch milliseconds.")
    start_at = int(value) / 1000
    return start_at if start_at > now else None

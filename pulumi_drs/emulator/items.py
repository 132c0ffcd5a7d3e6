"""What the emulated DRS takes and answers, in plain Python: one item per job of an action, and what a
read found. Every API version module builds these from its wire models and serializes the answers."""

from __future__ import annotations

from dataclasses import dataclass

from pulumi_drs.emulator import exceptions as exc
from pulumi_drs.emulator import rules
from pulumi_drs.emulator.jobs import Job


@dataclass(frozen=True)
class StartItem:
    job_id: str
    start_time: str | None = None
    """SDK StartInfo.start_time: epoch milliseconds as text; None, "" or "0" starts now."""


@dataclass(frozen=True)
class RetryItem:
    job_id: str
    is_sync_re_edit: bool = False


@dataclass(frozen=True)
class DeleteItem:
    job_id: str
    delete_type: str
    """`terminate`, `force_terminate` or `delete`."""


@dataclass(frozen=True)
class ActionItem:
    """SDK v5 ActionReq: one named action (`start`, `restart`, `stop`, `reset`, `terminate`) on one job."""

    job_id: str
    action_name: str
    start_time: str | None = None
    """`start`: as StartItem.start_time."""
    is_sync_re_edit: bool = False
    """`restart`: as RetryItem.is_sync_re_edit."""
    force: bool = False
    """`terminate`: end the job even while an operation is under way (SDK ActionParams.force_delete)."""


@dataclass(frozen=True)
class StopItem:
    """SDK v5 StopJobActionInfo: end (not pause) one job, forced or not."""

    job_id: str
    force: bool = False


@dataclass(frozen=True)
class Outcome:
    """One item of a batch action: done, or refused with `error`."""

    job_id: str
    error: exc.EmulatorError | None = None
    name: str | None = None
    """The job's name, when DRS knows the job."""
    query_id: str | None = None
    """An action accepted asynchronously: the query its progress is read by (`error` then shows there)."""


@dataclass(frozen=True)
class Progress:
    """What an asynchronous action has come to (SDK v5 ShowTaskExecuteProgressResponse): `status` is one of
    `rules.ACTION_STATES`, `progress` a percentage as text, `error` why it failed."""

    status: str
    progress: str
    error: exc.EmulatorError | None = None

    @property
    def done(self) -> bool:
        return self.status != rules.ACTION_PENDING


@dataclass(frozen=True)
class Found:
    """One item of a batch query: a snapshot of the job, or None when DRS does not know it."""

    job_id: str
    job: Job | None
    at: float = 0.0
    """When the backend looked (epoch seconds): the time of a measurement such as the RPO."""

    @property
    def error(self) -> exc.EmulatorError | None:
        return None if self.job is not None else exc.JobNotFound(f"Task {self.job_id} not found.")


@dataclass(frozen=True)
class Listed:
    """One task of the task list, with all its subtasks."""

    job: Job
    children: tuple[Job, ...]


@dataclass(frozen=True)
class JobList:
    total: int
    """How many tasks match, on every page."""
    jobs: list[Listed]

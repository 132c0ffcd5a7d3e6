"""The API-version seam: what pulumi-drs needs from DRS, in terms no API version owns.

Planning and converging speak only these types and the `DrsApi` protocol; each version (`api/v3`,
`api/v5`) maps them onto its own operations, paths and wire models, and owns what a lost answer means
for its calls. One method here may be several DRS calls in a version (a detail read may also ask the
task list for subtasks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol


@dataclass(frozen=True)
class JobView:
    """One job as one read saw it: its status, or the per-item error DRS gave instead."""

    id: str
    status: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    actions: tuple[str, ...] | None = None
    """What DRS allows for the job now (v5 `job_action.available_actions`); None: this API does not say."""
    current_action: str | None = None
    """The operation DRS is running on the job now (v5 `job_action.current_action`), when it says."""


@dataclass(frozen=True)
class JobDetail:
    """What a preflight needs beyond the status (None: DRS did not say)."""

    id: str
    status: str | None = None
    task_type: str | None = None
    subtasks: tuple[str, ...] = ()
    """All subtasks of a parent task (empty for any other job)."""
    multi_write: bool | None = None
    job_direction: str | None = None
    db_use_type: str | None = None
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class Lag:
    """A DR job's replication lag, seconds (None: DRS did not say or could not measure it)."""

    id: str
    rpo_seconds: float | None = None
    rto_seconds: float | None = None
    error_code: str | None = None
    error_message: str | None = None


class Act(str, Enum):
    """A request that changes a job; each version knows its call for it."""

    START = "start"
    RESUME = "resume"
    RETRY = "retry"
    RETRY_RE_EDIT = "retry_re_edit"
    TERMINATE = "terminate"


@dataclass(frozen=True)
class Outcome:
    """Whether DRS accepted a request for one job; `note` says more, such as how pulumi-drs knows when not
    from the answer. `inferred`: the answer was lost and the job's status after it is the only witness."""

    id: str
    accepted: bool
    error_code: str | None = None
    error_message: str | None = None
    note: str | None = None
    inferred: bool = False


class DrsApi(Protocol):
    """What pulumi-drs asks of DRS. Every method takes any number of jobs and batches as the version allows;
    every answer has one entry per distinct job asked about."""

    version: str

    def read_statuses(self, job_ids: Sequence[str]) -> dict[str, JobView]: ...

    def read_details(self, job_ids: Sequence[str]) -> dict[str, JobDetail]: ...

    def read_lags(self, job_ids: Sequence[str]) -> dict[str, Lag]: ...

    def act(self, act: Act, job_ids: Sequence[str], start_time: str | None = None) -> dict[str, Outcome]:
        """Ask DRS to start, resume, retry or terminate the jobs; a lost answer never causes a second start."""
        ...

    def close(self) -> None: ...


def unique(job_ids: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(job_ids))


def chunks(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[start:start + size]) for start in range(0, len(items), size)]


def missing_from(found: Mapping[str, object], job_ids: Sequence[str]) -> list[str]:
    """The jobs of `job_ids` missing from `found`, in order."""
    return [j for j in unique(job_ids) if j not in found]

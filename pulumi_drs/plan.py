"""Deciding, without I/O, what each job of a batch needs and whether it got there.

Pure functions over statuses and details, tested as tables: what `pulumi up` asks DRS for a job
(`plan_job`), whether a job reached what the batch waits for (`reached`), what a preview reports as
drift (`is_drift`) and what DRS would refuse before a start (`start_blockers`, `forward_blockers`).
What each status means comes from `semantics`; the rules here only combine it with the batch.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from pulumi_drs.semantics import (
    FULL_DONE,
    FULL_ONLY_TASK_TYPE,
    INCREMENTAL,
    NOT_FOUND,
    RELEASED,
    Kind,
    Meaning,
    Repair,
    StatusFact,
    means,
    status_fact,
)

DR_MAX_LAG_SECONDS = 60.0
"""A dual-active DR backward task starts only when its forward task's RPO and RTO are under this (API
reference starting_tasks_in_batches.rst)."""


class Target(str, Enum):
    """What a wait waits for."""

    ACCEPTED = "accepted"
    RUNNING = "running"
    INCREMENTAL = "incremental"
    RELEASED = "released"


@dataclass(frozen=True)
class Goal:
    """What the batch wants of every job."""

    target: Target
    has_start_time: bool = False


class Step(str, Enum):
    NONE = "none"
    """Started, or DRS is bringing it there: only watch it."""
    START = "start"
    RESUME = "resume"
    RETRY = "retry"
    RETRY_RE_EDIT = "retry_re_edit"
    WAIT = "wait"
    """DRS is busy with it (or its status is unknown): watch it and plan again."""
    FAIL = "fail"
    """Only a person can bring it back."""


ACTING_STEPS = frozenset({Step.START, Step.RESUME, Step.RETRY, Step.RETRY_RE_EDIT})
_ACT_OR_FAIL = ACTING_STEPS | {Step.FAIL}
_STEP_BY_REPAIR = {
    Repair.NONE: Step.NONE, Repair.START: Step.START, Repair.RESUME: Step.RESUME, Repair.RETRY: Step.RETRY,
    Repair.RETRY_RE_EDIT: Step.RETRY_RE_EDIT, Repair.WAIT: Step.WAIT, Repair.CANNOT: Step.FAIL,
}


@dataclass(frozen=True)
class JobPlan:
    job_id: str
    status: str
    step: Step
    reason: str = ""


def recorded_status(status: str | None, error_code: str | None) -> str | None:
    """What a read says of a job: its status, NOT_FOUND for a documented not-found code, None when
    DRS gave neither (a transient per-item error: ask again, never record it)."""
    if status:
        return status
    if means(error_code, Meaning.NOT_FOUND):
        return NOT_FOUND
    return None


CAPABILITY = {Step.START: "START", Step.RESUME: "RETRY", Step.RETRY: "RETRY", Step.RETRY_RE_EDIT: "RETRY"}
"""What DRS v5 calls each step in `job_action.available_actions` (SDK JobActions; RETRY is `restart`)."""


def plan_job(job_id: str, status: str, allowed: Collection[str] | None = None) -> JobPlan:
    """What `up` does for the job. `allowed`: what DRS says it allows now (API v5), which then decides
    between the table's step and any other that fits; None: the table alone (API v3)."""
    fact = status_fact(status)
    step = _STEP_BY_REPAIR[fact.repair]
    if allowed is None or step not in _ACT_OR_FAIL or status == NOT_FOUND:
        return JobPlan(job_id, status, step, fact.advice if step is Step.FAIL else "")
    return _as_allowed(job_id, status, fact, step, allowed)


def _as_allowed(job_id: str, status: str, fact: StatusFact, step: Step, allowed: Collection[str]) -> JobPlan:
    """GUESS (no source maps v5's actions onto statuses; docs/drs-semantics.md): START fits a job waiting to
    be started or whose start failed, RETRY (v5 `restart`) a paused or failed one."""
    kind = fact.kind
    if step in ACTING_STEPS and CAPABILITY[step] in allowed:
        return JobPlan(job_id, status, step)
    if "START" in allowed and kind in (Kind.CONFIGURED, Kind.FAILED):
        return JobPlan(job_id, status, Step.START)
    if "RETRY" in allowed and kind in (Kind.PAUSED, Kind.TRANSFER_FAILED, Kind.FAILED):
        return JobPlan(job_id, status, step if step in ACTING_STEPS else Step.RETRY)
    needed = CAPABILITY.get(step, "START or RETRY")
    quoted = ", ".join(sorted(allowed)) or "no action"
    return JobPlan(job_id, status, Step.FAIL, f"`pulumi up` needs {needed}, but DRS allows only {quoted} for this "
                   f"job now: {fact.advice or 'check it in the DRS console'}")


def is_drift(status: object) -> bool:
    """A recorded or live status that `pulumi up` must act on, or cannot repair."""
    return isinstance(status, str) and plan_job("", status).step in _ACT_OR_FAIL


def reached(goal: Goal, status: str, task_type: str | None = None, accepted: bool = False) -> bool:
    """Whether a job is where the batch wants it. `accepted`: DRS accepted a request for it in this run."""
    if goal.target is Target.RELEASED:
        return status in RELEASED
    kind = status_fact(status).kind
    if kind is Kind.SCHEDULED:
        return goal.has_start_time or goal.target is Target.ACCEPTED
    if goal.target is Target.ACCEPTED:
        return accepted or kind in (Kind.STARTING, Kind.RUNNING, Kind.MAINTENANCE)
    if goal.target is Target.INCREMENTAL:
        return status == INCREMENTAL or (status == FULL_DONE and task_type == FULL_ONLY_TASK_TYPE)
    return kind in (Kind.RUNNING, Kind.MAINTENANCE)


def needs_task_type(goal: Goal, status: str) -> bool:
    """A full-load-only job ends in FULL_TRANSFER_COMPLETE: to know it is done, read its task type."""
    return goal.target is Target.INCREMENTAL and status == FULL_DONE


def start_blockers(subtasks: Mapping[str, Sequence[str]]) -> list[str]:
    """Parent tasks among jobs to start: DRS starts only subtasks (DRS.M00307)."""
    return [f"job {job_id} is a parent task; DRS starts only its subtasks: list them in job_ids instead of it: "
            + ", ".join(children) for job_id, children in subtasks.items() if children]


@dataclass(frozen=True)
class ForwardState:
    """A DR forward job as a backward batch sees it: status and lag (seconds; None: unknown)."""

    job_id: str
    status: str | None
    rpo_seconds: float | None
    rto_seconds: float | None


def forward_blockers(forward: Sequence[ForwardState]) -> list[str]:
    """What keeps a dual-active DR backward task from starting: each forward job must be
    INCRE_TRANSFER_STARTED with RPO and RTO under 60 s."""
    problems = []
    for f in forward:
        if f.status != INCREMENTAL:
            problems.append(f"forward job {f.job_id} is {f.status or 'unreadable'}, not {INCREMENTAL}")
            continue
        for name, value in (("RPO", f.rpo_seconds), ("RTO", f.rto_seconds)):
            if value is None or value >= DR_MAX_LAG_SECONDS:
                shown = "unknown" if value is None else f"{value:g} s"
                problems.append(f"forward job {f.job_id} has {name} {shown}, not under {DR_MAX_LAG_SECONDS:g} s")
    return problems

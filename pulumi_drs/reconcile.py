"""Bringing a set of DRS jobs to "started", and watching them get there.

`plan` decides per job, from its live status, what (if anything) DRS must be asked; `converge` sends
those requests in batches and `wait_for` polls batch-status with a capped backoff until every job
reaches the target of the wait mode, failing fast on the first failure status. The provider's create
and update both call `converge`, so a rerun after a failure only asks for what is still missing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from pulumi_drs import wire
from pulumi_drs.client import DrsClient
from pulumi_drs.statuses import NOT_FOUND, RELEASED_STATUSES, StatusClass, classify

log = logging.getLogger("pulumi_drs.reconcile")

NOT_FOUND_CODES = frozenset({"DRS.M05003", "DRS.M05004", "DRS.M00289"})
FIRST_POLL_SECONDS = 0.5
ACCEPT_GRACE_SECONDS = 30.0
BUSY_CODE = "DRS.M01504"
BUSY_TRIES = 4
POLL_GROWTH = 1.5


class Action(str, Enum):
    NONE = "none"
    """Already started (running or scheduled), or DRS is busy with it: only watch it."""
    START = "start"
    RESUME_OR_RETRY = "retry"
    """Paused, or a `*_TRANSFER_FAILED` job: batch-retry-task."""
    IMPOSSIBLE = "impossible"


@dataclass(frozen=True)
class JobPlan:
    job_id: str
    status: str
    action: Action
    reason: str = ""


def live_status(item: wire.JobStatusResult | None) -> str:
    """A job's status as recorded: its DRS status, or NOT_FOUND when DRS no longer knows it."""
    if item is None or (item.error_code in NOT_FOUND_CODES) or (item.status is None and item.error_code):
        return NOT_FOUND
    return item.status or "UNKNOWN"


def read_statuses(client: DrsClient, job_ids: Sequence[str]) -> dict[str, str]:
    answered = client.job_statuses(list(job_ids))
    return {job_id: live_status(answered.get(job_id)) for job_id in job_ids}


_STARTABLE = frozenset({"CONFIGURATION", "START_JOB_FAILED"})
_RETRYABLE = frozenset({StatusClass.PAUSED, StatusClass.RETRYABLE_FAILURE})


def plan_job(job_id: str, status: str) -> JobPlan:
    kind = classify(status)
    if status in _STARTABLE:
        return JobPlan(job_id, status, Action.START)
    if kind in _RETRYABLE or status == "CHILD_TRANSFER_FAILED":
        return JobPlan(job_id, status, Action.RESUME_OR_RETRY)
    if kind is StatusClass.GONE:
        return JobPlan(job_id, status, Action.IMPOSSIBLE, _gone_reason(status))
    if kind is StatusClass.FAILED:
        return JobPlan(job_id, status, Action.IMPOSSIBLE,
                       "the job failed in a way a start cannot repair; fix it in the DRS console, "
                       "then run `pulumi up` again")
    return JobPlan(job_id, status, Action.NONE)


def _gone_reason(status: str) -> str:
    if status == NOT_FOUND:
        return "DRS does not know this job (deleted, or another project/region): remove it from job_ids"
    return (f"the job is {status} (stopped, released or deleted) and cannot be started again: "
            "remove it from job_ids, or create a new DRS job and list that one")


def plan(statuses: Mapping[str, str]) -> list[JobPlan]:
    return [plan_job(job_id, status) for job_id, status in statuses.items()]


@dataclass
class ConvergeOutcome:
    results: dict[str, wire.StartJobResult] = field(default_factory=dict)
    """Per job, what DRS answered to a start, resume or retry request sent now."""
    failures: dict[str, str] = field(default_factory=dict)
    """Per job, why it is not started and will not be."""


def converge(client: DrsClient, plans: Iterable[JobPlan], start_time: str | None,
             poller: Poller) -> ConvergeOutcome:
    """Send the start and retry requests the plans call for; collect per-job refusals."""
    outcome = ConvergeOutcome()
    plans = list(plans)
    for p in plans:
        if p.action is Action.IMPOSSIBLE:
            outcome.failures[p.job_id] = f"{p.status}: {p.reason}"
    to_start = [wire.StartInfo(job_id=p.job_id, start_time=start_time) for p in plans if p.action is Action.START]
    for result in _start_while_busy(client, to_start, poller):
        _record(outcome, result)
    to_retry = [p.job_id for p in plans if p.action is Action.RESUME_OR_RETRY]
    if to_retry:
        for action in client.retry_jobs(to_retry):
            _record(outcome, wire.StartJobResult.model_validate(action.model_dump()))
    return outcome


def _start_while_busy(client: DrsClient, jobs: list[wire.StartInfo], poller: Poller) -> list[wire.StartJobResult]:
    """batch-starting; a job refused with DRS.M01504 ("another operation is in progress, try again
    later") was not started, so it is asked again, a few times, after a growing pause."""
    results: dict[str, wire.StartJobResult] = {}
    pending = jobs
    for attempt in range(BUSY_TRIES if jobs else 0):
        if attempt:
            poller.sleep(min(FIRST_POLL_SECONDS * 2**attempt, poller.cap_seconds))
        results.update((r.id, r) for r in client.start_jobs(pending))
        pending = [info for info in pending if results[info.job_id].error_code == BUSY_CODE]
        if not pending:
            break
    return [results[info.job_id] for info in jobs]


def _record(outcome: ConvergeOutcome, result: wire.StartJobResult) -> None:
    outcome.results[result.id] = result
    if result.status != "success":
        outcome.failures[result.id] = (f"DRS refused ({result.error_code or 'no error code'}): "
                                       f"{result.error_msg or 'no message'}")


class WaitTarget(str, Enum):
    ACCEPTED = "accepted"
    RUNNING = "running"
    INCREMENTAL = "incremental"
    RELEASED = "released"


def reached(target: WaitTarget, status: str) -> bool:
    kind = classify(status)
    if target is WaitTarget.ACCEPTED:
        return True
    if target is WaitTarget.RUNNING:
        return kind in (StatusClass.RUNNING, StatusClass.SCHEDULED)
    if target is WaitTarget.INCREMENTAL:
        return status == "INCRE_TRANSFER_STARTED" or kind is StatusClass.SCHEDULED
    return status in RELEASED_STATUSES or status in (NOT_FOUND, "DELETED")


def failed(target: WaitTarget, status: str) -> bool:
    kind = classify(status)
    if target is WaitTarget.RELEASED:
        return status == "RELEASE_RESOURCE_FAILED"
    return kind in (StatusClass.FAILED, StatusClass.RETRYABLE_FAILURE, StatusClass.GONE)


class WaitFailed(Exception):
    """Some jobs reached a failure status, or the timeout passed first."""

    def __init__(self, message: str, statuses: Mapping[str, str]) -> None:
        super().__init__(message)
        self.statuses = dict(statuses)


@dataclass
class Poller:
    """Capped exponential polling; the clock and sleep are injectable for tests."""

    cap_seconds: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


def wait_for(
    client: DrsClient,
    statuses: Mapping[str, str],
    target: WaitTarget,
    timeout_seconds: float,
    poller: Poller,
    acted_from: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Poll until every job reached `target`; returns the final statuses or raises WaitFailed.

    `acted_from` maps the jobs just started or retried to the status they had before: DRS may show
    that (failed) status for a moment after accepting the request, so it counts as a failure only
    after `ACCEPT_GRACE_SECONDS`.
    """
    current = dict(statuses)
    started = poller.clock()
    deadline = started + timeout_seconds
    interval = FIRST_POLL_SECONDS
    before = dict(acted_from or {})
    while True:
        if before and poller.clock() - started >= ACCEPT_GRACE_SECONDS:
            before = {}
        pending = [j for j, s in current.items() if not reached(target, s)]
        broken = {j: s for j, s in current.items()
                  if j in pending and failed(target, s) and before.get(j) != s}
        if broken:
            raise WaitFailed(_failure_message(broken, client, target), current)
        if not pending:
            return current
        if poller.clock() + interval > deadline:
            raise WaitFailed(_timeout_message(pending, current, target, timeout_seconds), current)
        poller.sleep(interval)
        interval = min(interval * POLL_GROWTH, poller.cap_seconds)
        current.update(read_statuses(client, pending))


def _failure_message(broken: Mapping[str, str], client: DrsClient, target: WaitTarget) -> str:
    details = client.job_statuses(list(broken))
    lines = []
    for job_id, status in broken.items():
        item = details.get(job_id)
        why = f" ({item.error_code}: {item.error_message})" if item and item.error_code else ""
        lines.append(f"  - job {job_id}: {status}{why}")
    hint = ("fix the cause in DRS, then run `pulumi up` again: jobs already started are not started twice"
            if target is not WaitTarget.RELEASED else "check the jobs in the DRS console")
    return f"{len(broken)} job(s) failed while waiting for {target.value}:\n" + "\n".join(lines) + f"\n{hint}"


def _timeout_message(pending: Sequence[str], current: Mapping[str, str], target: WaitTarget,
                     timeout_seconds: float) -> str:
    shown = "\n".join(f"  - job {j}: {current[j]}" for j in pending[:20])
    more = f"\n  ... and {len(pending) - 20} more" if len(pending) > 20 else ""
    return (f"timed out after {timeout_seconds:.0f} s waiting for {len(pending)} job(s) to be {target.value}:\n"
            f"{shown}{more}\nraise `timeout`, or run `pulumi up` again later: nothing is started twice")

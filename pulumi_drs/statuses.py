"""DRS job statuses and what each one means for "this job has been started".

DRS publishes no state machine; the classes below come from the status appendix and the Terraform
provider's wait tables (../shared/reference/drs-api.md section 4). Statuses are plain strings: a value
not listed here is kept as it came and classed as `UNKNOWN`, never rejected.
"""

from __future__ import annotations

from enum import Enum

NOT_FOUND = "NOT_FOUND"
"""Recorded by pulumi-drs (never sent by DRS) for a job that DRS no longer knows."""


class StatusClass(str, Enum):
    PRE_START = "pre_start"
    """Configured, never started: a start call starts it."""
    STARTING = "starting"
    """DRS is starting it; wait."""
    SCHEDULED = "scheduled"
    """Waiting for its `start_time`: counts as started."""
    RUNNING = "running"
    """Replicating, or finished its full phase: counts as started."""
    PAUSED = "paused"
    """Paused by someone: batch-retry-task resumes it."""
    RETRYABLE_FAILURE = "retryable_failure"
    """A `*_TRANSFER_FAILED` job: batch-retry-task retries it."""
    FAILED = "failed"
    """Start or an operation failed; a start call may work again after the cause is fixed."""
    GONE = "gone"
    """Stopped, released or deleted: it cannot be started again."""
    TRANSITIONAL = "transitional"
    """Being created, changed or stopped: wait for it to settle."""
    UNKNOWN = "unknown"


_CLASSES: dict[str, StatusClass] = {
    "CONFIGURATION": StatusClass.PRE_START,
    "STARTJOBING": StatusClass.STARTING,
    "WAITING_FOR_START": StatusClass.SCHEDULED,
    "FULL_TRANSFER_STARTED": StatusClass.RUNNING,
    "FULL_TRANSFER_COMPLETE": StatusClass.RUNNING,
    "INCRE_TRANSFER_STARTED": StatusClass.RUNNING,
    "CHILD_TRANSFER_STARTED": StatusClass.RUNNING,
    "CHILD_TRANSFER_COMPLETE": StatusClass.RUNNING,
    "PAUSING": StatusClass.PAUSED,
    "PAUSEING": StatusClass.PAUSED,
    "FULL_TRANSFER_FAILED": StatusClass.RETRYABLE_FAILURE,
    "INCRE_TRANSFER_FAILED": StatusClass.RETRYABLE_FAILURE,
    "START_JOB_FAILED": StatusClass.FAILED,
    "CHILD_TRANSFER_FAILED": StatusClass.FAILED,
    "CHANGE_JOB_FAILED": StatusClass.FAILED,
    "CREATE_FAILED": StatusClass.GONE,
    "RELEASE_RESOURCE_STARTED": StatusClass.GONE,
    "RELEASE_RESOURCE_FAILED": StatusClass.GONE,
    "RELEASE_RESOURCE_COMPLETE": StatusClass.GONE,
    "RELEASE_CHILD_TRANSFER_STARTED": StatusClass.GONE,
    "RELEASE_CHILD_TRANSFER_COMPLETE": StatusClass.GONE,
    "DELETED": StatusClass.GONE,
    NOT_FOUND: StatusClass.GONE,
    "CREATING": StatusClass.TRANSITIONAL,
    "CHANGE_JOB_STARTED": StatusClass.TRANSITIONAL,
    "CHILD_TRANSFER_STARTING": StatusClass.TRANSITIONAL,
}

RELEASED_STATUSES = frozenset({"RELEASE_RESOURCE_COMPLETE", "RELEASE_CHILD_TRANSFER_COMPLETE"})
"""What a terminate ends in."""


def classify(status: str | None) -> StatusClass:
    if status is None:
        return StatusClass.UNKNOWN
    return _CLASSES.get(status, StatusClass.UNKNOWN)


def has_left_pre_start(status: str | None) -> bool:
    """True unless the job is still configured and never started.

    After a batch-starting answer was lost, only jobs for which this is False are sent again: any
    other status (an unknown one included) may mean DRS accepted the first request.
    """
    return classify(status) is not StatusClass.PRE_START

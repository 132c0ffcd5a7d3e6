"""An emulated DRS job: its state, the guards of each operation, its status progression and wire forms.

Status progression is computed when the job is observed, never by a background thread (moto's
ManagedState): an operation sets a status and queues the statuses that follow (`track`); each step
is taken `transition_seconds` after the previous one, or, when that setting is 0, at each status read.
A scheduled start holds WAITING_FOR_START until its `start_time`, whatever the setting.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from pulumi_drs import wire
from pulumi_drs.emulator import exceptions as exc

CONFIGURATION = "CONFIGURATION"
STARTJOBING = "STARTJOBING"
WAITING_FOR_START = "WAITING_FOR_START"
START_JOB_FAILED = "START_JOB_FAILED"
FULL_TRANSFER_STARTED = "FULL_TRANSFER_STARTED"
INCRE_TRANSFER_STARTED = "INCRE_TRANSFER_STARTED"
RELEASE_RESOURCE_STARTED = "RELEASE_RESOURCE_STARTED"
RELEASE_RESOURCE_COMPLETE = "RELEASE_RESOURCE_COMPLETE"
DELETED = "DELETED"
PURGED = ""
"""Not a status: reaching it removes the job, so it becomes unknown (DRS.M05003)."""

STARTABLE = frozenset({CONFIGURATION, WAITING_FOR_START, START_JOB_FAILED})
RELEASED = frozenset(
    {
        DELETED,
        RELEASE_RESOURCE_STARTED,
        RELEASE_RESOURCE_COMPLETE,
        "RELEASE_CHILD_TRANSFER_STARTED",
        "RELEASE_CHILD_TRANSFER_COMPLETE",
    }
)
DELETABLE = frozenset({"CREATE_FAILED", RELEASE_RESOURCE_COMPLETE, "RELEASE_CHILD_TRANSFER_COMPLETE"})
PAUSED = frozenset({"PAUSING", "PAUSEING"})
RETRY_TRACKS = {
    "FULL_TRANSFER_FAILED": [FULL_TRANSFER_STARTED, INCRE_TRANSFER_STARTED],
    "INCRE_TRANSFER_FAILED": [INCRE_TRANSFER_STARTED],
}
BUSY = frozenset({STARTJOBING, "CREATING", "CHANGE_JOB_STARTED", RELEASE_RESOURCE_STARTED})
"""A plain terminate of a job in one of these answers DRS.M01504 (another operation is running)."""
START_TRACK = [FULL_TRANSFER_STARTED, INCRE_TRANSFER_STARTED]
DR_LIMIT_SECONDS = 60
_PROGRESS = {FULL_TRANSFER_STARTED: "50", "FULL_TRANSFER_COMPLETE": "100", INCRE_TRANSFER_STARTED: "100"}


class JobSpec(BaseModel):
    """A job to create through the admin API; `forward_job_id` makes it a DR backward task."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    name: str | None = None
    status: str = CONFIGURATION
    parent_id: str | None = None
    job_direction: str = "up"
    db_use_type: str = "migration"
    forward_job_id: str | None = None
    rpo: int = 0
    rto: int = 0
    fail_start: bool = False


class JobPatch(BaseModel):
    """Admin changes to a job (drift); setting `status` cancels any progression under way."""

    model_config = ConfigDict(extra="forbid")

    status: str | None = None
    name: str | None = None
    rpo: int | None = None
    rto: int | None = None
    fail_start: bool | None = None
    error_code: str | None = None
    error_message: str | None = None


def new_job_id() -> str:
    """DRS's id form: 8-4-4-4-12 lowercase alphanumerics, the last group ending in `jb101`."""
    alphabet = string.digits + "abcdef"
    groups = ["".join(secrets.choice(alphabet) for _ in range(n)) for n in (8, 4, 4, 4, 7)]
    return "-".join(groups) + "jb101"


def ms(epoch_seconds: float) -> str:
    return str(int(epoch_seconds * 1000))


@dataclass
class Job:
    id: str
    name: str
    status: str
    create_time: float
    parent_id: str | None = None
    job_direction: str = "up"
    db_use_type: str = "migration"
    master_job_id: str | None = None
    rpo: int = 0
    rto: int = 0
    fail_start: bool = False
    update_time: float = 0.0
    actual_start_time: float | None = None
    error_code: str | None = None
    error_message: str | None = None
    start_count: int = 0
    retry_count: int = 0
    terminate_count: int = 0
    track: list[str] = field(default_factory=list)
    since: float = 0.0
    hold_until: float | None = None

    @classmethod
    def from_spec(cls, spec: JobSpec, now: float, number: int) -> Job:
        is_backward = spec.forward_job_id is not None
        fields = spec.model_fields_set
        return cls(
            id=spec.id or new_job_id(),
            name=spec.name or f"emulated-job-{number}",
            status=spec.status,
            create_time=now,
            update_time=now,
            since=now,
            parent_id=spec.parent_id,
            job_direction=spec.job_direction if "job_direction" in fields or not is_backward else "down",
            db_use_type=spec.db_use_type if "db_use_type" in fields or not is_backward else "cloudDataGuard",
            master_job_id=spec.forward_job_id,
            rpo=spec.rpo,
            rto=spec.rto,
            fail_start=spec.fail_start,
        )

    # --- progression ------------------------------------------------------------------------

    def advance(self, now: float, step_seconds: float, *, is_read: bool) -> bool:
        """Take the steps that are due; True when the status changed."""
        changed = False
        while self.track:
            if self.hold_until is not None:
                due = self.hold_until
            elif step_seconds > 0:
                due = self.since + step_seconds
            elif is_read:
                due = now
            else:
                break
            if now < due:
                break
            self._enter(self.track.pop(0), due)
            changed = True
            if step_seconds <= 0:
                break
        return changed

    @property
    def purged(self) -> bool:
        return self.status == PURGED

    def _enter(self, status: str, at: float) -> None:
        self.status, self.since, self.hold_until, self.update_time = status, at, None, at
        if status == START_JOB_FAILED:
            failure = exc.StartJobFailed()
            self.error_code, self.error_message = failure.code, failure.error_msg
        elif status in (FULL_TRANSFER_STARTED, INCRE_TRANSFER_STARTED) and self.actual_start_time is None:
            self.actual_start_time = at

    def _go(self, status: str, track: list[str], now: float, hold_until: float | None = None) -> None:
        self.status, self.track, self.since, self.hold_until = status, track, now, hold_until
        self.update_time = now
        self.error_code = self.error_message = None

    # --- guards and operations --------------------------------------------------------------

    @property
    def is_dr_backward(self) -> bool:
        return self.job_direction == "down" and self.db_use_type == "cloudDataGuard"

    def check_not_released(self) -> None:
        if self.status in RELEASED:
            raise exc.JobDeleted(
                f"Task {self.id} has been deleted or its resources released ({self.status})."
            )

    def check_startable(self) -> None:
        self.check_not_released()
        if self.status not in STARTABLE:
            raise exc.InvalidJobStatus(f"Task {self.id} cannot be started in status {self.status}.")

    def check_can_be_forward_of(self, backward_id: str) -> None:
        if self.status != INCRE_TRANSFER_STARTED:
            raise exc.InvalidJobStatus(
                f"DR backward task {backward_id} needs forward task {self.id} in INCRE_TRANSFER_STARTED;"
                f" it is {self.status}."
            )
        if self.rpo >= DR_LIMIT_SECONDS or self.rto >= DR_LIMIT_SECONDS:
            raise exc.InvalidJobStatus(
                f"DR backward task {backward_id} needs RPO and RTO of forward task {self.id} under"
                f" {DR_LIMIT_SECONDS}s; they are {self.rpo}s and {self.rto}s."
            )

    def start(self, now: float, start_at: float | None) -> None:
        self.start_count += 1
        after_start = [START_JOB_FAILED] if self.fail_start else list(START_TRACK)
        if start_at is None:
            self._go(STARTJOBING, after_start, now)
        else:
            self._go(WAITING_FOR_START, [STARTJOBING, *after_start], now, hold_until=start_at)

    def restore(self, now: float) -> None:
        """batch-retry-task: resume a paused job, retry a failed transfer."""
        self.check_not_released()
        if self.status in PAUSED:
            self.retry_count += 1
            self._go(self.status, [INCRE_TRANSFER_STARTED], now)
        elif self.status in RETRY_TRACKS:
            self.retry_count += 1
            self._go(STARTJOBING, list(RETRY_TRACKS[self.status]), now)
        else:
            raise exc.InvalidJobStatus(
                f"Task {self.id} cannot be resumed or retried in status {self.status}."
            )

    def terminate(self, now: float, *, force: bool) -> None:
        if self.status == DELETED:
            raise exc.JobDeleted(f"Task {self.id} has been deleted.")
        if self.status in DELETABLE:
            raise exc.InvalidJobStatus(f"Task {self.id} is already stopped ({self.status}).")
        if self.status in BUSY and not force:
            raise exc.OperationInProgress(f"Task {self.id} is {self.status}; try again later.")
        self.terminate_count += 1
        self._go(RELEASE_RESOURCE_STARTED, [RELEASE_RESOURCE_COMPLETE], now)

    def delete(self, now: float) -> None:
        if self.status == DELETED:
            raise exc.JobDeleted(f"Task {self.id} has been deleted.")
        if self.status not in DELETABLE:
            raise exc.InvalidJobStatus(
                f"Task {self.id} must be stopped before it is deleted ({self.status})."
            )
        self._go(DELETED, [PURGED], now)

    def patch(self, change: JobPatch, now: float) -> None:
        for name in ("name", "rpo", "rto", "fail_start"):
            value = getattr(change, name)
            if value is not None:
                setattr(self, name, value)
        if change.status is not None:
            self._go(change.status, [], now)
        if change.error_code is not None or change.error_message is not None:
            self.error_code, self.error_message = change.error_code, change.error_message

    # --- wire forms -------------------------------------------------------------------------

    def to_status(self) -> wire.JobStatusResult:
        return wire.JobStatusResult(
            id=self.id, status=self.status, error_code=self.error_code, error_message=self.error_message
        )

    def to_detail(self) -> wire.JobDetail:
        extra: dict[str, Any] = {
            "description": "",
            "create_time": ms(self.create_time),
            "update_time": ms(self.update_time),
            "task_type": "FULL_INCR_TRANS",
            "net_type": "eip",
        }
        if self.actual_start_time is not None:
            extra["actual_start_time"] = ms(self.actual_start_time)
        return wire.JobDetail(
            id=self.id,
            name=self.name,
            status=self.status,
            parent_id=self.parent_id,
            job_direction=self.job_direction,
            db_use_type=self.db_use_type,
            master_job_id=self.master_job_id,
            error_code=self.error_code,
            error_message=self.error_message,
            **extra,
        )

    def to_progress(self) -> wire.JobProgress:
        return wire.JobProgress(
            job_id=self.id,
            progress=_PROGRESS.get(self.status, "0"),
            incre_trans_delay=str(self.rpo),
            transfer_status=self.status,
            error_code=self.error_code,
            error_msg=self.error_message,
            task_mode="FULL_INCR_TRANS",
            incre_trans_delay_millis=str(self.rpo * 1000),
        )

    def to_admin(self) -> dict[str, Any]:
        view = self.to_record()
        view["forward_job_id"] = self.master_job_id
        return view

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Job:
        return cls(**record)

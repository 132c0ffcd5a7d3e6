"""One emulated DRS job: its state, the guards of each operation, and its status progression.

Progression is computed when the job is observed, never by a background thread (moto's ManagedState):
an operation sets a status and queues the statuses that follow (`track`). A queued step is taken
`transition_seconds` after the previous one; when that setting is 0, at every `reads_per_step`-th status
read of the job. A status in `hold_statuses` never moves on its own, and `step_now` takes a step whatever
the policy says. A scheduled start holds WAITING_FOR_START until its `start_time`, whatever the setting.
An action accepted asynchronously (v5's 202) first leaves the job in its old status with the action under way
(`acting`, `rules.ACTING`) until the next step. No HTTP and no wire format here: the API version modules
serialize jobs.
"""

from __future__ import annotations

import dataclasses
import secrets
import string
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from pulumi_drs.emulator import exceptions as exc
from pulumi_drs.emulator import rules as r
from pulumi_drs.emulator.config import RuntimeSettings


class JobSpec(BaseModel):
    """A job to create through the admin API; `forward_job_id` makes it a DR backward task."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    name: str | None = None
    status: str = r.CONFIGURATION
    parent_id: str | None = None
    """Makes the job a subtask of that job, which becomes a parent task."""
    job_direction: str | None = None
    """Default `up`; `down` for a DR backward task."""
    db_use_type: str | None = None
    """Default `migration`; `cloudDataGuard` for a DR backward task."""
    task_type: str = r.FULL_INCR_TRANS
    multi_write: bool | None = None
    """Default: true for a DR backward task only."""
    forward_job_id: str | None = None
    """The DR forward task this backward task waits for (emulator-only: DRS documents no such field)."""
    rpo: int = 0
    """Seconds."""
    rto: int = 0
    """Seconds."""
    fail_start: bool = False
    """A start leads to START_JOB_FAILED instead of a transfer."""


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


@dataclass(frozen=True)
class StepPolicy:
    """When queued steps are taken: the progression part of the run-time settings."""

    transition_seconds: float = 0.0
    reads_per_step: int = 1
    hold_statuses: frozenset[str] = frozenset()

    @classmethod
    def of(cls, settings: RuntimeSettings) -> StepPolicy:
        return cls(settings.transition_seconds, settings.reads_per_step, frozenset(settings.hold_statuses))

    @property
    def per_read(self) -> bool:
        return self.transition_seconds <= 0


def new_job_id() -> str:
    """DRS's id form: 8-4-4-4-12 lowercase alphanumerics, the last group ending in `jb101`."""
    alphabet = string.digits + "abcdef"
    groups = ["".join(secrets.choice(alphabet) for _ in range(n)) for n in (8, 4, 4, 4, 7)]
    return "-".join(groups) + "jb101"


@dataclass
class Job:
    id: str
    name: str
    status: str
    create_time: float
    parent_id: str | None = None
    job_direction: str = "up"
    db_use_type: str = "migration"
    task_type: str = r.FULL_INCR_TRANS
    multi_write: bool = False
    forward_job_id: str | None = None
    rpo: int = 0
    rto: int = 0
    fail_start: bool = False
    update_time: float = 0.0
    actual_start_time: float | None = None
    full_transfer_complete_time: float | None = None
    scheduled_start: float | None = None
    error_code: str | None = None
    error_message: str | None = None
    start_count: int = 0
    retry_count: int = 0
    terminate_count: int = 0
    track: list[str] = field(default_factory=list)
    since: float = 0.0
    hold_until: float | None = None
    reads: int = 0
    """Status reads since the last step (the reads_per_step policy)."""
    acting: str | None = None
    """An action accepted asynchronously that the job still shows under way (START, RETRY), until its next step."""

    @classmethod
    def from_spec(cls, spec: JobSpec, now: float, number: int) -> Job:
        backward = spec.forward_job_id is not None
        return cls(
            id=spec.id or new_job_id(),
            name=spec.name or f"emulated-job-{number}",
            status=spec.status,
            create_time=now,
            update_time=now,
            since=now,
            parent_id=spec.parent_id,
            job_direction=spec.job_direction or ("down" if backward else "up"),
            db_use_type=spec.db_use_type or ("cloudDataGuard" if backward else "migration"),
            task_type=spec.task_type,
            multi_write=backward if spec.multi_write is None else spec.multi_write,
            forward_job_id=spec.forward_job_id,
            rpo=spec.rpo,
            rto=spec.rto,
            fail_start=spec.fail_start,
        )

    # --- progression ------------------------------------------------------------------------

    def advance(self, now: float, policy: StepPolicy, *, is_read: bool) -> bool:
        """Take the steps that are due; True when the status changed."""
        if is_read and self.track:
            self.reads += 1
        changed = False
        while self.track and self.status not in policy.hold_statuses:
            due = self._due(now, policy)
            if due is None or now < due:
                break
            self._enter(self.track.pop(0), due)
            changed = True
            if policy.per_read:
                break
        return changed

    def _due(self, now: float, policy: StepPolicy) -> float | None:
        if self.hold_until is not None:
            return self.hold_until
        if not policy.per_read:
            return self.since + policy.transition_seconds
        return now if self.reads >= policy.reads_per_step else None

    def step_now(self, now: float) -> bool:
        """Take the next queued step at once, whatever the policy; False when nothing is queued."""
        if not self.track:
            return False
        self._enter(self.track.pop(0), now)
        return True

    @property
    def purged(self) -> bool:
        return self.status == r.PURGED

    def _enter(self, status: str, at: float) -> None:
        self.status, self.since, self.hold_until, self.update_time, self.reads = status, at, self._hold(status), at, 0
        self.acting = None
        if status == r.START_JOB_FAILED:
            failure = exc.StartJobFailed()
            self.error_code, self.error_message = failure.code, failure.error_msg
        if status in (r.FULL_TRANSFER_STARTED, r.INCRE_TRANSFER_STARTED) and self.actual_start_time is None:
            self.actual_start_time = at
        if status in (r.FULL_TRANSFER_COMPLETE, r.INCRE_TRANSFER_STARTED) and self.task_type != r.INCR_TRANS:
            self.full_transfer_complete_time = self.full_transfer_complete_time or at

    def _go(self, track: list[str], now: float, acting: str | None = None) -> None:
        """Enter the first status of `track` now and queue the rest; `acting`: first, show that action under
        way in the status the job is in."""
        if acting is not None:
            track = [self.status, *track]
        self.status, self.track, self.since, self.hold_until = track[0], track[1:], now, self._hold(track[0])
        self.update_time, self.reads, self.acting = now, 0, acting
        self.error_code = self.error_message = None

    def _hold(self, status: str) -> float | None:
        """When the step out of `status` is due whatever the policy: a scheduled start, at its time."""
        return self.scheduled_start if status == r.WAITING_FOR_START else None

    # --- guards and operations --------------------------------------------------------------

    def check_not_released(self) -> None:
        if self.status in r.RELEASED:
            raise exc.JobDeleted(f"Task {self.id} has been deleted or its resources released ({self.status}).")

    def check_startable(self) -> None:
        self.check_not_released()
        self._check_allows(r.START, "started")

    def check_can_be_forward_of(self, backward_id: str) -> None:
        """API starting_tasks_in_batches.rst: the forward task is INCRE_TRANSFER_STARTED, RPO and RTO < 60 s."""
        if self.status != r.INCRE_TRANSFER_STARTED:
            raise exc.InvalidJobStatus(
                f"DR backward task {backward_id} needs forward task {self.id} in INCRE_TRANSFER_STARTED;"
                f" it is {self.status}."
            )
        if max(self.rpo, self.rto) * 1000 >= r.DR_BACKWARD_LIMIT_MS:
            raise exc.InvalidJobStatus(
                f"DR backward task {backward_id} needs RPO and RTO of forward task {self.id} under"
                f" {r.DR_BACKWARD_LIMIT_MS // 1000}s; they are {self.rpo}s and {self.rto}s."
            )

    def start(self, now: float, start_at: float | None, *, deferred: bool = False) -> None:
        """`deferred`: accepted asynchronously, the start is under way in CONFIGURATION until the next step."""
        self.start_count += 1
        after_start = [r.START_JOB_FAILED] if self.fail_start else r.start_track(self.task_type)
        self.scheduled_start = start_at
        track = [r.STARTJOBING, *after_start]
        if start_at is not None:
            track.insert(0, r.WAITING_FOR_START)
        self._go(track, now, acting=r.under_way(r.START, deferred))

    def restore(self, now: float, *, is_sync_re_edit: bool, deferred: bool = False) -> None:
        """batch-retry-task, v5 `restart`: resume a paused job, retry a failed transfer."""
        self.check_not_released()
        self._check_allows(r.RETRY, "resumed or retried")
        if self.status in r.RE_EDIT_FAILED and not is_sync_re_edit:
            raise exc.InvalidJobStatus(f"Task {self.id} is {self.status}: retry it with is_sync_re_edit true.")
        track = (
            [self.status, *r.resume_track(self.task_type)]
            if self.status in r.PAUSED
            else r.retry_track(self.status, self.task_type)
        )
        self.retry_count += 1
        self._go(track, now, acting=r.under_way(r.RETRY, deferred))

    def pause(self, now: float) -> None:
        """v5 `stop`: paused at once (TF waits for PAUSING right after it)."""
        self.check_not_released()
        self._check_allows(r.PAUSE, "paused")
        self._go([r.PAUSING], now)

    def reset(self, now: float) -> None:
        """v5 `reset`. GUESS: the pre-check it needs first (SDK ActionReq) counts as passed."""
        self.check_not_released()
        self._check_allows(r.RESET, "reset")
        self._go(r.reset_track(self.task_type), now)

    def terminate(self, now: float, *, force: bool) -> None:
        if self.status == r.DELETED:
            raise exc.JobDeleted(f"Task {self.id} has been deleted.")
        if r.allows(self.status, r.DELETE):  # only ended tasks can be deleted
            raise exc.InvalidJobStatus(f"Task {self.id} is already stopped ({self.status}).")
        if (self.status in r.BUSY or self.acting) and not force:
            raise exc.OperationInProgress(f"Task {self.id} is {self._doing}; try again later.")
        self.terminate_count += 1
        self._go([r.RELEASE_RESOURCE_STARTED, r.RELEASE_RESOURCE_COMPLETE], now)

    def delete(self, now: float) -> None:
        if self.status == r.DELETED:
            raise exc.JobDeleted(f"Task {self.id} has been deleted.")
        if not r.allows(self.status, r.DELETE):
            raise exc.InvalidJobStatus(f"Task {self.id} must be stopped before it is deleted ({self.status}).")
        self._go([r.DELETED, r.PURGED], now)

    def _check_allows(self, action: str, done: str) -> None:
        if self.acting:  # GUESS: as DRS.M01504 says, "another operation is being performed on the task"
            raise exc.OperationInProgress(f"Task {self.id} is {self._doing}; try again later.")
        if not r.allows(self.status, action):
            raise exc.InvalidJobStatus(f"Task {self.id} cannot be {done} in status {self.status}.")

    @property
    def _doing(self) -> str:
        return f"{self.status}, {self.acting} under way" if self.acting else self.status

    def patch(self, change: JobPatch, now: float) -> None:
        for name in ("name", "rpo", "rto", "fail_start"):
            value = getattr(change, name)
            if value is not None:
                setattr(self, name, value)
        if change.status is not None:
            self._go([change.status], now)
        if change.error_code is not None or change.error_message is not None:
            self.error_code, self.error_message = change.error_code, change.error_message

    # --- records ----------------------------------------------------------------------------

    def to_admin(self) -> dict[str, Any]:
        return self.to_record()

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Job:
        known = {f.name for f in dataclasses.fields(cls)}
        if "forward_job_id" not in record:  # state files of older emulators kept the link in master_job_id
            record = {**record, "forward_job_id": record.get("master_job_id")}
        return cls(**{name: value for name, value in record.items() if name in known})

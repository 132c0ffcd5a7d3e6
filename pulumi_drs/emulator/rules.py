"""The emulated DRS's knowledge of job statuses: which statuses allow which operation (`JOB_ACTIONS`, the
one table behind both the guards of jobs and the `job_action` every API version answers), and which
statuses an operation leads a job through. Jobs read these tables; nothing else branches on a status.

Every rule names its source: "SDK <model>" (huaweicloudsdkdrs 3.1.219), "API <rst file>" (the OTC DRS API
reference, api-ref/source/...), "TF <function>" (terraform-provider-huaweicloud, resource_huaweicloud_drs_job.go),
or "GUESS: reason" where no source says.
"""

from __future__ import annotations

CONFIGURATION = "CONFIGURATION"
STARTJOBING = "STARTJOBING"
WAITING_FOR_START = "WAITING_FOR_START"
START_JOB_FAILED = "START_JOB_FAILED"
FULL_TRANSFER_STARTED = "FULL_TRANSFER_STARTED"
FULL_TRANSFER_COMPLETE = "FULL_TRANSFER_COMPLETE"
FULL_TRANSFER_FAILED = "FULL_TRANSFER_FAILED"
INCRE_TRANSFER_STARTED = "INCRE_TRANSFER_STARTED"
INCRE_TRANSFER_FAILED = "INCRE_TRANSFER_FAILED"
CHILD_TRANSFER_FAILED = "CHILD_TRANSFER_FAILED"
CREATE_FAILED = "CREATE_FAILED"
PAUSING = "PAUSING"
RELEASE_RESOURCE_STARTED = "RELEASE_RESOURCE_STARTED"
RELEASE_RESOURCE_COMPLETE = "RELEASE_RESOURCE_COMPLETE"
RELEASE_CHILD_TRANSFER_STARTED = "RELEASE_CHILD_TRANSFER_STARTED"
RELEASE_CHILD_TRANSFER_COMPLETE = "RELEASE_CHILD_TRANSFER_COMPLETE"
DELETED = "DELETED"
PURGED = ""
"""Not a status: reaching it removes the job, so it becomes unknown (DRS.M05003)."""

FULL_TRANS, FULL_INCR_TRANS, INCR_TRANS = "FULL_TRANS", "FULL_INCR_TRANS", "INCR_TRANS"
"""SDK QueryJobResp.task_type: full only, full then incremental, incremental only."""
MAX_PER_PAGE = 100
"""SDK PageReq.per_page and QueryJobsReq.per_page: 0 to 100."""
MAX_NAMED_JOBS = 100
"""SDK QueryJobsReq.name: a task name, or up to 100 comma-separated task IDs."""
JOB_TYPES = ("migration", "sync", "cloudDataGuard", "replay")
"""SDK v5 ListJobsRequest.job_type; a job's type is its db_use_type (no emulated job is a `replay`)."""
MAX_LISTED_IDS = 10
"""SDK v5 ListJobsRequest.name: a task name or ID, or up to 10 comma-separated task IDs."""
LIST_DEFAULT_LIMIT = 10
"""v5 ListJobs `limit` when absent. GUESS: the SDK documents no default; 10, as the v3 task list's."""
MAX_LIST_LIMIT = 1000
"""v5 ListJobs `limit` above this is refused (DRS.M00211). GUESS: no maximum is documented; the run-time
setting max_per_page (default 100) may still answer fewer per page, and callers page on by offset."""
CHARGING_MODE = "on_demand"
"""SDK v5 JobBaseInfo.charging_mode: `on_demand` unless set (its documented default)."""
NET_TYPE = "eip"
"""SDK QueryJobResp.net_type is `vpn`, `vpc` or `eip`. GUESS: emulated tasks reach their databases over EIPs."""
DR_BACKWARD_LIMIT_MS = 60_000
"""API starting_tasks_in_batches.rst: a DR backward task starts only when the forward task's RPO and RTO
are under 60 s; the RPO/RTO `delay` is in milliseconds (HWC drs_03_0117)."""

RELEASED = frozenset(
    {DELETED, RELEASE_RESOURCE_STARTED, RELEASE_RESOURCE_COMPLETE, RELEASE_CHILD_TRANSFER_STARTED,
     RELEASE_CHILD_TRANSFER_COMPLETE}
)
"""API error_code.rst DRS.M05004: "the task has been deleted or the resource has been released"."""
PAUSED = frozenset({PAUSING, "PAUSEING"})
"""SDK QueryJobStatusResp.status PAUSING ("paused"); API querying_task_statuses_in_batches.rst spells it
PAUSEING. HWC drs_03_0132: batch-retry-task resumes a paused task."""
BUSY = frozenset({STARTJOBING, "CREATING", "CHANGE_JOB_STARTED", RELEASE_RESOURCE_STARTED})
"""API stopping_or_deleting_tasks_in_batches.rst example: a plain terminate during another operation fails
per item with DRS.M01504. GUESS: these are the statuses in which an operation is under way."""
RE_EDIT_FAILED = frozenset({CHILD_TRANSFER_FAILED})
"""SDK RetryInfo.is_sync_re_edit ("true when starting after re-editing") and SDK QueryJobStatusResp
(CHILD_TRANSFER_* are re-edit subtask statuses): retried only with is_sync_re_edit true."""

_START_TRACKS = {
    FULL_TRANS: (FULL_TRANSFER_STARTED, FULL_TRANSFER_COMPLETE),
    FULL_INCR_TRANS: (FULL_TRANSFER_STARTED, INCRE_TRANSFER_STARTED),
    INCR_TRANS: (INCRE_TRANSFER_STARTED,),
}
"""SDK QueryProgressResp.task_mode: FULL_TRANS "ends after the migration completes"; GUESS: it rests in
FULL_TRANSFER_COMPLETE (TF waitingforJobStatus counts that status as started)."""
_RE_EDIT_TRACK = ("CHILD_TRANSFER_STARTING", "CHILD_TRANSFER_STARTED", "CHILD_TRANSFER_COMPLETE")
"""GUESS: the SDK's re-edit subtask statuses, in their documented order."""
PROGRESS = {FULL_TRANSFER_STARTED: "50", FULL_TRANSFER_COMPLETE: "100", INCRE_TRANSFER_STARTED: "100"}
"""SDK QueryProgressResp.progress, 0-100. GUESS: half-way during the full transfer."""


def start_track(task_type: str) -> list[str]:
    """The statuses a started job passes after STARTJOBING."""
    return list(_START_TRACKS.get(task_type, _START_TRACKS[FULL_INCR_TRANS]))


def resume_track(task_type: str) -> list[str]:
    """After batch-retry-task on a paused job. GUESS: a paused FULL_TRANS job finishes its full transfer."""
    return start_track(task_type)[-2:] if task_type == FULL_TRANS else [INCRE_TRANSFER_STARTED]


def retry_track(status: str, task_type: str) -> list[str]:
    """After a retry (batch-retry-task, v5 `restart`) of a failed job whose status allows RETRY (API
    resuming_or_retrying_tasks_in_batches.rst: "retry failed tasks")."""
    if status in RE_EDIT_FAILED:
        return list(_RE_EDIT_TRACK)
    if status == INCRE_TRANSFER_FAILED:
        return [STARTJOBING, INCRE_TRANSFER_STARTED]
    return [STARTJOBING, *start_track(task_type)]


def reset_track(task_type: str) -> list[str]:
    """After v5 `reset` (SDK ActionReq: "reset task"). GUESS: the task starts over, full transfer included;
    TF waitingforJobStatus waits for reset through STARTJOBING to FULL_TRANSFER_*/INCRE_TRANSFER_STARTED."""
    return [STARTJOBING, *start_track(task_type)]


def engine_type(db_use_type: str) -> str:
    """SDK JobInfo.engine_type: `mysql` for migration and sync, `cloudDataGuard-mysql` for DR."""
    return "cloudDataGuard-mysql" if db_use_type == "cloudDataGuard" else "mysql"


def engine_type_v5(db_use_type: str) -> str:
    """SDK v5 JobBaseInfo.engine_type: `mysql-to-mysql` for MySQL migration and sync. GUESS for DR: no v5
    source names a DR engine type (v5 ListJobs documents no DR scenario), so v3's `cloudDataGuard-mysql`."""
    return engine_type(db_use_type) if db_use_type == "cloudDataGuard" else "mysql-to-mysql"


# --- what each status allows: SDK v5 JobActions and v3 JobActionResp ------------------------------

START, PAUSE, RETRY, RESET, DELETE, FREE_RESOURCE = "START", "PAUSE", "RETRY", "RESET", "DELETE", "FREE_RESOURCE"
CAPABILITIES = (START, PAUSE, RETRY, RESET, DELETE, FREE_RESOURCE)
"""The `available_actions` names (SDK v5 JobActions, v3 JobActionResp) of the operations the emulator
serves, in the order it answers them: START = v3 batch-starting and v5 `start`; PAUSE = v5 `stop`; RETRY =
v3 batch-retry-task and v5 `restart`; RESET = v5 `reset`; DELETE = v3 batch-jobs `delete`; FREE_RESOURCE =
ending a task (v3 batch-jobs `terminate`, v5 `terminate` and batch-stop). No source maps these names to
operations: the first four are the research's INFERRED mapping, FREE_RESOURCE for ending is a GUESS. The
SDK lists more (PRE_CHECK, MODIFY_CONFIGURATION, CHANGE, ...); the emulator serves none of their
operations, so it never names them, as available or as unavailable."""

_ENDABLE = (FREE_RESOURCE,)
_TRANSFERRING = (PAUSE, FREE_RESOURCE)
_FAILED_TRANSFER = (PAUSE, RETRY, RESET, FREE_RESOURCE)
_PAUSED = (RETRY, FREE_RESOURCE)
_ENDED = (DELETE,)
JOB_ACTIONS: dict[str, tuple[str, ...]] = {
    # API starting_tasks_in_batches.rst: "can be called only after all tasks are configured"
    CONFIGURATION: (START, FREE_RESOURCE),
    # GUESS: as v3 batch-starting, not started again (TF preCheckStatus does send v5 `start` here)
    WAITING_FOR_START: _ENDABLE,
    # GUESS: an operation is under way (BUSY): only a forced end is accepted
    STARTJOBING: _ENDABLE,
    # TF waitingforJobStatus: a final status; no source starts, retries or resets it
    START_JOB_FAILED: _ENDABLE,
    # API pausing_tasks_in_batches.rst: pausable; TF preCheckStatus: `stop` needs one of these three
    FULL_TRANSFER_STARTED: _TRANSFERRING,
    FULL_TRANSFER_COMPLETE: _TRANSFERRING,
    INCRE_TRANSFER_STARTED: _TRANSFERRING,
    # API pausing_tasks_in_batches.rst (pausable) and resuming_or_retrying_tasks_in_batches.rst ("retry
    # failed tasks"); TF preCheckStatus: `reset` needs one of these two
    FULL_TRANSFER_FAILED: _FAILED_TRANSFER,
    INCRE_TRANSFER_FAILED: _FAILED_TRANSFER,
    # HWC drs_03_0132: batch-retry-task resumes a paused task; TF preCheckStatus: `restart` needs PAUSING
    PAUSING: _PAUSED,
    "PAUSEING": _PAUSED,  # API querying_task_statuses_in_batches.rst's spelling of PAUSING
    # SDK RetryInfo.is_sync_re_edit and ActionParams.is_sync_re_edit: a re-edit subtask is retried (with true)
    CHILD_TRANSFER_FAILED: _PAUSED,
    # API stopping_or_deleting_tasks_in_batches.rst: only these can be deleted; they are already ended
    CREATE_FAILED: _ENDED,
    RELEASE_RESOURCE_COMPLETE: _ENDED,
    RELEASE_CHILD_TRANSFER_COMPLETE: _ENDED,
    # API error_code.rst DRS.M05004: deleted or resources being released; nothing more to do
    RELEASE_RESOURCE_STARTED: (),
    RELEASE_CHILD_TRANSFER_STARTED: (),
    DELETED: (),
}
_OTHER_STATUS = _ENDABLE
"""A status the table does not name (CREATING, CHANGE_JOB_STARTED, ...). GUESS: it can only be ended."""
CURRENT_ACTIONS = {STARTJOBING: START}
"""SDK v5 JobActions.current_action, "the operation executing now"; "" in any other status. STARTJOBING:
START (research §11 INFERRED; GUESS: also when a retry or reset led there). A pause takes effect at once in
the emulator, so PAUSE is never under way; no source says what a task being ended shows, so ""."""


def allows(status: str, action: str) -> bool:
    """Whether a task in `status` allows `action` (one of CAPABILITIES) now."""
    return action in JOB_ACTIONS.get(status, _OTHER_STATUS)


def available_actions(status: str, offered: tuple[str, ...] = CAPABILITIES) -> list[str]:
    """SDK JobActions.available_actions: the actions of `offered` a task in `status` allows now."""
    return [action for action in offered if allows(status, action)]


def current_action(status: str, acting: str | None = None) -> str:
    """`acting`: the action a job accepted asynchronously still shows under way in its old status."""
    return acting or CURRENT_ACTIONS.get(status, "")


# --- asynchronous actions: SDK v5 ShowTaskExecuteProgress ------------------------------------------

ACTION_PENDING, ACTION_SUCCESS, ACTION_FAILED = "pending", "success", "failed"
ACTION_STATES = (ACTION_PENDING, ACTION_SUCCESS, ACTION_FAILED)
"""SDK v5 ShowTaskExecuteProgressResponse.status ("任务状态", task status) lists no values. GUESS: those of
v5's other answer read by a query ID, HWC drs_03_0211 (data-processing-rules/result: "pending", "failed",
"success"), which TF waitForUpdateDataProcessingRulesCompleted polls until success and fails on failed."""
ACTION_PERCENT = {ACTION_PENDING: "0", ACTION_SUCCESS: "100", ACTION_FAILED: "100"}
"""SDK ShowTaskExecuteProgressResponse.progress ("任务执行进度", execution progress), a string. GUESS: 0 until
the action comes to an end, then 100, failed or not."""
ACTING = frozenset({START, RETRY})
"""The actions a 202 leaves under way (OTC appendix/status_code.rst: 202 "The request has been accepted, but
the processing has not been completed"): the job shows its old status with current_action START (v5 `start`)
or RETRY (v5 `restart`) until its next step. GUESS: every other action takes effect at once, as with a 200."""
UNDER_WAY = frozenset({STARTJOBING, WAITING_FOR_START, "CHILD_TRANSFER_STARTING", RELEASE_RESOURCE_STARTED,
                       RELEASE_CHILD_TRANSFER_STARTED, "CREATING", "CHANGE_JOB_STARTED"})
"""GUESS: statuses in which an action sent to the job has not come to an end (a scheduled start included)."""


def under_way(action: str, asynchronous: bool) -> str | None:
    """The action (one of CAPABILITIES) a job shows under way right after accepting it, if any (ACTING)."""
    return action if asynchronous and action in ACTING else None


def action_progress(status: str, acting: str | None = None) -> str:
    """What an action accepted asynchronously has come to, from its job. GUESS: pending while the job shows
    it under way or passes a status of UNDER_WAY; failed once the job is in a status ending in _FAILED (as
    every documented failure status does: SDK QueryJobStatusResp.status); succeeded in any other."""
    if acting or status in UNDER_WAY:
        return ACTION_PENDING
    return ACTION_FAILED if status.endswith("_FAILED") else ACTION_SUCCESS

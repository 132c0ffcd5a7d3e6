"""What DRS's job statuses and error codes mean for "this job has been started": one table each.

Everything in pulumi-drs that branches on a DRS status or error code asks this module; a new status
or code is one entry here. Every entry names its source:

- SDK: the official `huaweicloudsdkdrs` 3.1.219 models (`QueryJobStatusResp.status` lists the statuses).
- API: the DRS API reference (opentelekomcloud-docs/data-replication-service, `api-ref/source/...`).
- TF: the Terraform provider, `huaweicloud/services/drs/resource_huaweicloud_drs_job.go`.
- GUESS: no source says it; written down in docs/drs-semantics.md with the reason for the choice.

Statuses are plain strings: one not listed here is kept as it came. An unknown status ending in
`_FAILED` is a failure (it fails fast, named); any other unknown status is waited on and named.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

NOT_FOUND = "NOT_FOUND"
"""Recorded by pulumi-drs (never sent by DRS) for a job DRS says it does not know."""


class Kind(str, Enum):
    """What a status says about a job, for starting it."""

    CONFIGURED = "configured"
    """Configured and never started: batch-starting starts it."""
    STARTING = "starting"
    """DRS is starting it."""
    SCHEDULED = "scheduled"
    """Waiting for its start time."""
    RUNNING = "running"
    """Replicating, or past its full phase: started."""
    MAINTENANCE = "maintenance"
    """A started job whose node DRS is rebuilding or upgrading: still started."""
    PAUSED = "paused"
    """Paused: batch-retry-task resumes it."""
    TRANSFER_FAILED = "transfer_failed"
    """A transfer failed: batch-retry-task retries it."""
    FAILED = "failed"
    """A failure `pulumi up` cannot repair: a person must act in DRS."""
    BUSY = "busy"
    """Being created or changed: wait until it settles, then decide."""
    RELEASING = "releasing"
    """Being stopped."""
    GONE = "gone"
    """Stopped, released, deleted, never created, or unknown to DRS: it cannot be started again."""
    UNKNOWN = "unknown"
    """A status no source lists."""


class Repair(str, Enum):
    """What `pulumi up` does for a job in a status, when the batch wants it started."""

    NONE = "none"
    """Nothing: it is started (or DRS is bringing it there)."""
    START = "start"
    """batch-starting."""
    RESUME = "resume"
    """batch-retry-task on a paused job."""
    RETRY = "retry"
    """batch-retry-task on a failed transfer."""
    RETRY_RE_EDIT = "retry_re_edit"
    """batch-retry-task with `is_sync_re_edit`: the failed subtask of a re-edited sync task."""
    WAIT = "wait"
    """Watch it and decide again once it settles."""
    CANNOT = "cannot"
    """Fail with the advice: only a person can bring it back."""


@dataclass(frozen=True)
class StatusFact:
    name: str
    kind: Kind
    repair: Repair
    meaning: str
    source: str
    advice: str = ""
    """For a status `pulumi up` cannot repair: what the user can do."""


_SDK = "SDK QueryJobStatusResp.status"
_API_STATUSES = "API appendix/task_statuses.rst"
_RETRY_DOC = "API resuming_or_retrying_tasks_in_batches.rst (is_sync_re_edit)"
_CONSOLE = "fix the cause in the DRS console, then run `pulumi up` again"
_RECREATE = ("it cannot be started again: remove it from job_ids, or create a new DRS job and list that one")

STATUSES: dict[str, StatusFact] = {f.name: f for f in (
    StatusFact("CREATING", Kind.BUSY, Repair.WAIT, "being created", f"{_SDK}; TF create wait (pending)"),
    StatusFact("CREATE_FAILED", Kind.GONE, Repair.CANNOT, "creation failed", f"{_SDK}; TF failure set",
               "the job was never created: " + _RECREATE),
    StatusFact("CONFIGURATION", Kind.CONFIGURED, Repair.START, "configured, not started",
               f"{_SDK}; API starting_tasks_in_batches.rst; TF start wait (pending)"),
    StatusFact("STARTJOBING", Kind.STARTING, Repair.NONE, "being started", f"{_SDK}; TF start wait (pending)"),
    StatusFact("WAITING_FOR_START", Kind.SCHEDULED, Repair.NONE, "waiting for its start time",
               f"{_SDK}; TF start_later wait (target)"),
    StatusFact("START_JOB_FAILED", Kind.FAILED, Repair.CANNOT, "the start failed", f"{_SDK}; TF failure set",
               "DRS could not start the job and documents no call that starts it again (Terraform treats it "
               "as final too): read the job's error in the DRS console, fix the cause and create the task "
               "again, then list the new job instead of this one"),
    StatusFact("PAUSING", Kind.PAUSED, Repair.RESUME, "paused", f"{_SDK} (已暂停: paused); TF restart precheck"),
    StatusFact("PAUSEING", Kind.PAUSED, Repair.RESUME, "paused (spelling of one doc page)",
               "API querying_task_statuses_in_batches.rst"),
    StatusFact("FULL_TRANSFER_STARTED", Kind.RUNNING, Repair.NONE, "full transfer running (DR: initializing)",
               f"{_SDK}; TF start wait (target)"),
    StatusFact("FULL_TRANSFER_FAILED", Kind.TRANSFER_FAILED, Repair.RETRY, "full transfer failed",
               f"{_SDK}; {_RETRY_DOC}; TF reset precheck"),
    StatusFact("FULL_TRANSFER_COMPLETE", Kind.RUNNING, Repair.NONE,
               "full transfer complete (a FULL_TRANS job ends here)", f"{_SDK}; SDK QueryJobResp.task_type"),
    StatusFact("INCRE_TRANSFER_STARTED", Kind.RUNNING, Repair.NONE, "incremental transfer running (DR: in DR)",
               f"{_SDK}; TF start wait (target)"),
    StatusFact("INCRE_TRANSFER_FAILED", Kind.TRANSFER_FAILED, Repair.RETRY, "incremental transfer failed",
               f"{_SDK}; {_RETRY_DOC}; TF reset precheck"),
    StatusFact("RELEASE_RESOURCE_STARTED", Kind.RELEASING, Repair.CANNOT, "being stopped",
               f"{_SDK}; TF terminate wait (pending)", "the job is being stopped: " + _RECREATE),
    StatusFact("RELEASE_RESOURCE_FAILED", Kind.FAILED, Repair.CANNOT, "stopping failed", f"{_SDK}; TF failure set",
               "stopping the job failed: check it in the DRS console; " + _RECREATE),
    StatusFact("RELEASE_RESOURCE_COMPLETE", Kind.GONE, Repair.CANNOT, "stopped",
               f"{_SDK}; TF terminate wait (target)", "the job is stopped: " + _RECREATE),
    StatusFact("REBUILD_NODE_STARTED", Kind.MAINTENANCE, Repair.NONE, "DRS is recovering its node (故障恢复中)", _SDK),
    StatusFact("REBUILD_NODE_FAILED", Kind.FAILED, Repair.CANNOT, "DRS failed to recover its node (故障恢复失败)",
               _SDK, "DRS could not recover the job's replication node: check the job in the DRS console and "
               "contact Huawei Cloud support if it stays there; `pulumi up` cannot repair this"),
    StatusFact("CHANGE_JOB_STARTED", Kind.BUSY, Repair.WAIT, "being changed", _SDK),
    StatusFact("CHANGE_JOB_FAILED", Kind.FAILED, Repair.CANNOT, "a change failed", _SDK,
               "a change to the job failed: " + _CONSOLE),
    StatusFact("DELETED", Kind.GONE, Repair.CANNOT, "deleted", f"{_SDK}; TF read (gone)",
               "the job was deleted: " + _RECREATE),
    StatusFact("CHILD_TRANSFER_STARTING", Kind.STARTING, Repair.NONE, "a re-edited subtask is starting", _SDK),
    StatusFact("CHILD_TRANSFER_STARTED", Kind.RUNNING, Repair.NONE, "a re-edited subtask is transferring", _SDK),
    StatusFact("CHILD_TRANSFER_COMPLETE", Kind.RUNNING, Repair.NONE, "a re-edited subtask finished", _SDK),
    StatusFact("CHILD_TRANSFER_FAILED", Kind.TRANSFER_FAILED, Repair.RETRY_RE_EDIT,
               "a re-edited subtask failed", f"{_SDK} (再编辑子任务迁移失败); {_RETRY_DOC}; GUESS: retry with re-edit"),
    StatusFact("RELEASE_CHILD_TRANSFER_STARTED", Kind.RELEASING, Repair.CANNOT, "a re-edited subtask is stopping",
               _SDK, "the subtask is being stopped: " + _RECREATE),
    StatusFact("RELEASE_CHILD_TRANSFER_COMPLETE", Kind.GONE, Repair.CANNOT, "a re-edited subtask stopped",
               _SDK, "the subtask is stopped: " + _RECREATE),
    StatusFact("NODE_UPGRADE_START", Kind.MAINTENANCE, Repair.NONE, "DRS is upgrading its node", _SDK),
    StatusFact("NODE_UPGRADE_COMPLETE", Kind.MAINTENANCE, Repair.NONE, "DRS upgraded its node", _SDK),
    StatusFact("NODE_UPGRADE_FAILED", Kind.FAILED, Repair.CANNOT, "DRS failed to upgrade its node", _SDK,
               "DRS could not upgrade the job's replication node: check the job in the DRS console and contact "
               "Huawei Cloud support if it stays there; `pulumi up` cannot repair this"),
    StatusFact(NOT_FOUND, Kind.GONE, Repair.CANNOT, "DRS does not know the job",
               "pulumi-drs, from DRS.M05003/DRS.M05004/DRS.M00289 (see CODES)",
               "DRS does not know this job (deleted, or another project or region): check the job ID, "
               "drs:region and drs:projectId, or remove it from job_ids"),
)}

RELEASED = frozenset({"RELEASE_RESOURCE_COMPLETE", "RELEASE_CHILD_TRANSFER_COMPLETE", "DELETED", NOT_FOUND})
"""What a terminate ends in (TF terminate wait target; a deleted or vanished job is released too)."""
RELEASE_FAILED = "RELEASE_RESOURCE_FAILED"
FULL_ONLY_TASK_TYPE = "FULL_TRANS"
"""`task_type` of a full-load-only job, which ends in FULL_TRANSFER_COMPLETE (SDK QueryJobResp.task_type)."""
FULL_DONE = "FULL_TRANSFER_COMPLETE"
INCREMENTAL = "INCRE_TRANSFER_STARTED"


def status_fact(status: str) -> StatusFact:
    """The fact for a status; an unlisted one is a failure if it ends in `_FAILED`, else unknown (wait)."""
    fact = STATUSES.get(status)
    if fact is not None:
        return fact
    if status.endswith("_FAILED"):
        return StatusFact(status, Kind.FAILED, Repair.CANNOT, "a status no source lists", "GUESS: name ends in _FAILED",
                          f"DRS reports {status}, a failure status pulumi-drs does not know: " + _CONSOLE)
    return StatusFact(status, Kind.UNKNOWN, Repair.WAIT, "a status no source lists", "GUESS: wait and name it")


def kind(status: str) -> Kind:
    return status_fact(status).kind


STARTED_KINDS = frozenset({Kind.STARTING, Kind.SCHEDULED, Kind.RUNNING, Kind.MAINTENANCE})
"""A job in one of these has accepted a start (it may still be on its way)."""


def under_way(status: str | None) -> bool:
    """After a lost answer: the status shows a start, resume or retry may have taken effect (an unknown
    status counts, so a lost answer never leads to a second request for it)."""
    return status is not None and kind(status) in STARTED_KINDS | {Kind.PAUSED, Kind.BUSY, Kind.UNKNOWN}


# --- error codes ------------------------------------------------------------------------------------


class Meaning(str, Enum):
    NOT_FOUND = "not_found"
    """The job does not exist, or no longer does: record it as NOT_FOUND."""
    BUSY = "busy"
    """Another operation is running on the job: nothing happened, ask again later."""
    THROTTLED = "throttled"
    """Too many requests: nothing happened, ask again after a pause."""
    AUTH = "auth"
    """The credentials were rejected."""
    PERMISSION = "permission"
    """The caller may not do this in this project."""
    PROJECT = "project"
    """The project ID does not fit the region or endpoint."""
    STATUS = "status"
    """The job's status does not allow the call."""
    PARENT_TASK = "parent_task"
    """A parent task was named where only subtasks are allowed."""
    DUPLICATE = "duplicate"
    """A job was named twice in one request."""
    PAGE = "page"
    """A page past the last one, or an invalid page."""
    INVALID = "invalid"
    """The request was malformed."""
    SERVER = "server"
    """DRS had an internal problem."""
    NO_SUCH_API = "no_such_api"
    """The endpoint does not serve this API."""


@dataclass(frozen=True)
class CodeFact:
    code: str
    meaning: Meaning
    summary: str
    advice: str
    source: str


_CODES_DOC = "API appendix/error_code.rst"
_TF_NOT_FOUND = "TF resourceJobRead: 400 with results[0].error_code DRS.M00289/DRS.M05004 is not found"
_GATEWAY = "Huawei Cloud API gateway error codes (APIG)"
CREDENTIAL_HINT = (
    "check drs:accessKey/HW_ACCESS_KEY and drs:secretKey/HW_SECRET_KEY (with drs:securityToken/HW_SECURITY_TOKEN "
    "for temporary keys), or drs:authToken/HW_AUTH_TOKEN, or drs:userName/HW_USER_NAME, drs:password/HW_PASSWORD "
    "and drs:domainName/HW_DOMAIN_NAME"
)
PERMISSION_HINT = ("grant the IAM user DRS permissions in this project (e.g. DRS FullAccess), and check "
                    "drs:projectId/HW_PROJECT_ID")

CODES: dict[str, CodeFact] = {f.code: f for f in (
    CodeFact("APIGW.0301", Meaning.AUTH, "the AK/SK signature or token was rejected", CREDENTIAL_HINT, _GATEWAY),
    CodeFact("APIGW.0303", Meaning.AUTH, "the request's X-Sdk-Date is more than 15 minutes off the gateway's clock",
             "synchronize this machine's clock (NTP), then retry", _GATEWAY),
    CodeFact("APIGW.0101", Meaning.NO_SUCH_API, "the API does not exist at this address",
             "check drs:endpoint/HW_DRS_ENDPOINT and drs:region/HW_REGION_NAME", _GATEWAY),
    CodeFact("APIG.0308", Meaning.THROTTLED, "the gateway's request limit was reached",
             "retry later, or run fewer updates at once", _GATEWAY),
    CodeFact("DRS.M00004", Meaning.SERVER, "DRS service abnormal", "retry later", _CODES_DOC),
    CodeFact("DRS.M00007", Meaning.INVALID, "invalid request parameter",
             "this is a pulumi-drs bug if it persists: report it with the job IDs", _CODES_DOC),
    CodeFact("DRS.M00100", Meaning.AUTH, "invalid token", CREDENTIAL_HINT, _CODES_DOC),
    CodeFact("DRS.M00102", Meaning.PERMISSION, "insufficient permissions", PERMISSION_HINT, _CODES_DOC),
    CodeFact("DRS.M00103", Meaning.PERMISSION, "no operation permission", PERMISSION_HINT, _CODES_DOC),
    CodeFact("DRS.M00201", Meaning.INVALID, "a mandatory parameter is empty",
             "this is a pulumi-drs bug if it persists: report it with the job IDs", _CODES_DOC),
    CodeFact("DRS.M00202", Meaning.INVALID, "a parameter is invalid",
             "check start_time and the job IDs", _CODES_DOC),
    CodeFact("DRS.M00210", Meaning.PAGE, "page invalid", "retry; report it if it persists", _CODES_DOC),
    CodeFact("DRS.M00211", Meaning.PAGE, "page over limit", "retry; report it if it persists", _CODES_DOC),
    CodeFact("DRS.M00261", Meaning.PROJECT, "invalid project ID",
             "the project ID does not belong to this region: check drs:projectId/HW_PROJECT_ID and "
             "drs:region/HW_REGION_NAME (or unset the project ID to look it up)", _CODES_DOC),
    CodeFact("DRS.M00289", Meaning.NOT_FOUND, "the job does not exist",
             "check the job ID, drs:region and drs:projectId, or remove it from job_ids", _TF_NOT_FOUND),
    CodeFact("DRS.M00301", Meaning.DUPLICATE, "a job is listed twice in one request",
             "list each job once", _CODES_DOC),
    CodeFact("DRS.M00304", Meaning.STATUS, "the job's current status does not allow this call",
             "check the job in the DRS console, then run `pulumi up` again", _CODES_DOC),
    CodeFact("DRS.M00307", Meaning.PARENT_TASK, "only subtasks can call this API",
             "list the parent task's subtasks in job_ids instead of the parent", _CODES_DOC),
    CodeFact("DRS.M01503", Meaning.THROTTLED, "operation too frequent", "retry later, or run fewer updates at once",
             _CODES_DOC),
    CodeFact("DRS.M01504", Meaning.BUSY, "another operation is running on the job, or the job is abnormal",
             "wait until the other operation ends, then run `pulumi up` again", _CODES_DOC),
    CodeFact("DRS.M05003", Meaning.NOT_FOUND, "task information not found",
             "check the job ID, drs:region and drs:projectId, or remove it from job_ids", _CODES_DOC),
    CodeFact("DRS.10000010", Meaning.NOT_FOUND, "the job does not exist (API v5)",
             "check the job ID, drs:region and drs:projectId, or remove it from job_ids",
             "HWC drs_03_0179; TF resource_huaweicloud_drs_job_v5.go (v5 400 DRS.10000010 is not found)"),
    CodeFact("DRS.M05004", Meaning.NOT_FOUND, "the task was deleted or its resources released",
             "remove it from job_ids (a released job cannot be started again)", f"{_CODES_DOC}; {_TF_NOT_FOUND}"),
)}


def code_fact(code: str | None) -> CodeFact | None:
    return CODES.get(code or "")


def means(code: str | None, meaning: Meaning) -> bool:
    fact = code_fact(code)
    return fact is not None and fact.meaning is meaning


def explain(code: str | None, message: str | None) -> str:
    """One per-item DRS error as a user reads it: code, DRS's message, and what to do."""
    fact = code_fact(code)
    detail = (message or (fact.summary if fact else "") or "no message").strip().rstrip(".")
    head = f"{code}: {detail}" if code else detail
    return f"{head}. {sentence(fact.advice)}" if fact else head


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")

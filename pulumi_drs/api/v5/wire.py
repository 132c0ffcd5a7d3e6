"""DRS v5 wire models: the bodies pulumi-drs sends and reads, as the official SDK declares them.

Class and field names are `huaweicloudsdkdrs.v5.model`'s (3.1.219); only fields pulumi-drs reads or
sends are declared, every other field is kept as an extra. Shared by the v5 client and the emulator's
v5 routes.
"""

from __future__ import annotations

from pydantic import Field

from pulumi_drs.api.v3.wire import WireModel

JOB_TYPES = ("migration", "sync", "cloudDataGuard")
"""ListJobs `job_type` (required, one per call; SDK ListJobsRequest also has `replay`, not a DRS task)."""
MAX_IDS_PER_LIST = 10
"""ListJobs `name`: a task name or ID, or up to 10 comma-separated task IDs (SDK ListJobsRequest.name)."""
LIST_LIMIT = 100
"""The page size pulumi-drs asks of ListJobs (no maximum is documented: GUESS, see docs/drs-semantics.md)."""


class ActionParams(WireModel):
    start_time: str | None = None
    """A scheduled start: epoch milliseconds as a string (TF drs_job docs)."""
    is_sync_re_edit: bool | None = None
    """True to restart a re-edited sync task."""
    pause_mode: str | None = None
    """`stop` (pause): `target` stops replay, `all` stops log capture and replay."""
    force_delete: bool | None = None
    """`terminate`: true to end the task by force."""


class ActionReq(WireModel):
    job_id: str
    action_name: str
    """`start`, `restart` (retry: resumes a paused task), `stop` (pause), `reset`, `terminate`, ..."""
    action_params: ActionParams | None = None


class BatchJobActionReq(WireModel):
    jobs: list[ActionReq]


class ActionResult(WireModel):
    """One item of a batch action's answer: SDK ActionBaseResp (a 200: `status`, `error_code`,
    `error_msg`) or AsyncActionResp (a 202: `query_id`). Which actions answer which is not documented."""

    id: str
    name: str | None = None
    status: str | None = None
    """`success` or `failed`, in any case (HWC drs_03_0179 shows `Success`)."""
    query_id: str | None = None
    """"异步操作任务响应查询ID" (SDK AsyncActionResp): the query of an action accepted asynchronously."""
    error_code: str | None = None
    error_msg: str | None = None


class ShowTaskExecuteProgressResponse(WireModel):
    """`GET /v5/{project_id}/jobs/{async_job_id}/progress`: "查询异步任务执行进度", the execution progress of an
    asynchronous task (SDK ShowTaskExecuteProgress). The SDK lists no values of `status`."""

    status: str | None = None
    """"任务状态" (task status)."""
    progress: str | None = None
    """"任务执行进度" (execution progress)."""
    error_code: str | None = None
    error_message: str | None = None


class BatchExecuteJobActionsResponse(WireModel):
    jobs: list[ActionResult] = Field(default_factory=list)


class StopJobActionInfo(WireModel):
    job_id: str
    is_force_stop: bool | None = None


class BatchStopJobActionReq(WireModel):
    """`POST /v5/{project_id}/jobs/batch-stop`: end (terminate) tasks; not a pause."""

    jobs: list[StopJobActionInfo]


class BatchStopJobsActionResponse(WireModel):
    jobs: list[ActionResult] = Field(default_factory=list)


class JobActions(WireModel):
    available_actions: list[str] | None = None
    """What DRS allows for the job now: START, PAUSE, RETRY, RESET, DELETE, ..."""
    unavailable_actions: list[str] | None = None
    current_action: str | None = None
    """The operation running now, e.g. START."""


class _JobListFields(WireModel):
    """Fields SDK JobListResp and ChildrenJobListResp both have (a task, or a subtask, in the job list)."""

    id: str
    name: str | None = None
    status: str | None = None
    job_type: str | None = None
    """`migration`, `sync` or `cloudDataGuard`."""
    task_type: str | None = None
    """`FULL_TRANS`, `FULL_INCR_TRANS` or `INCR_TRANS`."""
    job_direction: str | None = None
    """`up`, `down` or `non-dbs`."""
    job_action: JobActions | None = None
    description: str | None = None
    create_time: str | None = None
    """When the task was created (the SDK says "timestamp")."""
    engine_type: str | None = None
    """E.g. `mysql-to-mysql`, `redis-to-gaussredis`, `oracle-to-gaussdbv5`."""
    net_type: str | None = None
    """`eip`, `vpc` or `vpn`."""
    charging_mode: str | None = None
    """`period` or `on_demand`."""
    billing_tag: bool | None = None
    """Whether the task is being billed now."""
    enterprise_project_id: str | None = None
    job_mode: str | None = None
    """`single`, `sync_child` or `multi_to_single`."""
    job_mode_role: str | None = None
    """`parent`, `child`, `master` or `slave`."""
    is_multi_az: bool | None = None
    """A primary/standby task across availability zones."""
    node_role: str | None = None
    """The task node's role in a cluster."""
    node_new_framework: bool | None = None
    """Whether the task runs on DRS's new framework."""


class ChildrenJobListResp(_JobListFields):
    """A subtask in the job list: every field of its parent's entry but `children`."""


class JobListResp(_JobListFields):
    children: list[ChildrenJobListResp] | None = None
    """All subtasks of this task."""


class ListJobsResponse(WireModel):
    total_count: int = 0
    jobs: list[JobListResp] = Field(default_factory=list)


class JobBaseInfo(WireModel):
    name: str | None = None
    job_type: str | None = None
    multi_write: bool | None = None
    job_direction: str | None = None
    task_type: str | None = None
    engine_type: str | None = None
    net_type: str | None = None
    charging_mode: str | None = None
    enterprise_project_id: str | None = None
    """`0` is the default enterprise project."""
    description: str | None = None
    start_time: str | None = None
    """The scheduled start of the task."""
    expired_days: str | None = None
    """Days an abnormal task lasts before it is ended (14 to 100, default 14); a string in the SDK."""
    is_open_fast_clean: bool | None = None
    """Whether RDS for MySQL binlogs are cleaned fast."""


class JobDetailResp(WireModel):
    id: str
    status: str | None = None
    base_info: JobBaseInfo | None = None
    create_time: str | None = None
    """When the task was created (the SDK says "timestamp")."""
    job_kernel_direction: str | None = None
    """`up` or `down`."""


class ShowJobDetailResponse(WireModel):
    job: JobDetailResp | None = None


class ShowActionsResponse(WireModel):
    job_action: JobActions | None = None

"""DRS v3 wire models: request and response bodies exactly as they cross the network.

Shared by the v3 client and the emulator's v3 routes, so both speak one format. Class and field names
are the official SDK's (`huaweicloudsdkdrs.v3.model`, 3.1.219), each field with the meaning the SDK
documents; only fields pulumi-drs reads or sends are declared, every other field DRS sends is kept as
an extra. Statuses are plain strings, so values no source lists survive. Field names differ between
operations (`error_message` on batch-status and batch-detail, `error_msg` elsewhere) exactly as in the SDK.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_PER_PAGE = 5
"""SDK PageReq.per_page: 5 when absent."""
MAX_PER_PAGE = 100
"""SDK PageReq.per_page: 0 to 100 (0 with cur_page 0 or 1: every job in one page)."""
MAX_JOBS_PER_READ = MAX_PER_PAGE
"""Jobs named in one batch read or task-list filter. GUESS (docs/drs-semantics.md): no maximum is documented
for the batch reads; the task list's filter takes up to 100 IDs, and a page holds at most 100."""


class WireModel(BaseModel):
    """Base: extra fields are kept (DRS adds fields by region and edition), None is not sent."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)

    def to_wire(self) -> dict[str, object]:
        return self.model_dump(mode="json", exclude_none=True)


class BatchItem(WireModel):
    """SDK StartJobResp, RetryTaskResp, DeleteJobResp: one item of a batch action's answer."""

    id: str
    status: str = "failed"
    """`success` or `failed`: whether DRS accepted the request for this job."""
    error_code: str | None = None
    error_msg: str | None = None


class BatchAnswer(WireModel):
    count: int = 0
    results: list[BatchItem] = Field(default_factory=list)


# --- batch-starting: SDK batch_start_jobs --------------------------------------------------------


class StartInfo(WireModel):
    job_id: str
    start_time: str | None = None
    """Epoch milliseconds as a string; absent (or "0") means start now."""


class BatchStartJobReq(WireModel):
    jobs: list[StartInfo]


# --- batch-status / batch-detail: SDK batch_list_job_status, batch_list_job_details ---------------


class PageReq(WireModel):
    cur_page: int = 1
    """Page number from 1; 0 with per_page 0 asks for every job at once."""
    per_page: int = DEFAULT_PER_PAGE


class BatchQueryJobReqPage(WireModel):
    """Body of batch-status and batch-detail."""

    jobs: list[str]
    page_req: PageReq | None = None


class QueryJobStatusResp(WireModel):
    id: str
    status: str | None = None
    error_code: str | None = None
    error_message: str | None = None


class BatchListJobStatusResponse(WireModel):
    count: int = 0
    results: list[QueryJobStatusResp] = Field(default_factory=list)


class FailedToBindEipChildInfo(WireModel):
    """A subtask that failed to bind a public IP (multi-task jobs only)."""

    id: str | None = None
    name: str | None = None


class InstInfo(WireModel):
    """The replication instance of a task (batch-detail `inst_info`)."""

    engine_type: str | None = None
    start_time: str | None = None
    """The scheduled start of the task, epoch milliseconds as a string; "0" when none was set."""
    status: str | None = None
    """`active`, or `deleted` once the instance is released."""


class QueryJobResp(WireModel):
    """batch-detail: the fields pulumi-drs reads; the rest are kept as extras."""

    id: str
    name: str | None = None
    status: str | None = None
    parent_id: str | None = None
    """The parent task a subtask belongs to (multi-task case)."""
    description: str | None = None
    create_time: str | None = None
    """Epoch milliseconds as a string."""
    update_time: str | None = None
    """Epoch milliseconds as a string: the last change of the task."""
    actual_start_time: str | None = None
    """Epoch milliseconds as a string: when the transfer actually started."""
    full_transfer_complete_time: str | None = None
    """Epoch milliseconds as a string: when the full transfer completed."""
    net_type: str | None = None
    """`vpn`, `vpc` or `eip`."""
    inst_info: InstInfo | None = None
    original_job_direction: str | None = None
    """The direction set at creation; unlike job_direction it does not change on a DR switchover."""
    job_kernel_direction: str | None = None
    """DR kernel direction: job_direction, except during a switchover, when it is the opposite."""
    is_multi_az: bool | None = None
    """A cross-AZ primary/standby task."""
    task_type: str | None = None
    """`FULL_TRANS` (full load only: ends in FULL_TRANSFER_COMPLETE), `FULL_INCR_TRANS` or `INCR_TRANS`."""
    job_direction: str | None = None
    """`up` (into the cloud; DR: this cloud is the standby), `down` (out of it; DR: the primary), `non-dbs`."""
    db_use_type: str | None = None
    """`migration`, `sync` or `cloudDataGuard` (DR)."""
    multi_write: bool | None = None
    """A multi-master (dual-active) DR task."""
    master_job_id: str | None = None
    """The main task a subtask belongs to, in the multi-task case (not a DR forward-task link)."""
    children: list[FailedToBindEipChildInfo] | None = None
    """Subtasks that failed to bind a public IP (multi-task case); not the list of all subtasks."""
    error_code: str | None = None
    error_message: str | None = None


class BatchListJobDetailsResponse(WireModel):
    count: int = 0
    results: list[QueryJobResp] = Field(default_factory=list)


# --- the task list: SDK show_job_list (POST /v3/{project_id}/jobs) --------------------------------


class QueryJobsReq(WireModel):
    cur_page: int = 1
    per_page: int = 10
    """0 to 100; default 10."""
    name: str | None = None
    """A task name or ID; up to 100 task IDs, comma-separated."""
    db_use_type: str | None = None
    """`migration`, `sync` or `cloudDataGuard`: which tasks to list (OTC: mandatory)."""
    engine_type: str | None = None
    """Lists only tasks of this engine (`mysql`, `cloudDataGuard-mysql`, ...)."""
    net_type: str | None = None
    """Lists only tasks on this network type (`vpn`, `vpc`, `eip`)."""
    status: str | None = None
    """Lists only tasks in this status."""


class JobActionResp(WireModel):
    """What a task allows now (`START`, `PAUSE`, `RETRY`, `DELETE`, ...), and what it is doing."""

    available_actions: list[str] | None = None
    unavailable_actions: list[str] | None = None
    current_action: str | None = None
    """`SWITCH_OVER` (DR switchover under way), `STOP_JOB` (being paused), or empty."""


class ChildrenJobInfo(WireModel):
    id: str
    name: str | None = None
    status: str | None = None
    create_time: str | None = None
    description: str | None = None
    engine_type: str | None = None
    net_type: str | None = None
    billing_tag: bool | None = None
    """Whether the task is being billed."""
    job_direction: str | None = None
    db_use_type: str | None = None
    task_type: str | None = None
    error_msg: str | None = None
    job_action: JobActionResp | None = None


class JobInfo(WireModel):
    id: str
    name: str | None = None
    status: str | None = None
    create_time: str | None = None
    """When the task was created (the OTC example writes `yyyy-MM-dd HH:mm:ss`)."""
    description: str | None = None
    engine_type: str | None = None
    net_type: str | None = None
    billing_tag: bool | None = None
    """Whether the task is being billed."""
    job_direction: str | None = None
    db_use_type: str | None = None
    task_type: str | None = None
    job_action: JobActionResp | None = None
    children: list[ChildrenJobInfo] | None = None
    """All subtasks of this task."""


class ShowJobListResponse(WireModel):
    total_record: int = 0
    jobs: list[JobInfo] = Field(default_factory=list)


# --- batch-progress and batch-rpo-and-rto: SDK batch_list_progresses, batch_list_rpos_and_rtos -----


class BatchQueryJobReq(WireModel):
    """Body of batch-progress and batch-rpo-and-rto: bare job IDs."""

    jobs: list[str]


class QueryProgressResp(WireModel):
    job_id: str
    progress: str | None = None
    incre_trans_delay: str | None = None
    """Incremental replication delay, seconds."""
    transfer_status: str | None = None
    incre_trans_delay_millis: str | None = None
    """The incremental replication delay in milliseconds."""
    task_mode: str | None = None
    """`FULL_TRANS`, `FULL_INCR_TRANS` or `INCR_TRANS`."""
    process_time: str | None = None
    """Epoch milliseconds as a string: the last progress update."""
    remaining_time: str | None = None
    """Estimated seconds to completion."""
    apply_rows_rate: int | None = None
    """Incremental rows per second; -1 before the incremental phase."""
    apply_bytes_rate: int | None = None
    """Incremental bytes per second; -1 before the incremental phase."""
    error_code: str | None = None
    error_msg: str | None = None


class BatchListProgressesResponse(WireModel):
    count: int = 0
    results: list[QueryProgressResp] = Field(default_factory=list)


class RpoAndRtoInfo(WireModel):
    check_point: str | None = None
    """The binlog position replicated so far (`mysql-bin.000514:197`)."""
    gtid_set: str | None = None
    """The executed global transaction ids (`NA` when not used)."""
    delay: str | None = None
    """The replication delay, milliseconds as a string (HWC drs_03_0117 "延迟(单位ms)"; TF docs)."""
    time: str | None = None
    """When it was measured, `yyyy-MM-dd HH:mm:ss`."""


class QueryRpoAndRtoResp(WireModel):
    job_id: str
    rpo_info: RpoAndRtoInfo | None = None
    rto_info: RpoAndRtoInfo | None = None
    error_code: str | None = None
    error_msg: str | None = None


class BatchListRposAndRtosResponse(WireModel):
    count: int = 0
    results: list[QueryRpoAndRtoResp] = Field(default_factory=list)


# --- batch-retry-task and batch-jobs DELETE: SDK batch_restore_task, batch_delete_jobs -------------


class RetryInfo(WireModel):
    job_id: str
    is_sync_re_edit: bool | None = None
    """True to retry the failed subtask of a re-edited sync task."""


class BatchRetryReq(WireModel):
    jobs: list[RetryInfo]


DeleteType = Literal["terminate", "force_terminate", "delete"]


class DeleteJobReq(WireModel):
    delete_type: DeleteType
    job_id: str


class BatchDeleteJobReq(WireModel):
    jobs: list[DeleteJobReq]


"""DRS v3 wire models: request and response bodies exactly as they cross the network.

Shared by the client and the emulator, so both speak one format. Field names are the wire's own
(`error_msg` on batch-starting, `error_message` on batch-status); unknown fields are tolerated and
kept, and statuses are plain strings so values the docs never listed (`DELETED`, `PAUSEING`) survive.
Sources: ../shared/reference/drs-api.md sections 2, 3 and 5.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_PER_PAGE = 5
"""batch-status and batch-detail answer 5 jobs per page when `page_req` is absent."""
MAX_PER_PAGE = 100


class WireModel(BaseModel):
    """Base: extra fields are kept (DRS adds fields by region and edition), None is not sent."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)

    def to_wire(self) -> dict[str, object]:
        return self.model_dump(mode="json", exclude_none=True)


# --- batch-starting -------------------------------------------------------------------------------


class StartInfo(WireModel):
    job_id: str
    start_time: str | None = None
    """Epoch milliseconds as a string; absent means start now."""


class BatchStartJobsRequest(WireModel):
    jobs: list[StartInfo]


class StartJobResult(WireModel):
    """One item of a batch-starting answer: whether the start *request* was accepted."""

    id: str
    status: str = "failed"
    """`success` or `failed`."""
    error_code: str | None = None
    error_msg: str | None = None


class BatchStartJobsResponse(WireModel):
    count: int = 0
    results: list[StartJobResult] = Field(default_factory=list)


# --- batch-status / batch-detail ----------------------------------------------------------------


class PageReq(WireModel):
    cur_page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    """0 means all jobs in one page; at most 100."""


class BatchJobsQuery(WireModel):
    """Body of batch-status and batch-detail."""

    jobs: list[str]
    page_req: PageReq | None = None


class JobStatusResult(WireModel):
    id: str
    status: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    """Named `error_message` here, unlike `error_msg` everywhere else."""


class BatchStatusResponse(WireModel):
    count: int = 0
    results: list[JobStatusResult] = Field(default_factory=list)


class JobDetail(WireModel):
    """The fields of QueryJobResp that pulumi-drs reads; the rest are kept as extras."""

    id: str
    name: str | None = None
    status: str | None = None
    parent_id: str | None = None
    job_direction: str | None = None
    """`up`, `down` or `non-dbs`; a dual-active DR backward task is `down`."""
    db_use_type: str | None = None
    """`migration`, `sync` or `cloudDataGuard` (DR)."""
    master_job_id: str | None = None
    """For a DR backward task: the forward task it depends on."""
    children: list[str] | None = None
    """A parent task's subtasks (read by the Terraform provider; absent on other tasks)."""
    error_code: str | None = None
    error_message: str | None = None


class BatchDetailResponse(WireModel):
    count: int = 0
    results: list[JobDetail] = Field(default_factory=list)


# --- batch-progress ---------------------------------------------------------------------------


class BatchProgressRequest(WireModel):
    jobs: list[str]


class JobProgress(WireModel):
    job_id: str
    progress: str | None = None
    incre_trans_delay: str | None = None
    """Replication delay in seconds (the RPO of a DR task); `-1` when unknown."""
    transfer_status: str | None = None
    error_code: str | None = None
    error_msg: str | None = None


class BatchProgressResponse(WireModel):
    count: int = 0
    results: list[JobProgress] = Field(default_factory=list)


# --- batch-retry-task / batch-jobs DELETE -----------------------------------------------------


class RetryInfo(WireModel):
    job_id: str
    is_sync_re_edit: bool | None = None


class BatchRetryTaskRequest(WireModel):
    jobs: list[RetryInfo]


DeleteType = Literal["terminate", "force_terminate", "delete"]


class DeleteInfo(WireModel):
    delete_type: DeleteType
    job_id: str


class BatchDeleteJobsRequest(WireModel):
    jobs: list[DeleteInfo]


class ActionResult(WireModel):
    """One item of a batch-retry-task or batch-jobs answer."""

    id: str
    status: str = "failed"
    error_code: str | None = None
    error_msg: str | None = None


class BatchActionResponse(WireModel):
    count: int = 0
    results: list[ActionResult] = Field(default_factory=list)


# --- errors ---------------------------------------------------------------------------------------


class ErrorBody(WireModel):
    """Top-level error body of DRS and the API gateway."""

    error_code: str | None = None
    error_msg: str | None = None
    request_id: str | None = None


# --- IAM ------------------------------------------------------------------------------------------


class IamDomain(WireModel):
    name: str


class IamUser(WireModel):
    name: str
    password: str = Field(repr=False)
    domain: IamDomain


class IamPassword(WireModel):
    user: IamUser


class IamIdentity(WireModel):
    methods: list[str] = Field(default_factory=lambda: ["password"])
    password: IamPassword


class IamProjectScope(WireModel):
    name: str


class IamScope(WireModel):
    project: IamProjectScope


class IamAuth(WireModel):
    identity: IamIdentity
    scope: IamScope


class IamTokenRequest(WireModel):
    """`POST /v3/auth/tokens`: the token comes back in the `X-Subject-Token` header."""

    auth: IamAuth


class IamToken(WireModel):
    expires_at: str
    issued_at: str | None = None


class IamTokenResponse(WireModel):
    token: IamToken


class IamProject(WireModel):
    id: str
    name: str


class IamProjectsResponse(WireModel):
    """`GET /v3/projects?name=<region>`."""

    projects: list[IamProject] = Field(default_factory=list)

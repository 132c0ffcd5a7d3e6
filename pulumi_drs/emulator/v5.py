"""DRS API v5 over the backend: the v5 routes, and the serializers of jobs into the v5 wire models.

The only emulator module that knows v5 paths and v5 field names (the models of `pulumi_drs.api.v5.wire`,
named as the official SDK `huaweicloudsdkdrs.v5.model` names them). It serves the same backend, and so the
same jobs, as `v3`: a job started through one version reads as started through the other. Sources as in
`rules`; "research" is the v5 fact sheet behind this module (HWC pages, SDK, TF).

Choices where the documentation is silent (each a GUESS):
- jobs/action answers in one of its two documented forms, as the run-time setting `v5_action_answer` says
  (HWC drs_03_0179 documents both without saying which action gets which). `sync` (the default): 200 with an
  SDK ActionBaseResp per job (`id`, `name`, `status` success|failed, `error_code`, `error_msg`); TF
  executeJobAction requires `status == "success"` after start, stop, restart and reset (research §1,
  INFERRED); the SDK's BatchExecuteJobActionsResponse models only the other form, so SDK users read these
  fields from the raw body. `async`: 202 (OTC appendix/http_status_codes_for_general_requests.rst: "Asynchronous
  requests (such as performing a task) are submitted successfully") with an SDK AsyncActionResp per job
  (`query_id`, `id`, `name`), every job included: AsyncActionResp has no error field, so a refusal shows in
  the query's progress. A start or restart so accepted is still under way at the answer (OTC
  appendix/status_code.rst, 202: "accepted, but the processing has not been completed"): the job keeps its
  status, with `job_action.current_action` START or RETRY, until its next step (`rules.ACTING`).
- ShowTaskExecuteProgress (`GET jobs/{async_job_id}/progress`, the SDK's "查询异步任务执行进度") answers 200
  with SDK ShowTaskExecuteProgressResponse (`status`, `progress`, `error_code`, `error_message`); the SDK lists
  no status values, so the emulator answers `pending`, `success` or `failed` (`rules.ACTION_STATES`): a
  refused action failed with its refusal's code; an accepted one follows its job (`rules.action_progress`),
  a start whose job ends in START_JOB_FAILED failing with the job's DRS.M05066. Reading it is a status read
  of the job. The query `type` ("查询异步任务类型") is accepted and ignored; a query the emulator does not know
  (it keeps them in memory only) is 400 DRS.10000010.
- The actions follow their v3 twins and `rules.JOB_ACTIONS`: `start` as batch-starting (`start_time` in
  epoch milliseconds schedules it), `restart` as batch-retry-task, `terminate` as batch-jobs terminate
  (`force_delete` true forces it); `stop` pauses at once (PAUSING, TF's wait target) from the statuses the
  v3 pause page allows, *_TRANSFER_FAILED included; `reset` starts a failed task over, its required
  pre-check counted as passed.
- A job DRS does not know fails its item, and ShowActions and ShowJobDetail, with v5's DRS.10000010 (HWC
  drs_03_0179; TF maps it to "not found"). An action the emulator does not serve (`precheck`, `network`,
  ...) fails its item with DRS.10000001 "Failed." (HWC's generic v5 example). Every other refusal carries
  v3's code (DRS.M00304 status, DRS.M01504 busy, DRS.M05004 released, DRS.M00307 parent task, DRS.M00301
  a job named twice: the whole request), as no v5 page lists them (see `exceptions`).
- ListJobs: `job_type` missing is 400 DRS.M00201, unknown DRS.M00202; more than 10 IDs in `name` is
  DRS.M00202; `limit` defaults to 10 and may be 1 to 1000 (DRS.M00210 / DRS.M00211 beyond), and the
  run-time `max_per_page` may answer fewer; an offset past the last task answers an empty page (TF pages
  until one). `enterprise_project_id`, `instance_ids` and `instance_ip` are accepted and ignored (every
  emulated task is in the default enterprise project and has no instances). `create_time` is epoch
  milliseconds as a string (the SDK says "timestamp"). `sort_key`/`sort_dir` default to the documented
  create_time desc (ties: creation order); an undocumented key or direction is 400 DRS.M00202. A task
  with subtasks is `job_mode` sync_child, `job_mode_role` parent, its subtasks sync_child/child; any other
  task is `single`.
- ShowJobDetail serves `type=detail` only (another type is 400 DRS.M00202; none is DRS.M00201).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from pulumi_drs.api.v5 import wire
from pulumi_drs.emulator import exceptions as exc
from pulumi_drs.emulator import rules
from pulumi_drs.emulator.backend import DrsBackend
from pulumi_drs.emulator.bodies import epoch_ms, json_answer, parse_body
from pulumi_drs.emulator.config import V5_ACTION_ANSWERS
from pulumi_drs.emulator.items import ActionItem, Found, Listed, Outcome, Progress, StopItem
from pulumi_drs.emulator.jobs import Job
from pulumi_drs.emulator.paging import JobQuery

JOBS = "/v5/{project_id}/jobs"
_ASYNC = V5_ACTION_ANSWERS[1]
_DETAIL_TYPES = ("detail",)
_ENTERPRISE_PROJECT = "0"
"""SDK JobBaseInfo.enterprise_project_id: "0" is the default enterprise project."""
_EXPIRED_DAYS = "14"
"""SDK JobBaseInfo.expired_days: 14 unless set (a string in the SDK)."""
_SINGLE: tuple[str, str | None] = ("single", None)
_PARENT: tuple[str, str | None] = ("sync_child", "parent")
_CHILD: tuple[str, str | None] = ("sync_child", "child")
"""SDK JobListResp (job_mode, job_mode_role) of a plain task, a parent task and a subtask."""


def v5_router(backend: DrsBackend) -> APIRouter:
    router = APIRouter()

    @router.post(f"{JOBS}/action")  # HWC drs_03_0179: 200 with a result, or 202 with a query, per job
    async def batch_execute_job_actions(project_id: str, request: Request) -> JSONResponse:
        body = await parse_body(request, wire.BatchJobActionReq)
        asynchronous = backend.settings.v5_action_answer == _ASYNC
        items = [_action(req) for req in body.jobs]
        outcomes = backend.batch_execute_job_actions(project_id, items, asynchronous=asynchronous)
        if asynchronous:
            return json_answer(202, wire.BatchExecuteJobActionsResponse(jobs=_queries(outcomes)))
        return json_answer(200, wire.BatchExecuteJobActionsResponse(jobs=_results(outcomes)))

    @router.get(f"{JOBS}/{{async_job_id}}/progress")  # SDK ShowTaskExecuteProgress (see the module docstring)
    async def show_task_execute_progress(
        project_id: str, async_job_id: str, _type: str | None = Query(default=None, alias="type")
    ) -> JSONResponse:
        progress = backend.show_task_execute_progress(project_id, async_job_id)
        if progress is None:
            raise exc.JobNotExist(f"No asynchronous task {async_job_id}.")
        return json_answer(200, _progress(progress))

    @router.post(f"{JOBS}/batch-stop")  # HWC drs_03_0201: 200, ActionBaseResp per job
    async def batch_stop_jobs_action(project_id: str, request: Request) -> JSONResponse:
        body = await parse_body(request, wire.BatchStopJobActionReq)
        items = [StopItem(info.job_id, bool(info.is_force_stop)) for info in body.jobs]
        outcomes = backend.batch_stop_jobs_action(project_id, items)
        return json_answer(200, wire.BatchStopJobsActionResponse(jobs=_results(outcomes)))

    @router.get(JOBS)  # HWC drs_03_0159
    async def list_jobs(
        project_id: str,
        job_type: str | None = None,
        name: str | None = None,
        status: str | None = None,
        engine_type: str | None = None,
        net_type: str | None = None,
        offset: int = 0,
        limit: int = rules.LIST_DEFAULT_LIMIT,
        sort_key: str = "create_time",
        sort_dir: str = "desc",
    ) -> JSONResponse:
        query = JobQuery(job_type, name, status, engine_type, net_type, offset, limit, sort_key, sort_dir)
        listing = backend.list_jobs(project_id, query)
        jobs = [_job_list_resp(listed) for listed in listing.jobs]
        return json_answer(200, wire.ListJobsResponse(total_count=listing.total, jobs=jobs))

    @router.get(f"{JOBS}/{{job_id}}/actions")  # HWC drs_03_0195: 200
    async def show_actions(project_id: str, job_id: str) -> JSONResponse:
        job = _known(backend.show_actions(project_id, job_id))
        return json_answer(200, wire.ShowActionsResponse(job_action=_job_action(job)))

    @router.get(f"{JOBS}/{{job_id}}")  # TF GetJobV5Detail reads `job.status` of `?type=detail`
    async def show_job_detail(
        project_id: str, job_id: str, detail_type: str | None = Query(default=None, alias="type")
    ) -> JSONResponse:
        _check_detail_type(detail_type)
        job = _known(backend.show_job_detail(project_id, job_id))
        return json_answer(200, wire.ShowJobDetailResponse(job=_detail(job)))

    return router



# --- requests into backend arguments ------------------------------------------------------------


def _action(req: wire.ActionReq) -> ActionItem:
    params = req.action_params or wire.ActionParams()
    return ActionItem(
        req.job_id, req.action_name, params.start_time, bool(params.is_sync_re_edit), bool(params.force_delete)
    )


def _check_detail_type(value: str | None) -> None:
    if not value:  # GO ShowJobDetailRequest: `type` is not optional
        raise exc.ParameterEmpty("type cannot be empty.")
    if value not in _DETAIL_TYPES:
        raise exc.ParameterInvalid(f"type {value!r} is not served by the emulator: use {', '.join(_DETAIL_TYPES)}.")


# --- results into v5 answers --------------------------------------------------------------------



def _v5_error(error: exc.EmulatorError) -> exc.EmulatorError:
    """v5's code for a job DRS does not know; every other error as v3 has it."""
    return exc.JobNotExist() if isinstance(error, exc.JobNotFound) else error


def _known(found: Found) -> Job:
    if found.job is None:
        raise exc.JobNotExist()
    return found.job


def _results(outcomes: list[Outcome]) -> list[wire.ActionResult]:
    return [_result(outcome) for outcome in outcomes]


def _result(outcome: Outcome) -> wire.ActionResult:
    """SDK ActionBaseResp: `success`, or `failed` with the error."""
    if outcome.error is None:
        return wire.ActionResult(id=outcome.job_id, name=outcome.name, status="success")
    error = _v5_error(outcome.error)
    return wire.ActionResult(
        id=outcome.job_id, name=outcome.name, status="failed", error_code=error.code, error_msg=error.error_msg
    )


def _queries(outcomes: list[Outcome]) -> list[wire.ActionResult]:
    """SDK AsyncActionResp: the query of each job's action, refused or not (the progress says which)."""
    return [wire.ActionResult(id=o.job_id, name=o.name, query_id=o.query_id) for o in outcomes]


def _progress(progress: Progress) -> wire.ShowTaskExecuteProgressResponse:
    """SDK ShowTaskExecuteProgressResponse."""
    error = None if progress.error is None else _v5_error(progress.error)
    return wire.ShowTaskExecuteProgressResponse(
        status=progress.status,
        progress=progress.progress,
        error_code=error.code if error else None,
        error_message=error.error_msg if error else None,
    )


def _job_action(job: Job) -> wire.JobActions:
    """SDK JobActions, from the one table of what each status allows (`rules.JOB_ACTIONS`)."""
    available = rules.available_actions(job.status)
    return wire.JobActions(
        available_actions=available,
        unavailable_actions=[action for action in rules.CAPABILITIES if action not in available],
        current_action=rules.current_action(job.status, job.acting),
    )


def _base(job: Job) -> dict[str, Any]:
    """The fields SDK JobBaseInfo, JobListResp and ChildrenJobListResp share."""
    return {
        "name": job.name,
        "job_type": job.db_use_type,
        "engine_type": rules.engine_type_v5(job.db_use_type),
        "job_direction": job.job_direction,
        "task_type": job.task_type,
        "net_type": rules.NET_TYPE,
        "charging_mode": rules.CHARGING_MODE,
        "enterprise_project_id": _ENTERPRISE_PROJECT,
        "description": "",
    }


def _listed(job: Job, mode: tuple[str, str | None]) -> dict[str, Any]:
    """SDK JobListResp and ChildrenJobListResp, but for `children`."""
    job_mode, job_mode_role = mode
    return {
        **_base(job),
        "id": job.id,
        "status": job.status,
        "create_time": epoch_ms(job.create_time),
        "billing_tag": False,  # GUESS: emulated tasks are not billed
        "job_mode": job_mode,
        "job_mode_role": job_mode_role,
        "is_multi_az": False,
        "node_role": "",
        "node_new_framework": False,
        "job_action": _job_action(job),
    }


def _job_list_resp(listed: Listed) -> wire.JobListResp:
    children = [wire.ChildrenJobListResp(**_listed(child, _CHILD)) for child in listed.children]
    return wire.JobListResp(**_listed(listed.job, _PARENT if children else _SINGLE), children=children)


def _detail(job: Job) -> wire.JobDetailResp:
    """SDK JobDetailResp of `type=detail`: the task's status and basic information."""
    base_info = wire.JobBaseInfo(
        **_base(job),
        multi_write=job.multi_write,
        start_time=epoch_ms(job.scheduled_start),
        expired_days=_EXPIRED_DAYS,
        is_open_fast_clean=False,
    )
    return wire.JobDetailResp(
        id=job.id,
        status=job.status,
        create_time=epoch_ms(job.create_time),
        base_info=base_info,
        job_kernel_direction=job.job_direction,
    )

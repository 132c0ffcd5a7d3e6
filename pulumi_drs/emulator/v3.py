"""DRS API v3 over the backend: the v3 routes, and the serializers of jobs into the v3 wire models.

The only emulator module that knows v3 paths and v3 field names (the models of `pulumi_drs.api.v3.wire`,
named as the official SDK names them). A route parses its body into the request model, calls the backend
method of the same SDK name with plain values, and answers the result with the status DRS documents.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from pulumi_drs.api.v3 import wire
from pulumi_drs.emulator import exceptions as exc
from pulumi_drs.emulator import rules
from pulumi_drs.emulator.backend import DrsBackend
from pulumi_drs.emulator.bodies import epoch_ms, json_answer, parse_body
from pulumi_drs.emulator.items import DeleteItem, Found, Listed, Outcome, RetryItem, StartItem
from pulumi_drs.emulator.jobs import Job
from pulumi_drs.emulator.paging import JobFilter, Page

JOBS = "/v3/{project_id}/jobs"
Item = TypeVar("Item", bound=wire.WireModel)
_ACTIONS = tuple(action for action in rules.CAPABILITIES if action != rules.RESET)
"""SDK JobActionResp.available_actions: the capabilities of the operations the emulator serves in v3 (it
serves no v3 reset)."""
_CHECK_POINT = "mysql-bin.000001:4"
"""GUESS: a binlog position in the form of the HWC drs_03_0117 example."""


def v3_router(backend: DrsBackend) -> APIRouter:
    router = APIRouter()

    @router.post(f"{JOBS}/batch-starting")  # API starting_tasks_in_batches.rst: 202, failures per item
    async def batch_start_jobs(project_id: str, request: Request) -> JSONResponse:
        body = await parse_body(request, wire.BatchStartJobReq)
        items = [StartItem(info.job_id, info.start_time) for info in body.jobs]
        return json_answer(202, _answer(backend.batch_start_jobs(project_id, items)))

    @router.post(f"{JOBS}/batch-status")
    async def batch_list_job_status(project_id: str, request: Request) -> JSONResponse:
        body = await parse_body(request, wire.BatchQueryJobReqPage)
        found = backend.batch_list_job_status(project_id, body.jobs, _page(body))
        results = _items(wire.QueryJobStatusResp, found, _status)
        return json_answer(200, wire.BatchListJobStatusResponse(count=len(results), results=results))

    @router.post(f"{JOBS}/batch-detail")
    async def batch_list_job_details(project_id: str, request: Request) -> JSONResponse:
        body = await parse_body(request, wire.BatchQueryJobReqPage)
        found = backend.batch_list_job_details(project_id, body.jobs, _page(body))
        answer = wire.BatchListJobDetailsResponse(count=len(found), results=_items(wire.QueryJobResp, found, _detail))
        if all(f.job is None for f in found):  # TF resourceJobRead: a 400 with the batch body
            raise exc.BatchRejected(answer.to_wire())
        return json_answer(200, answer)

    @router.post(f"{JOBS}/batch-progress")  # API querying_task_progress_in_batches.rst: 202
    async def batch_list_progresses(project_id: str, request: Request) -> JSONResponse:
        body = await parse_body(request, wire.BatchQueryJobReq)
        results = _items(wire.QueryProgressResp, backend.batch_list_progresses(project_id, body.jobs), _progress)
        return json_answer(202, wire.BatchListProgressesResponse(count=len(results), results=results))

    @router.post(f"{JOBS}/batch-rpo-and-rto")  # HWC drs_03_0117: 202
    async def batch_list_rpos_and_rtos(project_id: str, request: Request) -> JSONResponse:
        body = await parse_body(request, wire.BatchQueryJobReq)
        results = _items(wire.QueryRpoAndRtoResp, backend.batch_list_rpos_and_rtos(project_id, body.jobs), _rpo)
        return json_answer(202, wire.BatchListRposAndRtosResponse(count=len(results), results=results))

    @router.post(f"{JOBS}/batch-retry-task")  # API resuming_or_retrying_tasks_in_batches.rst: 200
    async def batch_restore_task(project_id: str, request: Request) -> JSONResponse:
        body = await parse_body(request, wire.BatchRetryReq)
        items = [RetryItem(info.job_id, bool(info.is_sync_re_edit)) for info in body.jobs]
        return json_answer(200, _answer(backend.batch_restore_task(project_id, items)))

    @router.delete(f"{JOBS}/batch-jobs")  # API stopping_or_deleting_tasks_in_batches.rst: 202
    async def batch_delete_jobs(project_id: str, request: Request) -> JSONResponse:
        body = await parse_body(request, wire.BatchDeleteJobReq)
        items = [DeleteItem(info.job_id, info.delete_type) for info in body.jobs]
        return json_answer(202, _answer(backend.batch_delete_jobs(project_id, items)))

    @router.post(JOBS)  # API querying_tasks_of_a_tenant.rst: 200
    async def show_job_list(project_id: str, request: Request) -> JSONResponse:
        body = await parse_body(request, wire.QueryJobsReq)
        listing = backend.show_job_list(project_id, _filter(body))
        jobs = [_job_info(listed) for listed in listing.jobs]
        return json_answer(200, wire.ShowJobListResponse(total_record=listing.total, jobs=jobs))

    return router



# --- requests into backend arguments ------------------------------------------------------------


def _page(body: wire.BatchQueryJobReqPage) -> Page:
    page = body.page_req or wire.PageReq()
    return Page(page.cur_page, page.per_page)


def _filter(body: wire.QueryJobsReq) -> JobFilter:
    return JobFilter(
        page=Page(body.cur_page, body.per_page),
        name=body.name,
        db_use_type=body.db_use_type,
        engine_type=body.engine_type,
        net_type=body.net_type,
        status=body.status,
    )


# --- results into v3 answers --------------------------------------------------------------------



def _clock_time(epoch_seconds: float) -> str:
    """`yyyy-MM-dd HH:mm:ss`, UTC (SDK RpoAndRtoInfo.time; no source gives the zone)."""
    return datetime.fromtimestamp(epoch_seconds, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _answer(outcomes: list[Outcome]) -> wire.BatchAnswer:
    """SDK StartJobResp, RetryTaskResp, DeleteJobResp: `success`, or `failed` with the error."""
    results = [
        wire.BatchItem(id=o.job_id, status="success")
        if o.error is None
        else wire.BatchItem(id=o.job_id, status="failed", error_code=o.error.code, error_msg=o.error.error_msg)
        for o in outcomes
    ]
    return wire.BatchAnswer(count=len(results), results=results)


_UNKNOWN_FIELDS: dict[type[wire.WireModel], tuple[str, str]] = {
    wire.QueryJobStatusResp: ("id", "error_message"),
    wire.QueryJobResp: ("id", "error_message"),
    wire.QueryProgressResp: ("job_id", "error_msg"),
    wire.QueryRpoAndRtoResp: ("job_id", "error_msg"),
}
"""Each query item's names for the job id and the error message (SDK: they differ by operation)."""


def _unknown(model: type[Item], found: Found) -> Item:
    """The item of a job DRS does not know: its id and the lookup's error."""
    error = found.error or exc.JobNotFound()
    id_field, message_field = _UNKNOWN_FIELDS[model]
    return model.model_validate({id_field: found.job_id, "error_code": error.code, message_field: error.error_msg})


def _items(model: type[Item], found: list[Found], known: Callable[[Job, float], Item]) -> list[Item]:
    """One item per job asked about: `known(job, when the backend looked)`, or the unknown job's error."""
    return [_unknown(model, f) if f.job is None else known(f.job, f.at) for f in found]


def _status(job: Job, at: float) -> wire.QueryJobStatusResp:
    return wire.QueryJobStatusResp(
        id=job.id, status=job.status, error_code=job.error_code, error_message=job.error_message
    )


def _detail(job: Job, at: float) -> wire.QueryJobResp:
    return wire.QueryJobResp(
        **_common(job),
        parent_id=job.parent_id,
        update_time=epoch_ms(job.update_time),
        actual_start_time=epoch_ms(job.actual_start_time),
        full_transfer_complete_time=epoch_ms(job.full_transfer_complete_time),
        inst_info=wire.InstInfo(
            engine_type=rules.engine_type(job.db_use_type), start_time=epoch_ms(job.scheduled_start) or "0"
        ),
        original_job_direction=job.job_direction,
        job_kernel_direction=job.job_direction,
        multi_write=job.multi_write,
        is_multi_az=False,
        children=[],
        error_code=job.error_code,
        error_message=job.error_message,
    )


def _common(job: Job) -> dict[str, Any]:
    """The fields batch-detail and the task list share."""
    return {
        "id": job.id,
        "name": job.name,
        "status": job.status,
        "description": "",
        "create_time": epoch_ms(job.create_time),
        "net_type": rules.NET_TYPE,
        "job_direction": job.job_direction,
        "db_use_type": job.db_use_type,
        "task_type": job.task_type,
    }


def _progress(job: Job, at: float) -> wire.QueryProgressResp:
    return wire.QueryProgressResp(
        job_id=job.id,
        progress=rules.PROGRESS.get(job.status, "0"),
        incre_trans_delay=str(job.rpo),
        incre_trans_delay_millis=str(job.rpo * 1000),
        transfer_status=job.status,
        task_mode=job.task_type,
        process_time=epoch_ms(job.update_time),
        error_code=job.error_code,
        error_msg=job.error_message,
    )


def _rpo(job: Job, at: float) -> wire.QueryRpoAndRtoResp:
    """SDK QueryRpoAndRtoResp; `delay` in milliseconds (HWC drs_03_0117, TF drs_batch_rpos_and_rtos docs)."""
    when = _clock_time(at)
    rpo, rto = (
        wire.RpoAndRtoInfo(check_point=_CHECK_POINT, delay=str(seconds * 1000), gtid_set="NA", time=when)
        for seconds in (job.rpo, job.rto)
    )
    return wire.QueryRpoAndRtoResp(job_id=job.id, rpo_info=rpo, rto_info=rto)


def _job_info(listed: Listed) -> wire.JobInfo:
    children = [wire.ChildrenJobInfo(**_listed(child), error_msg=child.error_message) for child in listed.children]
    return wire.JobInfo(**_listed(listed.job), children=children)


def _listed(job: Job) -> dict[str, Any]:
    """SDK JobInfo and ChildrenJobInfo; create_time as in the API querying_tasks_of_a_tenant.rst example."""
    available = rules.available_actions(job.status, _ACTIONS)
    action = wire.JobActionResp(
        available_actions=available,
        unavailable_actions=[a for a in _ACTIONS if a not in available],
        current_action="",  # SDK JobActionResp.current_action names only SWITCH_OVER and STOP_JOB
    )
    fields = _common(job)
    fields.update(
        create_time=_clock_time(job.create_time),
        engine_type=rules.engine_type(job.db_use_type),
        billing_tag=False,  # GUESS: emulated tasks are not billed
        job_action=action,
    )
    return fields

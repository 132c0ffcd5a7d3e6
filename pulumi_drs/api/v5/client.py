"""DRS API v5: one method per documented operation pulumi-drs uses, named as the official SDK names
them, and the version-neutral `DrsApi` on top of them.

Statuses come from the job list (ListJobs: one job type per call, at most 10 IDs per filter), which also
says what DRS allows for each job now (`job_action.available_actions`); a job the list does not show
is asked for by ShowJobDetail, whose DRS.10000010 is v5's documented "no such job". Actions go through
BatchExecuteJobActions (`start`, `restart`), ends through BatchStopJobsAction. v5 has no RPO/RTO
operation: lags come from v3's batch-rpo-and-rto, which the SDK does not deprecate.

BatchExecuteJobActions answers in either of two forms (SDK ActionBaseResp: a result per job; SDK
AsyncActionResp: a `query_id` per job, "异步操作任务响应查询ID"). A job answered with a query is judged by that
query's progress, read once right after the answer (ShowTaskExecuteProgress): failed, the outcome says so
with DRS's code; pending or done, the start counts as accepted, and the job's status tells the rest (a start
that fails later shows START_JOB_FAILED). A progress that cannot be read leaves the acceptance standing:
the request did reach DRS, and a second one must not follow.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlencode

from pulumi_drs import semantics
from pulumi_drs.api.base import Act, JobDetail, JobView, Lag, Outcome, chunks, missing_from, unique
from pulumi_drs.api.transport import Transport
from pulumi_drs.api.v3.client import MISSING, TERMINATE, V3Client, by_job, fit_items
from pulumi_drs.api.v5 import wire
from pulumi_drs.api.writes import WriteOp, send_once
from pulumi_drs.errors import DrsError, JobNotFoundError

log = logging.getLogger("pulumi_drs.api.v5")

NOT_LISTED = "DRS v5's job list does not show this job"
_JOB_TYPES: dict[str, str] = {}
"""The job type the list showed each job under, for the process: later reads ask that type, not all three."""
Listed = wire.JobListResp | wire.ChildrenJobListResp
NOT_FOUND_CODE = "DRS.10000010"
"""v5's "Job does not exist, please check job ID" (HWC drs_03_0179; TF resource_huaweicloud_drs_job_v5.go)."""
PENDING, SUCCEEDED, FAILED = "pending", "success", "failed"
"""SDK ShowTaskExecuteProgressResponse.status ("任务状态") lists no values. GUESS (docs/drs-semantics.md): those
of v5's other answer read by a query ID, HWC drs_03_0211 (data-processing-rules/result: pending, failed,
success), as TF waitForUpdateDataProcessingRulesCompleted reads them; any other value fails loudly."""


def _start_done(view: JobView) -> bool:
    """A start may have arrived: the job left CONFIGURATION, DRS is starting it, or no longer offers START."""
    return (view.status != "CONFIGURATION" or view.current_action == "START"
            or (view.actions is not None and "START" not in view.actions))


def _under_way(view: JobView) -> bool:
    return semantics.under_way(view.status) or view.current_action == "START"


_START = WriteOp("start", _start_done, _under_way)
_RESTART = WriteOp("restart", lambda _view: True, _under_way)
"""As v3's batch-retry-task: a lost restart answer is never followed by a second request."""
_STOP = WriteOp("batch-stop", TERMINATE.done, TERMINATE.succeeded)


class V5Client:
    version = "v5"

    def __init__(self, transport: Transport, project_id: str) -> None:
        self.transport = transport
        self.settings = transport.settings
        self._base = f"{self.settings.endpoint}/v5/{project_id}/jobs"
        self._v3 = V3Client(transport, project_id)
        self._job_types = _JOB_TYPES

    def close(self) -> None:
        self.transport.close()

    # --- DRS v5 operations, as the SDK names them ------------------------------------------------

    def batch_execute_job_actions(self, op: WriteOp, actions: Sequence[wire.ActionReq]) -> dict[str, Outcome]:
        """`POST /v5/{project_id}/jobs/action`: 200 with a result per job, or 202 (accepted) with a `query_id` per
        job, whose progress decides the job's outcome (see the module docstring)."""
        items = by_job(actions)

        def send(pending: list[str]) -> dict[str, Outcome]:
            body = wire.BatchJobActionReq(jobs=[items[j] for j in pending]).to_wire()
            raw = self.transport.write("POST", f"{self._base}/action", body, "jobs/action", batch_key="jobs")
            answered = _items(raw, "jobs/action")
            queries = {j: query for j, item in answered.items() if j in pending and (query := _query_of(item))}
            return {**_outcomes(answered, [j for j in pending if j not in queries]), **self._by_progress(queries)}

        return send_once(self.transport, op, [a.job_id for a in actions], send, self.read_statuses)

    def batch_stop_jobs_action(self, jobs: Sequence[wire.StopJobActionInfo]) -> dict[str, Outcome]:
        """`POST /v5/{project_id}/jobs/batch-stop` (200): end the jobs (terminate), not pause them."""
        items = by_job(jobs)

        def send(pending: list[str]) -> dict[str, Outcome]:
            body = wire.BatchStopJobActionReq(jobs=[items[j] for j in pending]).to_wire()
            raw = self.transport.write("POST", f"{self._base}/batch-stop", body, "jobs/batch-stop", batch_key="jobs")
            return _outcomes(_items(raw, "jobs/batch-stop"), pending)

        return send_once(self.transport, _STOP, [j.job_id for j in jobs], send, self.read_statuses)

    def list_jobs(self, job_type: str, job_ids: Sequence[str]) -> list[wire.JobListResp]:
        """`GET /v5/{project_id}/jobs?job_type=&name=<up to 10 IDs>`, every page (offset/limit)."""
        found: list[wire.JobListResp] = []
        offset = 0
        while True:
            query = urlencode({"job_type": job_type, "name": ",".join(job_ids), "offset": offset,
                               "limit": wire.LIST_LIMIT})
            raw = self.transport.read("GET", f"{self._base}?{query}", None, "jobs (list)", batch_key="jobs")
            page = fit_items(wire.JobListResp, raw, "jobs (list)", "jobs")
            found += page
            offset += len(page)
            if not page or offset >= int(raw.get("total_count") or 0):
                return found

    def show_job_detail(self, job_id: str) -> wire.JobDetailResp | None:
        """`GET /v5/{project_id}/jobs/{job_id}?type=detail` (SDK ShowJobDetailRequest.type; TF
        resource_huaweicloud_drs_job_v5.go GetJobV5Detail); None when DRS says there is no such job."""
        try:
            raw = self.transport.read("GET", f"{self._base}/{job_id}?type=detail", None, "jobs/{id} (detail)")
        except JobNotFoundError:
            return None
        return wire.ShowJobDetailResponse.model_validate(raw).job

    def show_task_execute_progress(self, async_job_id: str) -> wire.ShowTaskExecuteProgressResponse | None:
        """`GET /v5/{project_id}/jobs/{async_job_id}/progress` (SDK ShowTaskExecuteProgress, "查询异步任务执行进度");
        None when DRS says it knows no such query."""
        url = f"{self._base}/{quote(async_job_id, safe='')}/progress"
        try:
            raw = self.transport.read("GET", url, None, "jobs/{async_job_id}/progress")
        except JobNotFoundError:
            return None
        return wire.ShowTaskExecuteProgressResponse.model_validate(raw)

    # --- DrsApi ---------------------------------------------------------------------------------

    def read_statuses(self, job_ids: Sequence[str]) -> dict[str, JobView]:
        listed = self._listed(job_ids)
        views = {j: _view(listed[j]) for j in unique(job_ids) if j in listed}
        for job_id in missing_from(listed, job_ids):
            views[job_id] = self._view_by_detail(job_id)
        return {j: views[j] for j in unique(job_ids)}

    def read_details(self, job_ids: Sequence[str]) -> dict[str, JobDetail]:
        """From the job list (task type, subtasks, direction); ShowJobDetail only for DR jobs, the one
        place v5 says `multi_write`, and for jobs the list does not show."""
        listed = self._listed(job_ids)
        out = {}
        for job_id in unique(job_ids):
            item = listed.get(job_id)
            if item is not None and item.job_type != "cloudDataGuard":
                children = item.children if isinstance(item, wire.JobListResp) else None
                out[job_id] = JobDetail(job_id, item.status, item.task_type, tuple(c.id for c in children or []),
                                        False, item.job_direction, item.job_type)
                continue
            out[job_id] = self._detail(job_id, item)
        return out

    def _detail(self, job_id: str, item: Listed | None) -> JobDetail:
        detail = self.show_job_detail(job_id)
        if detail is None:
            return JobDetail(job_id, error_code=NOT_FOUND_CODE, error_message="Job does not exist")
        base = detail.base_info or wire.JobBaseInfo()
        children = item.children if isinstance(item, wire.JobListResp) else None
        return JobDetail(job_id, detail.status, base.task_type, tuple(c.id for c in children or []),
                         base.multi_write, base.job_direction, base.job_type)

    def read_lags(self, job_ids: Sequence[str]) -> dict[str, Lag]:
        return self._v3.read_lags(job_ids)

    def act(self, act: Act, job_ids: Sequence[str], start_time: str | None = None) -> dict[str, Outcome]:
        if act is Act.TERMINATE:
            return self.batch_stop_jobs_action([wire.StopJobActionInfo(job_id=j) for j in job_ids])
        if act is Act.START:
            params = wire.ActionParams(start_time=start_time) if start_time else None
            return self.batch_execute_job_actions(_START, [wire.ActionReq(job_id=j, action_name="start",
                                                                          action_params=params) for j in job_ids])
        params = wire.ActionParams(is_sync_re_edit=True) if act is Act.RETRY_RE_EDIT else None
        return self.batch_execute_job_actions(_RESTART, [wire.ActionReq(job_id=j, action_name="restart",
                                                                        action_params=params) for j in job_ids])

    # --- helpers --------------------------------------------------------------------------------

    def _listed(self, job_ids: Sequence[str]) -> dict[str, Listed]:
        """The jobs as the list shows them: a job listed before only under its type (a job's type never
        changes: docs/drs-semantics.md), a job never listed under each type until it is found."""
        found: dict[str, Listed] = {}
        wanted = unique(job_ids)
        for job_type in wire.JOB_TYPES:
            known = [j for j in wanted if self._job_types.get(j) == job_type]
            found.update(self._list_of_type(job_type, known))
        for job_type in wire.JOB_TYPES:
            rest = [j for j in wanted if j not in found and j not in self._job_types]
            if not rest:
                break
            found.update(self._list_of_type(job_type, rest))
        return found

    def _list_of_type(self, job_type: str, job_ids: list[str]) -> dict[str, Listed]:
        """The jobs the list shows, at the top or as a subtask of a listed task (no source says which)."""
        found: dict[str, Listed] = {}
        for chunk in chunks(job_ids, wire.MAX_IDS_PER_LIST):
            for item in self.list_jobs(job_type, chunk):
                entries: list[Listed] = [item, *(item.children or [])]
                for entry in entries:
                    if entry.id in chunk:
                        found.setdefault(entry.id, entry)
                        self._job_types[entry.id] = job_type
        return found

    def _by_progress(self, queries: dict[str, str]) -> dict[str, Outcome]:
        """The outcome of each job DRS answered with a query, from that query's progress (each read once)."""
        read = {query: self._progress_of(query) for query in dict.fromkeys(queries.values())}
        return {job_id: _progress_outcome(job_id, query, *read[query]) for job_id, query in queries.items()}

    def _progress_of(self, query_id: str) -> tuple[wire.ShowTaskExecuteProgressResponse | None, str]:
        """The query's progress, or None and why not; never an error: DRS did accept the request."""
        try:
            progress = self.show_task_execute_progress(query_id)
        except DrsError as exc:
            log.warning("pulumi-drs: the progress of DRS query %s could not be read: %s", query_id, exc.brief())
            return None, exc.brief()
        return progress, "DRS says it knows no such query" if progress is None else ""

    def _view_by_detail(self, job_id: str) -> JobView:
        detail = self.show_job_detail(job_id)
        if detail is None:
            return JobView(job_id, error_code=NOT_FOUND_CODE, error_message="Job does not exist")
        if detail.status is None:
            return JobView(job_id, error_message=NOT_LISTED)
        return JobView(job_id, detail.status)


def _view(item: Listed) -> JobView:
    action = item.job_action
    actions = tuple(action.available_actions) if action and action.available_actions is not None else None
    return JobView(item.id, item.status, actions=actions, current_action=action.current_action if action else None)


def _items(raw: dict[str, Any], operation: str) -> dict[str, wire.ActionResult]:
    """The answer's items by job, the first one where a job is answered twice."""
    return {i.id: i for i in reversed(fit_items(wire.ActionResult, raw, operation, "jobs"))}


def _query_of(item: wire.ActionResult) -> str | None:
    """SDK AsyncActionResp: the query of a job accepted asynchronously, with no result of its own; else None."""
    return item.query_id if item.status is None else None


def _outcomes(items: dict[str, wire.ActionResult], job_ids: list[str]) -> dict[str, Outcome]:
    """The outcome of each job from its SDK ActionBaseResp: `success`, or refused with DRS's code."""
    out = {}
    for job_id in job_ids:
        item = items.get(job_id)
        if item is None:
            out[job_id] = Outcome(job_id, False, error_message=f"{MISSING}: check its status before trying again")
        elif (item.status or "").lower() == "success":
            out[job_id] = Outcome(job_id, True)
        else:
            out[job_id] = Outcome(job_id, False, item.error_code, item.error_msg or item.status)
    return out


def _progress_outcome(job_id: str, query_id: str, progress: wire.ShowTaskExecuteProgressResponse | None,
                      why: str) -> Outcome:
    """What a query's progress says of the request for `job_id`: failed (with DRS's code), or accepted."""
    asked = f"DRS accepted the request for job {job_id} (query {query_id})"
    if progress is None:
        return Outcome(job_id, True, note=f"{asked}; its progress could not be read ({why}): its status tells")
    state = (progress.status or "").lower()
    if progress.error_code or state == FAILED:
        said = progress.error_message or "no message"
        return Outcome(job_id, False, progress.error_code, f"{asked}, then reported it {state or 'failed'}: {said}")
    if state in (PENDING, SUCCEEDED):
        return Outcome(job_id, True, note=f"{asked}; it is {state} (progress {progress.progress or 'not given'})")
    return Outcome(job_id, False, None, f"{asked}, but its progress says {progress.status!r}, which pulumi-drs "
                   "does not know: check the job in the DRS console")

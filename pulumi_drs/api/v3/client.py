"""DRS API v3: one method per documented operation, named as the official SDK names it, and the
version-neutral `DrsApi` on top of them.

Reads are chunked to 100 jobs and walk every page. Calls that change jobs are chunked to
`max_batch_size`; when an answer is lost (timeout, dropped connection, 5xx, throttling) the client
asks batch-status which jobs the request already moved and re-sends only to the rest, so no job is
started twice. Which statuses show that a request took effect comes from `semantics`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import ValidationError

from pulumi_drs import semantics
from pulumi_drs.api.base import Act, JobDetail, JobView, Lag, Outcome, chunks, unique
from pulumi_drs.api.transport import Transport
from pulumi_drs.api.v3 import wire
from pulumi_drs.api.writes import WriteOp, send_once
from pulumi_drs.errors import RequestError
from pulumi_drs.semantics import Kind, Meaning

log = logging.getLogger("pulumi_drs.api.v3")

M = TypeVar("M", bound=wire.WireModel)
Q = TypeVar("Q", wire.QueryJobStatusResp, wire.QueryJobResp)
P = TypeVar("P", wire.QueryProgressResp, wire.QueryRpoAndRtoResp)
MISSING = "DRS's answer did not include this job"


def _under_way(view: JobView) -> bool:
    return semantics.under_way(view.status)


_START = WriteOp("batch-starting", lambda v: v.status != "CONFIGURATION", _under_way)
"""Only a job still CONFIGURATION is sent again: any other status (an unknown one included) may mean
DRS accepted the first request."""
_RESTORE = WriteOp("batch-retry-task", lambda _view: True, _under_way)
"""A paused job shows no change until a resume takes effect, so a lost resume or retry answer is never
followed by a second request: the caller watches the status and a rerun asks again."""
TERMINATE = WriteOp("batch-jobs", lambda v: v.status is not None and semantics.kind(v.status) in (Kind.RELEASING,
                                                                                               Kind.GONE),
                    lambda v: not (v.status or "").endswith("_FAILED"))
"""Done once the job is being released or gone; refused if that ended in a failure (RELEASE_RESOURCE_FAILED,
CREATE_FAILED: the released-or-gone statuses of `semantics` that end in `_FAILED`). v5's batch-stop shares it."""


class V3Client:
    version = "v3"

    def __init__(self, transport: Transport, project_id: str) -> None:
        self.transport = transport
        self.settings = transport.settings
        self._base = f"{self.settings.endpoint}/v3/{project_id}/jobs"

    def close(self) -> None:
        self.transport.close()

    # --- DRS v3 operations, as the SDK names them ---------------------------------------------------

    def batch_start_jobs(self, jobs: Sequence[wire.StartInfo]) -> dict[str, Outcome]:
        """`POST .../jobs/batch-starting` (202); one outcome per distinct job, none started twice."""
        return self._write(_START, "POST", by_job(jobs), wire.BatchStartJobReq)

    def batch_restore_task(self, jobs: Sequence[wire.RetryInfo]) -> dict[str, Outcome]:
        """`POST .../jobs/batch-retry-task` (200): resume paused jobs, retry failed transfers."""
        return self._write(_RESTORE, "POST", by_job(jobs), wire.BatchRetryReq)

    def batch_delete_jobs(self, jobs: Sequence[wire.DeleteJobReq]) -> dict[str, Outcome]:
        """`DELETE .../jobs/batch-jobs` (202): terminate, force-terminate or delete."""
        return self._write(TERMINATE, "DELETE", by_job(jobs), wire.BatchDeleteJobReq)

    def batch_list_job_status(self, job_ids: Sequence[str]) -> dict[str, wire.QueryJobStatusResp]:
        """`POST .../jobs/batch-status` (200); a job missing from every page is absent from the answer."""
        return self._paged("batch-status", job_ids, wire.QueryJobStatusResp)

    def batch_list_job_details(self, job_ids: Sequence[str]) -> dict[str, wire.QueryJobResp]:
        """`POST .../jobs/batch-detail` (200)."""
        return self._paged("batch-detail", job_ids, wire.QueryJobResp)

    def batch_list_progresses(self, job_ids: Sequence[str]) -> dict[str, wire.QueryProgressResp]:
        """`POST .../jobs/batch-progress` (202)."""
        return self._plain("batch-progress", job_ids, wire.QueryProgressResp)

    def batch_list_rpos_and_rtos(self, job_ids: Sequence[str]) -> dict[str, wire.QueryRpoAndRtoResp]:
        """`POST .../jobs/batch-rpo-and-rto` (202, HWC drs_03_0117)."""
        return self._plain("batch-rpo-and-rto", job_ids, wire.QueryRpoAndRtoResp)

    def show_job_list(self, db_use_type: str, job_ids: Sequence[str]) -> dict[str, wire.JobInfo]:
        """`POST .../jobs` (200): the task list of one scenario (`db_use_type` is mandatory, API
        querying_tasks_of_a_tenant.rst), filtered by up to 100 comma-separated IDs; each task's subtasks."""
        found: dict[str, wire.JobInfo] = {}
        for chunk in chunks(unique(job_ids), wire.MAX_JOBS_PER_READ):
            wanted = set(chunk)
            for page in range(1, len(chunk) + 1):
                query = wire.QueryJobsReq(cur_page=page, per_page=wire.MAX_PER_PAGE, name=",".join(chunk),
                                          db_use_type=db_use_type)
                jobs = self._read(self._base, query, "jobs", wire.JobInfo, key="jobs")
                fresh = {j.id: j for j in jobs if j.id in wanted and j.id not in found}
                found.update(fresh)
                if not fresh or len(found) == len(wanted) or len(jobs) < wire.MAX_PER_PAGE:
                    break
        return found

    # --- DrsApi ---------------------------------------------------------------------------------

    def read_statuses(self, job_ids: Sequence[str]) -> dict[str, JobView]:
        found = self.batch_list_job_status(job_ids)
        return {j: _view(found.get(j), j) for j in unique(job_ids)}

    def read_details(self, job_ids: Sequence[str]) -> dict[str, JobDetail]:
        """batch-detail, then the task list per scenario (as the Terraform provider reads `children`)."""
        details = self.batch_list_job_details(job_ids)
        by_scenario: dict[str, list[str]] = {}
        for job_id, detail in details.items():
            if detail.db_use_type:
                by_scenario.setdefault(detail.db_use_type, []).append(job_id)
        tasks: dict[str, wire.JobInfo] = {}
        for db_use_type, ids in by_scenario.items():
            tasks.update(self.show_job_list(db_use_type, ids))
        return {j: _detail(j, details.get(j), tasks.get(j)) for j in unique(job_ids)}

    def read_lags(self, job_ids: Sequence[str]) -> dict[str, Lag]:
        found = self.batch_list_rpos_and_rtos(job_ids)
        return {j: _lag(j, found.get(j)) for j in unique(job_ids)}

    def act(self, act: Act, job_ids: Sequence[str], start_time: str | None = None) -> dict[str, Outcome]:
        if act is Act.START:
            return self.batch_start_jobs([wire.StartInfo(job_id=j, start_time=start_time) for j in job_ids])
        if act is Act.TERMINATE:
            return self.batch_delete_jobs([wire.DeleteJobReq(delete_type="terminate", job_id=j) for j in job_ids])
        re_edit = True if act is Act.RETRY_RE_EDIT else None
        return self.batch_restore_task([wire.RetryInfo(job_id=j, is_sync_re_edit=re_edit) for j in job_ids])

    # --- calls that change jobs ------------------------------------------------------------------

    def _write(self, op: WriteOp, method: str, items: dict[str, Any], request: type[wire.WireModel]
               ) -> dict[str, Outcome]:
        def send(pending: list[str]) -> dict[str, Outcome]:
            body = request.model_validate({"jobs": [items[j] for j in pending]}).to_wire()
            raw = self.transport.write(method, f"{self._base}/{op.operation}", body, op.operation)
            return {j: _outcome(item) for j, item in _answered(raw, pending, op.operation).items()}

        return send_once(self.transport, op, list(items), send, self.read_statuses)

    # --- reads: chunks of 100, every page walked ------------------------------------------------------

    def _paged(self, operation: str, job_ids: Sequence[str], model: type[Q]) -> dict[str, Q]:
        found: dict[str, Q] = {}
        for chunk in chunks(unique(job_ids), wire.MAX_JOBS_PER_READ):
            found.update(self._pages(operation, chunk, model))
        return found

    def _pages(self, operation: str, chunk: list[str], model: type[Q]) -> dict[str, Q]:
        """Page after page until every job is seen, or a page brings none new (DRS may answer fewer per page)."""
        found: dict[str, Q] = {}
        wanted = set(chunk)
        for page in range(1, len(chunk) + 1):
            query = wire.BatchQueryJobReqPage(jobs=chunk, page_req=wire.PageReq(cur_page=page,
                                                                               per_page=wire.MAX_PER_PAGE))
            try:
                items = self._read(f"{self._base}/{operation}", query, operation, model)
            except RequestError as exc:
                if page > 1 and semantics.means(exc.error_code, Meaning.PAGE):
                    break
                raise
            fresh = {i.id: i for i in items if i.id in wanted and i.id not in found}
            found.update(fresh)
            if not fresh or len(found) == len(wanted):
                break
        return found

    def _plain(self, operation: str, job_ids: Sequence[str], model: type[P]) -> dict[str, P]:
        found: dict[str, P] = {}
        for chunk in chunks(unique(job_ids), wire.MAX_JOBS_PER_READ):
            for item in self._read(f"{self._base}/{operation}", wire.BatchQueryJobReq(jobs=chunk), operation, model):
                if item.job_id in chunk:
                    found.setdefault(item.job_id, item)
        return found

    def _read(self, url: str, body: wire.WireModel, operation: str, model: type[M], key: str = "results") -> list[M]:
        raw = self.transport.read("POST", url, body.to_wire(), operation, batch_key=key)
        return fit_items(model, raw, operation, key)


def by_job(jobs: Sequence[Any]) -> dict[str, Any]:
    """Each job's item, the first one where a job is named twice, in order."""
    out: dict[str, Any] = {}
    for job in jobs:
        out.setdefault(job.job_id, job)
    return out


# --- wire to neutral ----------------------------------------------------------------------------------


def fit_items(model: type[M], raw: dict[str, Any], operation: str, key: str) -> list[M]:
    """The answer's items as `model`; one that does not fit is dropped with a warning naming it and why."""
    items = raw.get(key)
    kept = []
    for item in items if isinstance(items, list) else []:
        try:
            kept.append(model.model_validate(item))
        except ValidationError as exc:
            _warn_unfit(operation, item, exc)
    return kept


def _warn_unfit(operation: str, item: object, exc: ValidationError) -> None:
    job = item.get("id") or item.get("job_id") if isinstance(item, dict) else None
    fields = ", ".join(".".join(str(p) for p in e["loc"]) + f" ({e['msg']})" for e in exc.errors()[:3])
    log.warning("pulumi-drs: DRS's %s answer for job %s does not fit the documented shape: %s; pulumi-drs "
                "reads this job as missing from the answer and asks again", operation, job or "(no id)", fields)


def _answered(raw: dict[str, Any], pending: list[str], operation: str) -> dict[str, wire.BatchItem]:
    items = fit_items(wire.BatchItem, raw, operation, "results")
    out = {item.id: item for item in reversed(items) if item.id in pending}
    for job_id in pending:
        out.setdefault(job_id, wire.BatchItem(id=job_id, status="failed",
                                              error_msg=f"{MISSING}: check the job's status before trying again"))
    return {j: out[j] for j in pending}


def _view(item: wire.QueryJobStatusResp | None, job_id: str) -> JobView:
    if item is None:
        return JobView(job_id, error_message=MISSING)
    return JobView(job_id, item.status, item.error_code, item.error_message)


def _detail(job_id: str, detail: wire.QueryJobResp | None, task: wire.JobInfo | None) -> JobDetail:
    subtasks = tuple(c.id for c in (task.children or [])) if task else ()
    if detail is None:
        return JobDetail(job_id, subtasks=subtasks, error_message=MISSING)
    return JobDetail(job_id, detail.status, detail.task_type, subtasks, detail.multi_write, detail.job_direction,
                     detail.db_use_type, detail.error_code, detail.error_message)


def _lag(job_id: str, item: wire.QueryRpoAndRtoResp | None) -> Lag:
    if item is None:
        return Lag(job_id, error_message=MISSING)
    return Lag(job_id, _seconds(item.rpo_info), _seconds(item.rto_info), item.error_code, item.error_msg)


def _seconds(info: wire.RpoAndRtoInfo | None) -> float | None:
    """RpoAndRtoInfo.delay is milliseconds as a string (HWC drs_03_0117; TF drs_batch_rpos_and_rtos docs).
    A negative or unreadable delay is unknown: GUESS (the reference shows `-1` for a progress delay)."""
    try:
        value = float(info.delay) if info is not None and info.delay is not None else None
    except ValueError:
        return None
    return value / 1000 if value is not None and value >= 0 else None


def _outcome(item: wire.BatchItem) -> Outcome:
    accepted = item.status == "success"
    note = item.error_msg if accepted else None
    return Outcome(item.id, accepted, None if accepted else item.error_code,
                   None if accepted else item.error_msg, note)

"""The official SDK judges the emulator's wire: every v3 and v5 operation the emulator serves, called with
the SDK's own DrsClient of that version against the HTTP emulator, in success and error cases, must answer
bodies whose every field has the type the SDK declares (checked on the raw JSON, before the SDK's lenient
parsing)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from emulator_helpers import UNKNOWN_JOB
from huaweicloudsdkdrs import v5
from huaweicloudsdkdrs.v3 import (
    BatchDeleteJobReq,
    BatchDeleteJobsRequest,
    BatchListJobDetailsRequest,
    BatchListJobStatusRequest,
    BatchListProgressesRequest,
    BatchListRposAndRtosRequest,
    BatchQueryJobReqPage,
    BatchQueryProgressReq,
    BatchQueryRpoAndRtoReq,
    BatchRestoreTaskRequest,
    BatchRetryReq,
    BatchStartJobReq,
    BatchStartJobsRequest,
    DeleteJobReq,
    PageReq,
    QueryJobsReq,
    RetryInfo,
    ShowJobListRequest,
    StartInfo,
)

from drs_testing import sdk_contract as contract
from pulumi_drs.emulator import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_PROJECT_ID,
    DEFAULT_SECRET_KEY,
    EmulatorAdmin,
    EmulatorProcess,
)
from pulumi_drs.emulator.v3 import JOBS
from pulumi_drs.emulator.v5 import JOBS as V5_JOBS

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

Call = Callable[[list[str]], Any]
"""Builds the SDK request of an operation for these job ids."""

CALLS: dict[str, Call] = {
    "batch_start_jobs": lambda ids: BatchStartJobsRequest(
        body=BatchStartJobReq(jobs=[StartInfo(job_id=i) for i in ids])
    ),
    "batch_list_job_status": lambda ids: BatchListJobStatusRequest(
        body=BatchQueryJobReqPage(jobs=ids, page_req=PageReq(cur_page=1, per_page=100))
    ),
    "batch_list_job_details": lambda ids: BatchListJobDetailsRequest(
        body=BatchQueryJobReqPage(jobs=ids, page_req=PageReq(cur_page=0, per_page=0))
    ),
    "batch_list_progresses": lambda ids: BatchListProgressesRequest(body=BatchQueryProgressReq(jobs=ids)),
    "batch_restore_task": lambda ids: BatchRestoreTaskRequest(
        body=BatchRetryReq(jobs=[RetryInfo(job_id=i, is_sync_re_edit=False) for i in ids])
    ),
    "batch_delete_jobs": lambda ids: BatchDeleteJobsRequest(
        body=BatchDeleteJobReq(jobs=[DeleteJobReq(delete_type="terminate", job_id=i) for i in ids])
    ),
    "batch_list_rpos_and_rtos": lambda ids: BatchListRposAndRtosRequest(body=BatchQueryRpoAndRtoReq(jobs=ids)),
    "show_job_list": lambda ids: ShowJobListRequest(
        body=QueryJobsReq(cur_page=1, per_page=10, db_use_type="migration", name=",".join(ids))
    ),
}
ACTIONS = {"batch_start_jobs": "CONFIGURATION", "batch_restore_task": "INCRE_TRANSFER_FAILED",
           "batch_delete_jobs": "INCRE_TRANSFER_STARTED"}
"""The status each action succeeds from; queries see a parent task too, with its subtasks."""
ROUTES = {
    "batch_start_jobs": ("POST", "batch-starting"),
    "batch_list_job_status": ("POST", "batch-status"),
    "batch_list_job_details": ("POST", "batch-detail"),
    "batch_list_progresses": ("POST", "batch-progress"),
    "batch_restore_task": ("POST", "batch-retry-task"),
    "batch_delete_jobs": ("DELETE", "batch-jobs"),
    "batch_list_rpos_and_rtos": ("POST", "batch-rpo-and-rto"),
    "show_job_list": ("POST", ""),
}


@pytest.fixture()
def client(emulator: EmulatorProcess, manual: EmulatorAdmin) -> Any:
    return contract.sdk_client(emulator.url, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, DEFAULT_PROJECT_ID)


def _jobs(admin: EmulatorAdmin, operation: str) -> list[str]:
    if operation in ACTIONS:
        return [job["id"] for job in admin.create_jobs(2, status=ACTIONS[operation], task_type="FULL_TRANS")]
    parent = admin.create_jobs([{"name": "parent", "status": "INCRE_TRANSFER_STARTED", "rpo": 2, "rto": 3}])
    admin.create_jobs(2, parent_id=parent[0]["id"], status="FULL_TRANSFER_STARTED")
    single = admin.create_jobs([{"status": "FULL_TRANSFER_COMPLETE", "task_type": "FULL_TRANS"}])
    return [parent[0]["id"], single[0]["id"]]


def _problems(client: Any, operation: str, ids: list[str]) -> tuple[Any, list[str]]:
    """The raw answer, and where it breaks the SDK's declared types or names a field the SDK does not know."""
    raw = contract.raw_json_of(getattr(client, operation)(CALLS[operation](ids)))
    model = contract.response_model_for(operation)
    undeclared = [f"undeclared: {name}" for name in contract.undeclared_fields(raw, model)]
    return raw, contract.type_problems(raw, model) + undeclared


def test_every_operation_the_emulator_serves_is_checked() -> None:
    assert set(CALLS) == set(ROUTES)


@pytest.mark.parametrize("operation", sorted(ROUTES))
def test_the_emulator_serves_each_operation_where_the_sdk_sends_it(operation: str) -> None:
    method, tail = ROUTES[operation]

    assert contract.operation_route(operation) == (method, f"{JOBS}/{tail}".rstrip("/"))


@pytest.mark.parametrize("operation", sorted(CALLS))
def test_success_answers_have_the_sdk_types(client: Any, manual: EmulatorAdmin, operation: str) -> None:
    ids = _jobs(manual, operation)

    raw, problems = _problems(client, operation, ids)

    assert problems == []
    assert "error_code" not in str(raw)


@pytest.mark.parametrize("operation", sorted(set(CALLS) - {"show_job_list"}))
def test_per_item_error_answers_have_the_sdk_types(client: Any, manual: EmulatorAdmin, operation: str) -> None:
    ids = [*_jobs(manual, operation), UNKNOWN_JOB]

    raw, problems = _problems(client, operation, ids)

    assert problems == []
    assert "DRS.M05003" in str(raw)


def test_a_task_list_of_failed_subtasks_has_the_sdk_types(client: Any, manual: EmulatorAdmin) -> None:
    parent = manual.create_jobs(1)[0]["id"]
    child = manual.create_jobs(1, parent_id=parent)[0]
    manual.set_status(child["id"], "START_JOB_FAILED", error_code="DRS.M05066", error_message="failed")

    raw, problems = _problems(client, "show_job_list", [parent, UNKNOWN_JOB])

    assert problems == []
    assert raw["jobs"][0]["children"][0]["id"] == child["id"]


def test_a_batch_detail_of_only_unknown_jobs_is_a_400_with_the_batch_body(client: Any, manual: EmulatorAdmin) -> None:
    from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

    with pytest.raises(ClientRequestException) as raised:
        client.batch_list_job_details(CALLS["batch_list_job_details"]([UNKNOWN_JOB]))

    assert raised.value.status_code == 400
    assert "DRS.M05003" in raised.value.error_msg


# --- API v5 ------------------------------------------------------------------------------------------

V5_CALLS: dict[str, Call] = {
    "batch_execute_job_actions": lambda ids: v5.BatchExecuteJobActionsRequest(
        body=v5.BatchJobActionReq(jobs=[v5.ActionReq(job_id=i, action_name="start") for i in ids])
    ),
    "batch_stop_jobs_action": lambda ids: v5.BatchStopJobsActionRequest(
        body=v5.BatchStopJobActionReq(jobs=[v5.StopJobActionInfo(job_id=i, is_force_stop=False) for i in ids])
    ),
    "list_jobs": lambda ids: v5.ListJobsRequest(job_type="migration", name=",".join(ids), offset=0, limit=10),
    "show_actions": lambda ids: v5.ShowActionsRequest(job_id=ids[0]),
    "show_job_detail": lambda ids: v5.ShowJobDetailRequest(job_id=ids[0], type="detail"),
    "show_task_execute_progress": lambda ids: v5.ShowTaskExecuteProgressRequest(async_job_id=ids[0]),
}
"""`show_task_execute_progress` is given query IDs (of actions answered asynchronously), not job IDs."""
V5_ACTIONS = {"batch_execute_job_actions": "CONFIGURATION", "batch_stop_jobs_action": "INCRE_TRANSFER_STARTED"}
"""The status each v5 action succeeds from; queries see a parent task first, with its subtasks."""
V5_ROUTES = {
    "batch_execute_job_actions": ("POST", "action"),
    "batch_stop_jobs_action": ("POST", "batch-stop"),
    "list_jobs": ("GET", ""),
    "show_actions": ("GET", "{job_id}/actions"),
    "show_job_detail": ("GET", "{job_id}"),
    "show_task_execute_progress": ("GET", "{async_job_id}/progress"),
}
ITEM_MODELS = {"batch_execute_job_actions": "ActionBaseResp"}
"""The SDK models BatchExecuteJobActionsResponse's items as AsyncActionResp {query_id, id, name}: the items
of a 202. The emulator answers 200, whose items are ActionBaseResp {id, name, status, error_code,
error_msg} (HWC drs_03_0179), so those items are checked against ActionBaseResp, as batch-stop's are. The
emulator's other form, `v5_action_answer: async`, is checked against the SDK's own model (below)."""


@pytest.fixture()
def v5_client(emulator: EmulatorProcess, manual: EmulatorAdmin) -> Any:
    return contract.sdk_client(emulator.url, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, DEFAULT_PROJECT_ID, version="v5")


def _v5_jobs(admin: EmulatorAdmin, operation: str, client: Any) -> list[str]:
    if operation in V5_ACTIONS:
        return [job["id"] for job in admin.create_jobs(2, status=V5_ACTIONS[operation])]
    if operation == "show_task_execute_progress":
        return list(_started_asynchronously(client, admin, [job["id"] for job in admin.create_jobs(1)]).values())
    return _jobs(admin, "show_job_list")


def _started_asynchronously(client: Any, admin: EmulatorAdmin, job_ids: list[str]) -> dict[str, str]:
    """Start the jobs through the SDK with the emulator answering asynchronously: each job's query ID."""
    admin.settings(v5_action_answer="async")
    response = client.batch_execute_job_actions(V5_CALLS["batch_execute_job_actions"](job_ids))
    return {job.id: job.query_id for job in response.jobs}


def _v5_problems(client: Any, operation: str, ids: list[str]) -> tuple[Any, list[str]]:
    """The raw answer, and where it breaks the SDK's v5 types or names a field the SDK does not know."""
    raw = contract.raw_json_of(getattr(client, operation)(V5_CALLS[operation](ids)))
    return raw, _v5_body_problems(raw, operation)


def _v5_body_problems(raw: Any, operation: str) -> list[str]:
    model = contract.response_model_for(operation, version="v5")
    problems = contract.type_problems(raw, model, version="v5")
    if operation in ITEM_MODELS:
        for index, item in enumerate(raw["jobs"]):
            path = f"jobs[{index}]"
            problems += contract.type_problems(item, ITEM_MODELS[operation], version="v5", path=path)
            undeclared = contract.undeclared_fields(item, ITEM_MODELS[operation], version="v5", path=path)
            problems += [f"undeclared: {name}" for name in undeclared]
        return problems
    return problems + [f"undeclared: {name}" for name in contract.undeclared_fields(raw, model, version="v5")]


def test_every_v5_operation_the_emulator_serves_is_checked() -> None:
    assert set(V5_CALLS) == set(V5_ROUTES)


@pytest.mark.parametrize("operation", sorted(V5_ROUTES))
def test_the_emulator_serves_each_v5_operation_where_the_sdk_sends_it(operation: str) -> None:
    method, tail = V5_ROUTES[operation]

    assert contract.operation_route(operation, version="v5") == (method, f"{V5_JOBS}/{tail}".rstrip("/"))


@pytest.mark.parametrize("operation", sorted(V5_CALLS))
def test_v5_success_answers_have_the_sdk_types(v5_client: Any, manual: EmulatorAdmin, operation: str) -> None:
    ids = _v5_jobs(manual, operation, v5_client)

    raw, problems = _v5_problems(v5_client, operation, ids)

    assert problems == []
    assert "error_code" not in str(raw)


@pytest.mark.parametrize("operation", sorted(V5_ACTIONS))
def test_v5_per_item_error_answers_have_the_sdk_types(v5_client: Any, manual: EmulatorAdmin, operation: str) -> None:
    busy = manual.create_jobs(1, status="STARTJOBING")[0]["id"]
    ids = [*_v5_jobs(manual, operation, v5_client), busy, UNKNOWN_JOB]

    raw, problems = _v5_problems(v5_client, operation, ids)

    assert problems == []
    codes = [item.get("error_code") for item in raw["jobs"]]
    assert codes[2:] == ["DRS.M00304" if "execute" in operation else "DRS.M01504", "DRS.10000010"]


def test_v5_actions_the_emulator_does_not_serve_fail_per_item_with_the_sdk_types(
    v5_client: Any, manual: EmulatorAdmin
) -> None:
    job = manual.create_jobs(1)[0]["id"]
    request = v5.BatchExecuteJobActionsRequest(
        body=v5.BatchJobActionReq(jobs=[v5.ActionReq(job_id=job, action_name="precheck",
                                                     action_params=v5.ActionParams(precheck_mode="forStartJob"))])
    )

    response = v5_client.batch_execute_job_actions(request)
    raw = contract.raw_json_of(response)

    assert _v5_body_problems(raw, "batch_execute_job_actions") == []
    assert (raw["jobs"][0]["status"], raw["jobs"][0]["error_code"]) == ("failed", "DRS.10000001")
    assert (response.status_code, response.jobs[0].id, response.jobs[0].query_id) == (200, job, None)


def test_v5_actions_with_parameters_reach_the_emulator(v5_client: Any, manual: EmulatorAdmin) -> None:
    scheduled, failed = (j["id"] for j in manual.create_jobs([{}, {"status": "CHILD_TRANSFER_FAILED"}]))
    later = str(int((time.time() + 3600) * 1000))
    actions = [
        v5.ActionReq(job_id=scheduled, action_name="start", action_params=v5.ActionParams(start_time=later)),
        v5.ActionReq(job_id=failed, action_name="restart", action_params=v5.ActionParams(is_sync_re_edit=True)),
    ]

    raw = contract.raw_json_of(
        v5_client.batch_execute_job_actions(v5.BatchExecuteJobActionsRequest(body=v5.BatchJobActionReq(jobs=actions)))
    )

    assert [item["status"] for item in raw["jobs"]] == ["success", "success"]
    statuses = [manual.get_job(j)["status"] for j in (scheduled, failed)]
    assert statuses == ["WAITING_FOR_START", "CHILD_TRANSFER_STARTING"]


@pytest.mark.parametrize("operation", ["show_actions", "show_job_detail"])
def test_v5_reads_of_an_unknown_job_raise_the_sdk_error_10000010(
    v5_client: Any, manual: EmulatorAdmin, operation: str
) -> None:
    from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

    with pytest.raises(ClientRequestException) as raised:
        getattr(v5_client, operation)(V5_CALLS[operation]([UNKNOWN_JOB]))

    assert (raised.value.status_code, raised.value.error_code) == (400, "DRS.10000010")


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (v5.ListJobsRequest(), "DRS.M00201"),
        (v5.ListJobsRequest(job_type="migration", name=",".join(f"id-{n}" for n in range(11))), "DRS.M00202"),
        (v5.ShowJobDetailRequest(job_id=UNKNOWN_JOB), "DRS.M00201"),
    ],
)
def test_v5_bad_queries_raise_the_sdk_error(
    v5_client: Any, manual: EmulatorAdmin, request_: Any, code: str
) -> None:
    from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

    operation = "list_jobs" if isinstance(request_, v5.ListJobsRequest) else "show_job_detail"
    with pytest.raises(ClientRequestException) as raised:
        getattr(v5_client, operation)(request_)

    assert (raised.value.status_code, raised.value.error_code) == (400, code)


def test_a_v5_list_of_failed_subtasks_has_the_sdk_types(v5_client: Any, manual: EmulatorAdmin) -> None:
    parent = manual.create_jobs(1)[0]["id"]
    child = manual.create_jobs(1, parent_id=parent)[0]
    manual.set_status(child["id"], "START_JOB_FAILED", error_code="DRS.M05066", error_message="failed")

    raw, problems = _v5_problems(v5_client, "list_jobs", [parent])

    assert problems == []
    assert raw["jobs"][0]["children"][0]["id"] == child["id"]


# --- API v5, actions answered asynchronously (`v5_action_answer: async`) --------------------------------


def _async_problems(raw: Any, operation: str) -> list[str]:
    """Where a raw answer breaks the SDK's own v5 response model (no item model stands in)."""
    model = contract.response_model_for(operation, version="v5")
    undeclared = contract.undeclared_fields(raw, model, version="v5")
    return contract.type_problems(raw, model, version="v5") + [f"undeclared: {name}" for name in undeclared]


def test_the_sdk_reads_an_asynchronous_action_answer_as_it_declares_it(v5_client: Any, manual: EmulatorAdmin) -> None:
    ok = manual.create_jobs(1)[0]["id"]
    busy = manual.create_jobs(1, status="STARTJOBING")[0]["id"]
    manual.settings(v5_action_answer="async")

    response = v5_client.batch_execute_job_actions(V5_CALLS["batch_execute_job_actions"]([ok, busy, UNKNOWN_JOB]))
    raw = contract.raw_json_of(response)

    assert _async_problems(raw, "batch_execute_job_actions") == []
    assert response.status_code == 202
    assert [job.id for job in response.jobs] == [ok, busy, UNKNOWN_JOB]
    assert all(job.query_id for job in response.jobs) and len({job.query_id for job in response.jobs}) == 3


def test_the_sdk_reads_every_progress_answer_pending_done_and_failed(v5_client: Any, manual: EmulatorAdmin) -> None:
    ok, failing = (j["id"] for j in manual.create_jobs([{}, {"fail_start": True}]))
    running = manual.create_jobs(1, status="INCRE_TRANSFER_STARTED")[0]["id"]
    queries = _started_asynchronously(v5_client, manual, [ok, failing, running, UNKNOWN_JOB])

    def progress(job_id: str) -> Any:
        return v5_client.show_task_execute_progress(V5_CALLS["show_task_execute_progress"]([queries[job_id]]))

    pending = progress(ok)
    manual.step([ok, failing], steps=2)
    answers = {job_id: progress(job_id) for job_id in queries}

    for answer in (pending, *answers.values()):
        assert _async_problems(contract.raw_json_of(answer), "show_task_execute_progress") == []
    assert (pending.status, pending.progress, pending.error_code) == ("pending", "0", None)
    assert (answers[ok].status, answers[ok].progress) == ("success", "100")
    assert [(answers[j].status, answers[j].error_code) for j in (failing, running, UNKNOWN_JOB)] == [
        ("failed", "DRS.M05066"), ("failed", "DRS.M00304"), ("failed", "DRS.10000010")]
    assert answers[failing].error_message == "Failed to create the replication instance."


def test_the_sdk_error_for_a_query_the_emulator_does_not_know_is_10000010(
    v5_client: Any, manual: EmulatorAdmin
) -> None:
    from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

    with pytest.raises(ClientRequestException) as raised:
        v5_client.show_task_execute_progress(V5_CALLS["show_task_execute_progress"]([UNKNOWN_JOB]))

    assert (raised.value.status_code, raised.value.error_code) == (400, "DRS.10000010")

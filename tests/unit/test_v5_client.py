"""V5Client against the DRS emulator in process (`InProcessEmulator`: the real app behind a requests adapter),
and its answer readers on their own: each outcome, view and detail exactly as DRS's answer makes it, each
request exactly as the SDK shapes it. The hard write-path cases (lost answers, scheduled starts, a child
process over real HTTP) are in tests/integration/test_v5_client_emulator.py.

Nothing moves on its own here (`transition_seconds` 3600), so every status a test expects is exact.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from pulumi_drs.api import connect
from pulumi_drs.api.base import Act, JobDetail, JobView, Outcome
from pulumi_drs.api.v3.client import MISSING
from pulumi_drs.api.v5 import client as v5
from pulumi_drs.api.v5 import wire
from pulumi_drs.emulator import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_PROJECT_ID,
    DEFAULT_SECRET_KEY,
    EmulatorConfig,
    InProcessEmulator,
)
from pulumi_drs.errors import DrsError
from pulumi_drs.settings import Settings

GHOST = "12345678-0000-4000-8000-0000000jb101"
RUNNING = "INCRE_TRANSFER_STARTED"


def path_of(request: requests.PreparedRequest) -> str:
    return urlsplit(str(request.url)).path


class Drs:
    """The emulator in process, a V5Client on it, and every request the client sent."""

    def __init__(self, emu: InProcessEmulator, make_settings: Callable[..., Settings]) -> None:
        self.emu, self.admin = emu, emu.admin
        self.sent: list[requests.PreparedRequest] = []
        self.answers: list[requests.Response] = []
        self.rewrites: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}
        """Path -> how the test changes DRS's answers to it before the client reads them."""
        settings = make_settings(endpoint=emu.url, project_id=DEFAULT_PROJECT_ID, access_key=DEFAULT_ACCESS_KEY,
                                 secret_key=DEFAULT_SECRET_KEY, api_version="v5")
        session = emu.session()
        session.hooks["response"].append(self._record)
        api = connect(settings, session=session)
        assert isinstance(api, v5.V5Client)
        api.transport.sleep = lambda _seconds: None
        self.api = api

    def _record(self, response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        self.sent.append(response.request)
        self.answers.append(response)
        rewrite = self.rewrites.get(path_of(response.request))
        if rewrite:
            response._content = json.dumps(rewrite(response.json())).encode()

    def said(self, path_end: str) -> dict[str, tuple[str, str]]:
        """What DRS's last answer to `path_end` said of each job it refused: (error_code, error_msg)."""
        [*_, answer] = [a for a in self.answers if path_of(a.request).endswith(path_end)]
        return {i["id"]: (i["error_code"], i["error_msg"]) for i in answer.json()["jobs"] if i.get("error_code")}

    def jobs(self, count: int = 1, **spec: Any) -> list[str]:
        return [job["id"] for job in self.admin.create_jobs(count, **spec)]

    def bodies(self, path_end: str) -> list[dict[str, Any]]:
        return [json.loads(r.body or b"{}") for r in self.sent if path_of(r).endswith(path_end)]

    def list_queries(self) -> list[dict[str, list[str]]]:
        """The query of each job-list request, as DRS parsed it."""
        return [parse_qs(urlsplit(str(r.url)).query) for r in self.sent
                if r.method == "GET" and path_of(r).endswith("/jobs")]

    def query_ids(self) -> list[str]:
        """The query ID of each progress read, in order."""
        return [path_of(r).split("/")[-2] for r in self.sent if path_of(r).endswith("/progress")]


@pytest.fixture
def drs(make_settings: Callable[..., Settings]) -> Iterator[Drs]:
    with InProcessEmulator(EmulatorConfig(transition_seconds=3600)) as emu:
        yield Drs(emu, make_settings)


@pytest.fixture
def answered_async(drs: Drs) -> Drs:
    drs.admin.settings(v5_action_answer="async")
    drs.sent.clear()
    return drs


# --- what each action sends -------------------------------------------------------------------------------


def test_each_act_sends_the_action_and_parameters_the_sdk_names(drs: Drs) -> None:
    job = drs.jobs(1)[0]

    drs.api.act(Act.START, [job])
    drs.api.act(Act.START, [job], start_time="1767225600000")
    drs.api.act(Act.RESUME, [job])
    drs.api.act(Act.RETRY_RE_EDIT, [job])
    drs.api.act(Act.TERMINATE, [job])

    assert drs.bodies("/jobs/action") == [
        {"jobs": [{"job_id": job, "action_name": "start"}]},
        {"jobs": [{"job_id": job, "action_name": "start", "action_params": {"start_time": "1767225600000"}}]},
        {"jobs": [{"job_id": job, "action_name": "restart"}]},
        {"jobs": [{"job_id": job, "action_name": "restart", "action_params": {"is_sync_re_edit": True}}]},
    ]
    assert drs.bodies("/jobs/batch-stop") == [{"jobs": [{"job_id": job}]}]


def test_a_job_named_twice_is_sent_once_and_answered_once(drs: Drs) -> None:
    job = drs.jobs(1)[0]

    outcomes = drs.api.act(Act.START, [job, job])

    assert outcomes == {job: Outcome(job, True)}
    assert drs.bodies("/jobs/action") == [{"jobs": [{"job_id": job, "action_name": "start"}]}]


# --- answers in full (200, a result per job) ---------------------------------------------------------------


def test_a_start_answered_in_full_gives_each_job_what_drs_said_of_it(drs: Drs) -> None:
    ready = drs.jobs(1)[0]
    running = drs.jobs(1, status=RUNNING)[0]
    parent = drs.jobs(1)[0]
    drs.jobs(1, parent_id=parent)

    outcomes = drs.api.act(Act.START, [ready, running, parent, GHOST])

    said = drs.said("/jobs/action")
    assert {j: code for j, (code, _msg) in said.items()} == {
        running: "DRS.M00304", parent: "DRS.M00307", GHOST: "DRS.10000010"}
    refused = {j: Outcome(j, False, *said[j]) for j in (running, parent, GHOST)}
    assert outcomes == {ready: Outcome(ready, True), **refused}


def test_a_terminate_answered_in_full_gives_each_job_what_drs_said_of_it(drs: Drs) -> None:
    running = drs.jobs(1, status=RUNNING)[0]

    outcomes = drs.api.act(Act.TERMINATE, [running, GHOST])

    said = drs.said("/jobs/batch-stop")
    assert {j: code for j, (code, _msg) in said.items()} == {GHOST: "DRS.10000010"}
    assert outcomes == {running: Outcome(running, True), GHOST: Outcome(GHOST, False, *said[GHOST])}


def garbled(body: dict[str, Any]) -> dict[str, Any]:
    """The answer with each item's `status` one no SDK model can read."""
    return {**body, "jobs": [{**item, "status": ["garbled"]} for item in body["jobs"]]}


def _result(job_id: str, **fields: Any) -> wire.ActionResult:
    return wire.ActionResult.model_validate({"id": job_id, **fields})


@pytest.mark.parametrize(("item", "expected"), [
    pytest.param(None, Outcome("j", False, error_message=f"{MISSING}: check its status before trying again"),
                 id="not-in-the-answer"),
    pytest.param(_result("j", status="Success"), Outcome("j", True), id="success-in-any-case"),
    pytest.param(_result("j", status="failed", error_code="DRS.M00304", error_msg="no"),
                 Outcome("j", False, "DRS.M00304", "no"), id="failed-with-code-and-message"),
    pytest.param(_result("j", status="failed", error_code="DRS.M00304"), Outcome("j", False, "DRS.M00304", "failed"),
                 id="failed-without-a-message-says-its-status"),
    pytest.param(_result("j"), Outcome("j", False), id="neither-result-nor-query"),
])
def test_an_action_result_makes_one_outcome(item: wire.ActionResult | None, expected: Outcome) -> None:
    assert v5._outcomes({} if item is None else {"j": item}, ["j"]) == {"j": expected}


def test_a_job_answered_twice_is_judged_by_its_first_item_and_a_result_is_not_a_query() -> None:
    raw = {"jobs": [{"id": "j", "status": "success"}, {"id": "j", "status": "failed"}, {"id": "k", "query_id": "q"}]}

    items = v5._items(raw, "jobs/action")

    assert {j: item.status for j, item in items.items()} == {"j": "success", "k": None}
    assert (v5._query_of(items["j"]), v5._query_of(items["k"])) == (None, "q")
    assert v5._query_of(_result("j", status="success", query_id="q")) is None


# --- answers by query (202, a query per job, its progress read once) ----------------------------------------


def test_a_start_answered_with_a_query_says_which_query_and_how_far_it_got(answered_async: Drs) -> None:
    drs = answered_async
    job = drs.jobs(1)[0]

    outcomes = drs.api.act(Act.START, [job])

    [query] = drs.query_ids()
    progress = drs.api.show_task_execute_progress(query)
    assert progress is not None and (progress.status, progress.error_code) == (v5.PENDING, None)
    assert outcomes == {job: Outcome(job, True, note=(
        f"DRS accepted the request for job {job} (query {query}); it is pending "
        f"(progress {progress.progress or 'not given'})"))}


def test_a_refusal_reported_by_the_query_keeps_drs_code_and_message(answered_async: Drs) -> None:
    drs = answered_async
    running = drs.jobs(1, status=RUNNING)[0]

    outcomes = drs.api.act(Act.START, [running])

    [query] = drs.query_ids()
    [*_, answer] = drs.answers
    said = answer.json()
    assert (path_of(answer.request).endswith("/progress"), said["error_code"]) == (True, "DRS.M00304")
    assert outcomes == {running: Outcome(running, False, "DRS.M00304", (
        f"DRS accepted the request for job {running} (query {query}), then reported it failed: "
        f"{said['error_message']}"))}


def test_a_query_drs_does_not_know_leaves_the_start_accepted(answered_async: Drs) -> None:
    drs = answered_async
    job = drs.jobs(1)[0]
    drs.admin.add_fault("/progress", "status", status=400, error_code="DRS.10000010", times=0)

    outcomes = drs.api.act(Act.START, [job])

    [query] = drs.query_ids()
    assert outcomes == {job: Outcome(job, True, note=(
        f"DRS accepted the request for job {job} (query {query}); its progress could not be read "
        "(DRS says it knows no such query): its status tells"))}
    assert drs.admin.get_job(job)["start_count"] == 1


def test_a_progress_that_cannot_be_read_is_warned_about_and_leaves_the_start_accepted(
        answered_async: Drs, caplog: pytest.LogCaptureFixture) -> None:
    drs = answered_async
    job = drs.jobs(1)[0]
    drs.admin.add_fault("/progress", "status", status=503, times=0)

    with caplog.at_level(logging.WARNING, logger="pulumi_drs.api.v5"):
        [outcome] = drs.api.act(Act.START, [job]).values()

    query = drs.query_ids()[0]
    [warning] = [r.getMessage() for r in caplog.records if r.name == "pulumi_drs.api.v5"]
    prefix = f"pulumi-drs: the progress of DRS query {query} could not be read: "
    assert warning.startswith(prefix) and "503" in warning, warning
    why = warning.removeprefix(prefix)
    assert outcome == Outcome(job, True, note=(
        f"DRS accepted the request for job {job} (query {query}); its progress could not be read ({why}): "
        "its status tells"))
    assert drs.admin.get_job(job)["start_count"] == 1


def test_jobs_answered_with_one_query_read_its_progress_once() -> None:
    read: list[str] = []

    class OneQuery(v5.V5Client):
        def __init__(self) -> None:  # no transport: only the progress reader is asked
            pass

        def show_task_execute_progress(self, async_job_id: str) -> wire.ShowTaskExecuteProgressResponse | None:
            read.append(async_job_id)
            return wire.ShowTaskExecuteProgressResponse(status="pending")

    outcomes = OneQuery()._by_progress({"a": "q", "b": "q"})

    assert read == ["q"]
    assert [o.accepted for o in outcomes.values()] == [True, True]


def _progress(**fields: Any) -> wire.ShowTaskExecuteProgressResponse:
    return wire.ShowTaskExecuteProgressResponse.model_validate(fields)


ASKED = "DRS accepted the request for job j (query q)"


@pytest.mark.parametrize(("progress", "expected"), [
    pytest.param(_progress(status="Pending", progress="30%"),
                 Outcome("j", True, note=f"{ASKED}; it is pending (progress 30%)"), id="pending-in-any-case"),
    pytest.param(_progress(status="SUCCESS"),
                 Outcome("j", True, note=f"{ASKED}; it is success (progress not given)"), id="success"),
    pytest.param(_progress(status="FAILED", error_code="DRS.M05066", error_message="boom"),
                 Outcome("j", False, "DRS.M05066", f"{ASKED}, then reported it failed: boom"), id="failed"),
    pytest.param(_progress(status="failed"),
                 Outcome("j", False, None, f"{ASKED}, then reported it failed: no message"), id="failed-silently"),
    pytest.param(_progress(status="pending", error_code="DRS.M00304", error_message="no"),
                 Outcome("j", False, "DRS.M00304", f"{ASKED}, then reported it pending: no"),
                 id="an-error-code-fails-whatever-the-status"),
    pytest.param(_progress(error_code="DRS.M00304"),
                 Outcome("j", False, "DRS.M00304", f"{ASKED}, then reported it failed: no message"),
                 id="an-error-code-without-a-status"),
    pytest.param(_progress(status="running"),
                 Outcome("j", False, None, f"{ASKED}, but its progress says 'running', which pulumi-drs does not "
                         "know: check the job in the DRS console"), id="a-status-nobody-documented-fails-loudly"),
    pytest.param(_progress(),
                 Outcome("j", False, None, f"{ASKED}, but its progress says None, which pulumi-drs does not "
                         "know: check the job in the DRS console"), id="no-status-fails-loudly"),
])
def test_a_progress_makes_one_outcome(progress: wire.ShowTaskExecuteProgressResponse, expected: Outcome) -> None:
    assert v5._progress_outcome("j", "q", progress, "") == expected


# --- reads -------------------------------------------------------------------------------------------------


def test_statuses_come_from_the_job_list_with_what_drs_allows_and_is_doing(drs: Drs) -> None:
    ready = drs.jobs(1)[0]
    running = drs.jobs(1, status=RUNNING)[0]

    views = drs.api.read_statuses([running, ready, GHOST, ready])

    listed = {item.id: item for item in drs.api.list_jobs("migration", [ready, running])}
    expected = {}
    for job in (running, ready):
        action = listed[job].job_action
        assert action is not None and action.available_actions is not None
        expected[job] = JobView(job, listed[job].status, actions=tuple(action.available_actions),
                                current_action=action.current_action)
    expected[GHOST] = JobView(GHOST, error_code="DRS.10000010", error_message="Job does not exist")
    assert views == expected
    assert (views[ready].status, views[running].status) == ("CONFIGURATION", RUNNING)
    assert "START" in (views[ready].actions or ()) and "START" not in (views[running].actions or ())


def test_a_listed_job_without_job_action_says_nothing_of_actions() -> None:
    item = wire.JobListResp.model_validate({"id": "j", "status": "CONFIGURATION"})
    no_list = wire.JobListResp.model_validate({"id": "j", "status": "CONFIGURATION",
                                               "job_action": {"current_action": "START"}})

    assert v5._view(item) == JobView("j", "CONFIGURATION")
    assert v5._view(no_list) == JobView("j", "CONFIGURATION", current_action="START")


def test_the_job_list_is_asked_for_each_type_then_only_for_the_type_a_job_was_found_under(drs: Drs) -> None:
    dr_job = drs.jobs(1, db_use_type="cloudDataGuard", job_direction="down")[0]
    plain = drs.jobs(1)[0]

    drs.api.read_statuses([dr_job, plain])
    first = drs.list_queries()
    drs.sent.clear()
    drs.api.read_statuses([dr_job, plain])

    assert [q["job_type"] for q in first] == [["migration"], ["sync"], ["cloudDataGuard"]]
    assert [q["name"] for q in first] == [[f"{dr_job},{plain}"], [dr_job], [dr_job]]
    assert all((q["offset"], q["limit"]) == (["0"], [str(wire.LIST_LIMIT)]) for q in first)
    assert [(q["job_type"], q["name"]) for q in drs.list_queries()] == [
        (["migration"], [plain]), (["cloudDataGuard"], [dr_job])]


def test_the_job_list_returns_only_the_jobs_asked_for_page_by_page(drs: Drs) -> None:
    jobs = drs.jobs(3)
    drs.jobs(2)  # in the project, not asked for
    drs.admin.settings(max_per_page=2)

    listed = drs.api.list_jobs("migration", jobs)

    assert sorted(item.id for item in listed) == sorted(jobs)
    assert [q["offset"] for q in drs.list_queries()] == [["0"], ["2"]]


def test_details_are_exact_from_the_list_and_for_dr_and_unknown_jobs_from_show_job_detail(drs: Drs) -> None:
    plain, parent = drs.jobs(2, task_type="INCR_TRANS")
    child = drs.jobs(1, parent_id=parent)[0]
    forward = drs.jobs(1)[0]
    backward = drs.admin.create_jobs([{"forward_job_id": forward}])[0]["id"]

    details = drs.api.read_details([plain, parent, child, backward, GHOST])

    shown = drs.api.show_job_detail(backward)
    assert shown is not None and shown.base_info is not None
    assert details == {
        plain: JobDetail(plain, "CONFIGURATION", "INCR_TRANS", (), False, "up", "migration"),
        parent: JobDetail(parent, "CONFIGURATION", "INCR_TRANS", (child,), False, "up", "migration"),
        child: JobDetail(child, "CONFIGURATION", drs.admin.get_job(child)["task_type"], (), False, "up", "migration"),
        backward: JobDetail(backward, shown.status, shown.base_info.task_type, (), True, "down", "cloudDataGuard"),
        GHOST: JobDetail(GHOST, error_code="DRS.10000010", error_message="Job does not exist"),
    }


def test_show_job_detail_and_progress_answer_none_for_what_drs_does_not_know(drs: Drs) -> None:
    assert drs.api.show_job_detail(GHOST) is None
    assert drs.api.show_task_execute_progress("no such query") is None
    assert path_of(drs.sent[-1]).endswith("/jobs/no%20such%20query/progress")


# --- lost answers: what counts as arrived --------------------------------------------------------------------


@pytest.mark.parametrize(("view", "done", "under_way"), [
    (JobView("j", "CONFIGURATION"), False, False),
    (JobView("j", "CONFIGURATION", actions=("START", "DELETE")), False, False),
    (JobView("j", "CONFIGURATION", actions=("DELETE",)), True, False),
    (JobView("j", "CONFIGURATION", current_action="START"), True, True),
    (JobView("j", "CONFIGURATION", current_action="RETRY"), False, False),
    (JobView("j", "STARTJOBING"), True, True),
    (JobView("j", RUNNING), True, True),
    (JobView("j", "START_JOB_FAILED"), True, False),
])
def test_a_lost_start_counts_as_arrived_once_the_job_shows_it(view: JobView, done: bool, under_way: bool) -> None:
    assert (v5._start_done(view), v5._under_way(view)) == (done, under_way)


# --- errors name the operation DRS refused --------------------------------------------------------------------


OPERATIONS: dict[str, tuple[str, Callable[[v5.V5Client, str], object]]] = {
    "jobs/action": ("/jobs/action", lambda api, job: api.act(Act.START, [job])),
    "jobs/batch-stop": ("/jobs/batch-stop", lambda api, job: api.act(Act.TERMINATE, [job])),
    "jobs (list)": ("/jobs", lambda api, job: api.read_statuses([job])),
    "jobs/{id} (detail)": ("/jobs/{job}", lambda api, job: api.show_job_detail(job)),
    "jobs/{async_job_id}/progress": ("/progress", lambda api, job: api.show_task_execute_progress(job)),
}


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_an_error_answer_names_the_operation_drs_refused(drs: Drs, operation: str) -> None:
    path, call = OPERATIONS[operation]
    job = drs.jobs(1)[0]  # in CONFIGURATION: a lost start or end would show (it does not: DRS did nothing)
    drs.admin.add_fault(path.format(job=job), "status", status=500, times=0)

    with pytest.raises(DrsError) as info:
        call(drs.api, job)

    assert str(info.value).startswith(f"{operation}: DRS answered HTTP 500 DRS.M00004"), info.value


@pytest.mark.parametrize(("operation", "path", "act"), [
    ("jobs/action", "/jobs/action", Act.START),
    ("jobs/batch-stop", "/jobs/batch-stop", Act.TERMINATE),
])
def test_an_answer_item_that_does_not_fit_is_dropped_with_a_warning_naming_the_operation_and_the_job(
        drs: Drs, caplog: pytest.LogCaptureFixture, operation: str, path: str, act: Act) -> None:
    job = drs.jobs(1)[0]
    drs.rewrites[f"/v5/{DEFAULT_PROJECT_ID}{path}"] = garbled

    with caplog.at_level(logging.WARNING, logger="pulumi_drs"):
        outcomes = drs.api.act(act, [job])

    assert outcomes == {job: Outcome(job, False, error_message=f"{MISSING}: check its status before trying again")}
    assert any(f"DRS's {operation} answer for job {job} does not fit the documented shape: status" in r.getMessage()
               for r in caplog.records), caplog.text


def test_a_listed_job_that_does_not_fit_is_dropped_with_a_warning_and_read_by_show_job_detail(
        drs: Drs, caplog: pytest.LogCaptureFixture) -> None:
    job = drs.jobs(1)[0]
    drs.rewrites[f"/v5/{DEFAULT_PROJECT_ID}/jobs"] = garbled

    with caplog.at_level(logging.WARNING, logger="pulumi_drs"):
        views = drs.api.read_statuses([job])

    assert views == {job: JobView(job, "CONFIGURATION")}  # from ShowJobDetail: no actions, no current action
    assert any(f"DRS's jobs (list) answer for job {job} does not fit the documented shape: status" in r.getMessage()
               for r in caplog.records), caplog.text


def test_a_job_neither_the_list_nor_its_detail_gives_a_status_for_says_so(drs: Drs) -> None:
    job = drs.jobs(1)[0]
    drs.rewrites[f"/v5/{DEFAULT_PROJECT_ID}/jobs"] = garbled
    drs.rewrites[f"/v5/{DEFAULT_PROJECT_ID}/jobs/{job}"] = lambda body: {"job": {"id": job}}

    assert drs.api.read_statuses([job]) == {job: JobView(job, error_message=v5.NOT_LISTED)}


def test_details_of_jobs_the_list_does_not_show_come_from_show_job_detail_alone(drs: Drs) -> None:
    bare, described = drs.jobs(2, task_type="INCR_TRANS")
    drs.rewrites[f"/v5/{DEFAULT_PROJECT_ID}/jobs"] = garbled
    drs.rewrites[f"/v5/{DEFAULT_PROJECT_ID}/jobs/{bare}"] = lambda body: {"job": {"id": bare, "status": "PAUSING"}}

    details = drs.api.read_details([bare, described])

    assert details == {
        bare: JobDetail(bare, "PAUSING"),  # a detail without base_info says nothing more
        described: JobDetail(described, "CONFIGURATION", "INCR_TRANS", (), False, "up", "migration"),
    }


def test_a_dr_parent_task_lists_its_subtasks_from_the_job_list(drs: Drs) -> None:
    forward = drs.jobs(1)[0]
    backward = drs.admin.create_jobs([{"forward_job_id": forward}])[0]["id"]
    child = drs.jobs(1, parent_id=backward)[0]

    [detail] = drs.api.read_details([backward]).values()

    assert (detail.db_use_type, detail.subtasks, detail.multi_write) == ("cloudDataGuard", (child,), True)


def test_a_resume_whose_answer_is_lost_is_not_sent_again(drs: Drs) -> None:
    paused = drs.jobs(1, status="PAUSING")[0]
    drs.admin.add_fault("/jobs/action", "drop_after")

    outcomes = drs.api.act(Act.RESUME, [paused])

    assert (outcomes[paused].accepted, outcomes[paused].inferred) == (True, True), outcomes
    assert [e["fault"] for e in drs.admin.requests_log() if e["path"].endswith("/jobs/action")] == ["drop_after"]


def test_a_job_gone_from_the_list_is_asked_for_once_under_the_type_it_was_listed_under(drs: Drs) -> None:
    job = drs.jobs(1)[0]
    drs.api.read_statuses([job])  # listed under migration
    drs.rewrites[f"/v5/{DEFAULT_PROJECT_ID}/jobs"] = garbled  # now the list shows it no more
    drs.sent.clear()

    drs.api.read_statuses([job])

    assert [q["job_type"] for q in drs.list_queries()] == [["migration"]]  # a job's type does not change
    assert path_of(drs.sent[-1]).endswith(f"/jobs/{job}")  # then ShowJobDetail tells


def test_a_job_gone_from_the_list_is_not_looked_for_under_other_types_beside_a_job_never_listed(drs: Drs) -> None:
    known = drs.jobs(1)[0]
    drs.api.read_statuses([known])  # listed under migration
    new = drs.jobs(1, db_use_type="cloudDataGuard", job_direction="down")[0]
    drs.rewrites[f"/v5/{DEFAULT_PROJECT_ID}/jobs"] = garbled  # the list shows neither
    drs.sent.clear()

    drs.api.read_statuses([known, new])

    assert [(q["job_type"], q["name"]) for q in drs.list_queries()] == [
        (["migration"], [known]), (["migration"], [new]), (["sync"], [new]), (["cloudDataGuard"], [new])]
    assert sorted(path_of(r) for r in drs.sent if not path_of(r).endswith("/jobs")) == sorted(
        f"/v5/{DEFAULT_PROJECT_ID}/jobs/{j}" for j in (known, new))  # then ShowJobDetail tells, once each

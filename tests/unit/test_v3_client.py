"""V3Client against the DRS emulator in process (`InProcessEmulator`: the real app, AK/SK check, faults
and request log behind a requests adapter): chunking and input order, paging, per-item failures, detail,
lag and action calls, and the core guarantee: a lost answer never starts a job twice.

Nothing moves on its own here (`transition_seconds` 3600) unless a test asks for a step per status read,
so every status a test expects is exact.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import urllib3.exceptions as u3
from requests.adapters import BaseAdapter

from pulumi_drs.api import connect
from pulumi_drs.api import transport as transport_module
from pulumi_drs.api.base import Act, JobDetail, JobView, Lag, Outcome
from pulumi_drs.api.v3 import wire
from pulumi_drs.api.v3.client import MISSING, V3Client
from pulumi_drs.emulator import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_PROJECT_ID,
    DEFAULT_SECRET_KEY,
    EmulatorConfig,
    InProcessEmulator,
)
from pulumi_drs.emulator.items import StartItem
from pulumi_drs.errors import ConnectError, ConnectionDroppedError, RequestError, ServerError
from pulumi_drs.settings import Settings

GHOST = "12345678-0000-4000-8000-0000000jb101"
LOST = "the answer was lost"


class Drs:
    """The emulator in process, a V3Client on it, and what the client sent (requests as requests saw them)."""

    def __init__(self, emu: InProcessEmulator, make_settings: Callable[..., Settings]) -> None:
        self.emu, self.admin, self._make_settings = emu, emu.admin, make_settings
        self.sent: list[requests.PreparedRequest] = []
        self.sleeps: list[float] = []
        self.session = emu.session()
        self.api = self.client(self.session)

    def client(self, session: requests.Session | None = None, **overrides: Any) -> V3Client:
        """A client on its own session (or `session`), recording what it sends; `overrides` tune Settings."""
        settings = self._make_settings(**{"endpoint": self.emu.url, "project_id": DEFAULT_PROJECT_ID,
                                          "access_key": DEFAULT_ACCESS_KEY, "secret_key": DEFAULT_SECRET_KEY,
                                          **overrides})
        session = session or self.emu.session()
        session.hooks["response"].append(lambda response, *_args, **_kwargs: self.sent.append(response.request))
        api = connect(settings, session=session)
        assert isinstance(api, V3Client)
        api.transport.sleep = self.sleeps.append
        return api

    def jobs(self, count: int = 1, **spec: Any) -> list[str]:
        return [job["id"] for job in self.admin.create_jobs(count, **spec)]

    def ops(self) -> list[str]:
        """The operation of every DRS request the emulator logged, in order."""
        return [entry["path"].rsplit("/", 1)[-1] for entry in self.admin.requests_log()]

    def named(self, operation: str) -> list[list[str]]:
        """The job IDs of each logged request of `operation`."""
        return [e["job_ids"] for e in self.admin.requests_log() if e["path"].endswith("/" + operation)]

    def bodies(self, operation: str) -> list[dict[str, Any]]:
        return [json.loads(r.body or b"{}") for r in self.sent if (r.path_url or "").endswith("/" + operation)]

    def count(self, job_ids: list[str], counter: str = "start_count") -> list[int]:
        return [self.admin.get_job(j)[counter] for j in job_ids]

    def statuses(self, job_ids: list[str]) -> list[str]:
        return [self.admin.get_job(j)["status"] for j in job_ids]


@pytest.fixture
def drs(make_settings: Callable[..., Settings]) -> Iterator[Drs]:
    with InProcessEmulator(EmulatorConfig(transition_seconds=3600)) as emu:
        yield Drs(emu, make_settings)


def start(api: V3Client, job_ids: list[str]) -> dict[str, Outcome]:
    return api.act(Act.START, job_ids)


def accepted(outcomes: dict[str, Outcome]) -> dict[str, bool]:
    return {j: o.accepted for j, o in outcomes.items()}


# --- chunking and order -----------------------------------------------------------------------------


def test_empty_inputs_make_no_calls(drs: Drs) -> None:
    assert drs.api.act(Act.START, []) == {} and drs.api.read_statuses([]) == {} and drs.api.read_lags([]) == {}
    assert drs.api.act(Act.RESUME, []) == {} and drs.api.read_details([]) == {}
    assert drs.ops() == []


def test_start_chunks_by_max_batch_size_and_answers_in_input_order(drs: Drs) -> None:
    job_ids = drs.jobs(250)[::-1]
    outcomes = start(drs.client(max_batch_size=100), job_ids)
    assert list(outcomes) == job_ids
    assert all(o.accepted and o.note is None for o in outcomes.values())
    assert drs.named("batch-starting") == [job_ids[:100], job_ids[100:200], job_ids[200:]]
    assert set(drs.count(job_ids)) == {1}


def test_start_names_each_job_once_with_its_start_time(drs: Drs) -> None:
    first, second = drs.jobs(2)
    later = str(int((time.time() + 3600) * 1000))
    infos = [wire.StartInfo(job_id=second, start_time=later), wire.StartInfo(job_id=first),
             wire.StartInfo(job_id=second)]
    outcomes = drs.api.batch_start_jobs(infos)
    assert list(outcomes) == [second, first] and all(o.accepted for o in outcomes.values())
    assert drs.bodies("batch-starting") == [{"jobs": [{"job_id": second, "start_time": later},
                                                      {"job_id": first}]}]
    assert drs.statuses([second, first]) == ["WAITING_FOR_START", "STARTJOBING"]
    assert drs.admin.get_job(second)["scheduled_start"] == int(later) / 1000


def test_act_start_sends_the_start_time_for_every_job(drs: Drs) -> None:
    job_ids = drs.jobs(2)
    later = str(int((time.time() + 600) * 1000))
    assert all(o.accepted for o in drs.api.act(Act.START, job_ids, start_time=later).values())
    assert drs.bodies("batch-starting") == [{"jobs": [{"job_id": j, "start_time": later} for j in job_ids]}]
    assert drs.statuses(job_ids) == ["WAITING_FOR_START"] * 2


def test_reads_chunk_to_100_and_always_send_page_req(drs: Drs) -> None:
    job_ids = drs.jobs(250)
    views = drs.api.read_statuses(job_ids)
    details = drs.api.read_details(job_ids)
    assert list(views) == job_ids == list(details)
    assert {v.status for v in views.values()} == {"CONFIGURATION"} == {d.status for d in details.values()}
    for operation in ("batch-status", "batch-detail"):
        assert drs.named(operation) == [job_ids[:100], job_ids[100:200], job_ids[200:]]
        assert [b["page_req"] for b in drs.bodies(operation)] == [{"cur_page": 1, "per_page": 100}] * 3


@pytest.mark.parametrize("operation", ["batch-status", "batch-detail"])
def test_pages_are_walked_when_drs_answers_fewer_per_page(drs: Drs, operation: str) -> None:
    job_ids = drs.jobs(25)
    drs.admin.settings(max_per_page=7)
    read = drs.api.read_statuses if operation == "batch-status" else drs.api.read_details
    found = read(job_ids)
    assert {j: v.status for j, v in found.items()} == {j: "CONFIGURATION" for j in job_ids}
    assert [b["page_req"]["cur_page"] for b in drs.bodies(operation)] == [1, 2, 3, 4]
    assert drs.ops() == [operation] * 4 + (["jobs"] if operation == "batch-detail" else [])


@pytest.mark.parametrize("second_page", [{"status": 200}, {"status": 400, "error_code": "DRS.M00211"}],
                         ids=["200-without-results", "400-page-over-limit"])
def test_a_job_missing_from_the_answer_gets_a_view_without_status(drs: Drs, second_page: dict[str, Any]) -> None:
    job_ids = drs.jobs(3)
    drs.admin.settings(max_per_page=2)
    drs.admin.add_fault("batch-status", "delay", delay_seconds=0)  # page 1 answered as usual
    drs.admin.add_fault("batch-status", "status", **second_page)  # page 2: no job, and the walk ends
    views = drs.api.read_statuses(job_ids)
    assert [views[j].status for j in job_ids[:2]] == ["CONFIGURATION", "CONFIGURATION"]
    assert views[job_ids[2]] == JobView(job_ids[2], error_message=MISSING)
    assert drs.ops() == ["batch-status", "batch-status"]


def test_unknown_jobs_and_unlisted_statuses_are_kept(drs: Drs) -> None:
    [odd] = drs.jobs(1, status="SOMETHING_NEW")
    views = drs.api.read_statuses([odd, GHOST])
    assert views[odd] == JobView(odd, "SOMETHING_NEW")
    assert views[GHOST] == JobView(GHOST, None, "DRS.M05003", f"Task {GHOST} not found.")


def test_progress_is_read_without_paging(drs: Drs) -> None:
    [job] = drs.jobs(1, status="INCRE_TRANSFER_STARTED", rpo=3)
    progress = drs.api.batch_list_progresses([job, GHOST])
    assert (progress[job].progress, progress[job].incre_trans_delay) == ("100", "3")
    assert progress[GHOST].error_code == "DRS.M05003"
    assert drs.bodies("batch-progress") == [{"jobs": [job, GHOST]}]


# --- per-item failures --------------------------------------------------------------------------------


def test_per_item_refusals_come_back_per_job_even_when_every_item_is_refused(drs: Drs) -> None:
    [ready] = drs.jobs(1)
    [running] = drs.jobs(1, status="INCRE_TRANSFER_STARTED")
    [released] = drs.jobs(1, status="RELEASE_RESOURCE_COMPLETE")
    mixed = start(drs.api, [ready, running, released])
    all_refused = start(drs.api, [GHOST, running])
    assert [(o.accepted, o.error_code) for o in mixed.values()] == [
        (True, None), (False, "DRS.M00304"), (False, "DRS.M05004")]
    assert [(o.accepted, o.error_code) for o in all_refused.values()] == [(False, "DRS.M05003"),
                                                                         (False, "DRS.M00304")]
    assert all_refused[GHOST].error_message == f"Task {GHOST} not found."
    assert [e["status_code"] for e in drs.admin.requests_log()] == [202, 202]
    assert drs.ops() == ["batch-starting"] * 2  # a refusal on a first try is not checked again


def test_details_of_jobs_drs_does_not_know_come_from_a_400_batch_body(drs: Drs) -> None:
    other = GHOST.replace("1234", "4321")
    details = drs.api.read_details([GHOST, other])
    assert [(d.status, d.error_code) for d in details.values()] == [(None, "DRS.M05003")] * 2
    assert details[other].error_message == f"Task {other} not found."
    assert [(e["path"].rsplit("/", 1)[-1], e["status_code"]) for e in drs.admin.requests_log()] == [
        ("batch-detail", 400)]


def test_read_details_reads_each_parents_subtasks_from_the_task_list_of_its_scenario(drs: Drs) -> None:
    [parent] = drs.jobs(1)
    subtasks = drs.jobs(2, parent_id=parent)
    [single] = drs.jobs(1, task_type="INCR_TRANS")
    [dr] = drs.jobs(1, db_use_type="cloudDataGuard", multi_write=True)
    details = drs.api.read_details([parent, subtasks[0], single, dr])
    assert set(details[parent].subtasks) == set(subtasks)
    assert details[subtasks[0]].subtasks == () == details[single].subtasks == details[dr].subtasks
    assert (details[single].task_type, details[single].db_use_type, details[single].job_direction) == (
        "INCR_TRANS", "migration", "up")
    assert (details[dr].db_use_type, details[dr].multi_write) == ("cloudDataGuard", True)
    assert drs.ops() == ["batch-detail", "jobs", "jobs"]
    listed = {b["db_use_type"]: set(b["name"].split(",")) for b in drs.bodies("jobs")}
    assert listed == {"migration": {parent, subtasks[0], single}, "cloudDataGuard": {dr}}


def test_read_lags_converts_drs_milliseconds_to_seconds(drs: Drs) -> None:
    [lagging] = drs.jobs(1, status="INCRE_TRANSFER_STARTED", rpo=3, rto=45)
    [fresh] = drs.jobs(1, status="INCRE_TRANSFER_STARTED")
    lags = drs.api.read_lags([lagging, fresh, GHOST])
    assert lags[lagging] == Lag(lagging, 3.0, 45.0)
    assert lags[fresh] == Lag(fresh, 0.0, 0.0)
    assert lags[GHOST] == Lag(GHOST, error_code="DRS.M05003", error_message=f"Task {GHOST} not found.")


# --- resume, retry, terminate ----------------------------------------------------------------------------

ACTS = [
    (Act.RESUME, "PAUSING", "POST", "batch-retry-task", {}, "retry_count", "PAUSING"),
    (Act.RETRY, "INCRE_TRANSFER_FAILED", "POST", "batch-retry-task", {}, "retry_count", "STARTJOBING"),
    (Act.RETRY_RE_EDIT, "CHILD_TRANSFER_FAILED", "POST", "batch-retry-task", {"is_sync_re_edit": True},
     "retry_count", "CHILD_TRANSFER_STARTING"),
    (Act.TERMINATE, "INCRE_TRANSFER_STARTED", "DELETE", "batch-jobs", {"delete_type": "terminate"},
     "terminate_count", "RELEASE_RESOURCE_STARTED"),
]


@pytest.mark.parametrize(("act", "status", "method", "operation", "extra", "counter", "after"), ACTS,
                         ids=[a[0].name for a in ACTS])
def test_act_sends_its_operation_and_body(drs: Drs, act: Act, status: str, method: str, operation: str,
                                          extra: dict[str, Any], counter: str, after: str) -> None:
    job_ids = drs.jobs(2, status=status)
    outcomes = drs.api.act(act, job_ids)
    assert accepted(outcomes) == {j: True for j in job_ids}
    assert [(r.method, (r.path_url or "").rsplit("/", 1)[-1]) for r in drs.sent] == [(method, operation)]
    assert drs.bodies(operation) == [{"jobs": [{"job_id": j, **extra} for j in job_ids]}]
    assert drs.count(job_ids, counter) == [1, 1]
    assert drs.statuses(job_ids) == [after, after]


def test_a_plain_retry_of_a_re_edit_failure_is_refused_by_drs(drs: Drs) -> None:
    [job] = drs.jobs(1, status="CHILD_TRANSFER_FAILED")
    [outcome] = drs.api.act(Act.RETRY, [job]).values()
    assert (outcome.accepted, outcome.error_code) == (False, "DRS.M00304")
    assert drs.count([job], "retry_count") == [0]


# --- lost answers: the core guarantee --------------------------------------------------------------------

WORK_DONE_ANSWER_LOST: dict[str, dict[str, Any]] = {
    "drop_after": {"mode": "drop_after"},
    "500 after the work": {"mode": "status_after", "status": 500},
    "502 after the work": {"mode": "status_after", "status": 502},
    "504 after the work": {"mode": "status_after", "status": 504},
    "slower than the read timeout": {"mode": "delay", "delay_seconds": 5},
}


@pytest.mark.parametrize("fault", list(WORK_DONE_ANSWER_LOST))
def test_lost_start_answer_does_not_start_twice(drs: Drs, fault: str) -> None:
    job_ids = drs.jobs(3)
    drs.admin.add_fault("batch-starting", **WORK_DONE_ANSWER_LOST[fault])
    outcomes = start(drs.client(read_timeout=0.05), job_ids)
    assert drs.count(job_ids) == [1, 1, 1]
    assert accepted(outcomes) == {j: True for j in job_ids}
    assert all(LOST in (o.note or "") and "status STARTJOBING" in (o.note or "") for o in outcomes.values())
    assert drs.ops() == ["batch-starting", "batch-status"]


@pytest.mark.parametrize("fault", [{"mode": "drop_before"}, {"mode": "status", "status": 503},
                                   {"mode": "status", "status": 500}], ids=["drop_before", "503", "500"])
def test_start_lost_before_drs_did_the_work_is_resent_and_starts_once(drs: Drs, fault: dict[str, Any]) -> None:
    job_ids = drs.jobs(3)
    drs.admin.add_fault("batch-starting", **fault)
    outcomes = start(drs.api, job_ids)
    assert drs.count(job_ids) == [1, 1, 1]
    assert all(o.accepted and o.note is None for o in outcomes.values())
    assert drs.ops() == ["batch-starting", "batch-status", "batch-starting"]
    assert len(drs.sleeps) == 1


def test_start_partly_applied_before_the_answer_was_lost_resends_only_the_rest(drs: Drs) -> None:
    """DRS started two jobs and refused the parent task (it stays CONFIGURATION), then the answer was lost."""
    ready = drs.jobs(2)
    [parent] = drs.jobs(1)
    drs.jobs(1, parent_id=parent)
    drs.admin.add_fault("batch-starting", "drop_after")
    outcomes = start(drs.api, [*ready, parent])
    assert drs.named("batch-starting") == [[*ready, parent], [parent]]
    assert drs.count([*ready, parent]) == [1, 1, 0]
    assert [(o.accepted, o.error_code, LOST in (o.note or "")) for o in outcomes.values()] == [
        (True, None, True), (True, None, True), (False, "DRS.M00307", False)]


def test_a_job_that_moved_before_a_lost_answer_is_not_resent(drs: Drs) -> None:
    job_ids = drs.jobs(3)
    drs.admin.set_status(job_ids[0], "STARTJOBING")  # started by an earlier request
    drs.admin.add_fault("batch-starting", "drop_before")
    outcomes = start(drs.api, job_ids)
    assert drs.named("batch-starting") == [job_ids, job_ids[1:]]
    assert drs.count(job_ids) == [0, 1, 1]
    assert accepted(outcomes) == {j: True for j in job_ids}
    assert "status STARTJOBING" in (outcomes[job_ids[0]].note or "") and outcomes[job_ids[1]].note is None


def test_a_job_in_a_status_no_source_lists_is_not_resent_after_a_lost_answer(drs: Drs) -> None:
    ready, odd = drs.jobs(2)
    drs.admin.set_status(odd, "SOMETHING_NO_SOURCE_LISTS")
    drs.admin.add_fault("batch-starting", "drop_before")
    outcomes = start(drs.api, [ready, odd])
    assert drs.named("batch-starting") == [[ready, odd], [ready]]
    assert drs.count([ready, odd]) == [1, 0]
    assert "status SOMETHING_NO_SOURCE_LISTS" in (outcomes[odd].note or "")


@pytest.mark.parametrize(("fault", "waits"), [
    ({"mode": "status", "status": 429, "retry_after": 0.5}, [0.5]),
    ({"mode": "status", "status": 400, "error_code": "DRS.M01503", "retry_after": 1.25}, [1.25]),
    ({"mode": "status", "status": 400, "error_code": "DRS.M01503"}, [0.0]),
], ids=["429", "M01503-retry-after", "M01503"])
def test_a_throttled_start_is_resent_as_is_and_starts_once(drs: Drs, fault: dict[str, Any],
                                                           waits: list[float]) -> None:
    job_ids = drs.jobs(2)
    drs.admin.add_fault("batch-starting", **fault)
    outcomes = start(drs.api, job_ids)
    assert drs.named("batch-starting") == [job_ids, job_ids]
    assert drs.ops() == ["batch-starting"] * 2  # no status read: DRS refused before doing anything
    assert drs.count(job_ids) == [1, 1]
    assert all(o.accepted and o.note is None for o in outcomes.values())
    assert drs.sleeps == waits


def test_a_start_landing_after_the_reconcile_read_is_not_reported_as_refused(drs: Drs) -> None:
    """The first request was still in flight when batch-status said CONFIGURATION; it lands before the
    re-send, which DRS refuses (DRS.M00304): a second look shows the first one took effect."""
    [job] = drs.jobs(1)
    backend = drs.emu.state.backend

    def first_copy_lands(response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        if response.request.path_url.endswith("/batch-status") and not drs.count([job])[0]:
            backend.batch_start_jobs(DEFAULT_PROJECT_ID, [StartItem(job)])

    drs.admin.add_fault("batch-starting", "drop_before")
    drs.session.hooks["response"].append(first_copy_lands)
    [outcome] = start(drs.api, [job]).values()
    assert drs.ops() == ["batch-starting", "batch-status", "batch-starting", "batch-status"]
    assert drs.count([job]) == [1]
    assert outcome.accepted and "re-sent request was refused" in (outcome.note or "")


def test_a_lost_answer_for_a_job_that_then_failed_reports_the_failure(drs: Drs) -> None:
    [ok] = drs.jobs(1)
    [failing] = drs.jobs(1, fail_start=True)
    drs.admin.settings(transition_seconds=0, reads_per_step=1)  # the reconcile read takes one step
    drs.admin.add_fault("batch-starting", "drop_after")
    outcomes = start(drs.api, [ok, failing])
    assert outcomes[ok].accepted and "status FULL_TRANSFER_STARTED" in (outcomes[ok].note or "")
    assert (outcomes[failing].accepted, outcomes[failing].error_code) == (False, "DRS.M05066")
    assert "status START_JOB_FAILED" in (outcomes[failing].error_message or "")
    assert drs.count([ok, failing]) == [1, 1] and drs.ops() == ["batch-starting", "batch-status"]


RESTORES = [
    (Act.RESUME, "PAUSING", "drop_after", 1, "PAUSING", True),
    (Act.RESUME, "PAUSING", "drop_before", 0, "PAUSING", True),
    (Act.RETRY, "INCRE_TRANSFER_FAILED", "status_after", 1, "STARTJOBING", True),
    (Act.RETRY, "INCRE_TRANSFER_FAILED", "drop_before", 0, "INCRE_TRANSFER_FAILED", False),
]


@pytest.mark.parametrize(("act", "status", "mode", "retries", "after", "ok"), RESTORES,
                         ids=[f"{r[0].name}-{r[2]}" for r in RESTORES])
def test_a_lost_resume_or_retry_answer_is_reconciled_and_never_resent(
        drs: Drs, act: Act, status: str, mode: str, retries: int, after: str, ok: bool) -> None:
    """A paused job shows no change until a resume takes effect: a rerun asks again, never this call."""
    job_ids = drs.jobs(2, status=status)
    drs.admin.add_fault("batch-retry-task", mode, status=502)
    outcomes = drs.api.act(act, job_ids)
    assert drs.ops() == ["batch-retry-task", "batch-status"]
    assert drs.count(job_ids, "retry_count") == [retries] * 2
    assert accepted(outcomes) == {j: ok for j in job_ids}
    assert all(LOST in (o.note or o.error_message or "") and after in (o.note or o.error_message or "")
               for o in outcomes.values())


def test_a_lost_terminate_answer_is_reconciled_and_not_resent_to_a_releasing_job(drs: Drs) -> None:
    job_ids = drs.jobs(2, status="INCRE_TRANSFER_STARTED")
    drs.admin.add_fault("batch-jobs", "status_after", status=504)
    assert accepted(drs.api.act(Act.TERMINATE, job_ids)) == {j: True for j in job_ids}
    assert drs.count(job_ids, "terminate_count") == [1, 1]
    assert drs.ops() == ["batch-jobs", "batch-status"]


def test_a_lost_terminate_is_resent_only_to_jobs_still_running(drs: Drs) -> None:
    running, releasing = drs.jobs(2, status="INCRE_TRANSFER_STARTED")
    drs.admin.set_status(releasing, "RELEASE_RESOURCE_STARTED")
    drs.admin.add_fault("batch-jobs", "drop_before")
    outcomes = drs.api.act(Act.TERMINATE, [running, releasing])
    assert drs.named("batch-jobs") == [[running, releasing], [running]]
    assert accepted(outcomes) == {running: True, releasing: True}
    assert drs.count([running, releasing], "terminate_count") == [1, 0]


def test_lost_answers_are_retried_a_bounded_number_of_times(drs: Drs) -> None:
    [job] = drs.jobs(1)
    drs.admin.add_fault("batch-starting", "drop_before", times=0)
    with pytest.raises(ConnectionDroppedError, match="retry later"):
        start(drs.api, [job])  # max_retries=3
    assert drs.ops() == ["batch-starting", "batch-status"] * 3 + ["batch-starting"]
    assert drs.count([job]) == [0] and len(drs.sleeps) == 3


def test_the_deadline_bounds_the_total_time_of_lost_answer_retries(drs: Drs, monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]
    monkeypatch.setattr(transport_module, "_now", lambda: now[0])

    def sleep(seconds: float) -> None:
        drs.sleeps.append(seconds)
        now[0] += seconds

    api = drs.client(max_retries=50, retry_deadline_seconds=100, backoff_factor=10, backoff_max=60)
    api.transport.sleep = sleep
    [job] = drs.jobs(1)
    drs.admin.add_fault("batch-starting", "status", status=503, times=0)
    with pytest.raises(ServerError, match="HTTP 503"):
        start(api, [job])
    assert sum(drs.sleeps) == pytest.approx(100.0)
    assert 3 <= len(drs.sleeps) <= 10 and drs.ops().count("batch-starting") == len(drs.sleeps) + 1
    assert drs.count([job]) == [0]


class Unreachable(BaseAdapter):
    """No connection could be opened (what requests raises for a refused connection)."""

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        reason = u3.NewConnectionError(None, "Failed to establish a new connection: refused")  # type: ignore[arg-type]
        raise requests.ConnectionError(u3.MaxRetryError(None, request.url or "", reason))  # type: ignore[arg-type]

    def close(self) -> None:
        pass


def test_a_connect_error_is_not_reconciled(drs: Drs) -> None:
    [job] = drs.jobs(1)
    drs.session.mount(f"{drs.emu.url}/v3/{DEFAULT_PROJECT_ID}/jobs/batch-starting", Unreachable())
    with pytest.raises(ConnectError, match="drs:endpoint/HW_DRS_ENDPOINT"):
        start(drs.api, [job])
    assert drs.ops() == [] and drs.sleeps == []


# --- exact views, outcomes, pages and notes (mutation testing: docs/test-strength.md) -----------------------


def test_jobs_missing_from_detail_and_lag_answers_get_exact_empty_views(drs: Drs) -> None:
    [job] = drs.jobs(1, status="INCRE_TRANSFER_STARTED")
    drs.admin.add_fault("batch-detail", "status", status=200)  # an answer without the job's item
    drs.admin.add_fault("batch-rpo-and-rto", "status", status=200)
    assert drs.api.read_details([job]) == {job: JobDetail(job, error_message=MISSING)}
    assert drs.api.read_lags([job]) == {job: Lag(job, error_message=MISSING)}
    assert drs.ops() == ["batch-detail", "batch-rpo-and-rto"]


def test_read_details_gives_each_job_its_own_exact_detail(drs: Drs) -> None:
    [job] = drs.jobs(1, task_type="INCR_TRANS")
    assert drs.api.read_details([job]) == {job: JobDetail(job, "CONFIGURATION", "INCR_TRANS", (), False, "up",
                                                          "migration")}


def test_the_task_list_is_asked_for_page_1_of_100_and_once_when_it_answers_every_job(drs: Drs) -> None:
    job_ids = drs.jobs(100)
    details = drs.api.read_details(job_ids)
    assert list(details) == job_ids
    [listed] = drs.bodies("jobs")
    assert (listed["cur_page"], listed["per_page"], listed["db_use_type"]) == (1, 100, "migration")
    assert drs.ops().count("jobs") == 1


def test_a_failing_task_list_names_its_operation(drs: Drs) -> None:
    [job] = drs.jobs(1)
    drs.admin.add_fault("batch-detail", "delay", delay_seconds=0)  # batch-detail answered as usual
    drs.admin.add_fault("/jobs", "status", status=400, error_code="DRS.M00202", error_msg="bad filter")
    with pytest.raises(RequestError) as failure:
        drs.api.read_details([job])
    assert str(failure.value) == ("jobs: DRS answered HTTP 400 DRS.M00202: bad filter. Check start_time and the "
                                  "job IDs.")


def test_a_refused_start_comes_back_as_exactly_drs_said_it(drs: Drs) -> None:
    [running] = drs.jobs(1, status="INCRE_TRANSFER_STARTED")
    [outcome] = start(drs.api, [running]).values()
    assert outcome == Outcome(running, False, "DRS.M00304", outcome.error_message, None)
    assert outcome.error_message and running in outcome.error_message


def test_a_page_error_on_the_first_page_is_not_taken_for_the_end_of_the_pages(drs: Drs) -> None:
    [job] = drs.jobs(1)
    drs.admin.add_fault("batch-status", "status", status=400, error_code="DRS.M00211")
    with pytest.raises(RequestError, match=r"DRS\.M00211"):
        drs.api.read_statuses([job])


def test_a_job_drs_does_not_know_gets_its_not_found_view_from_a_later_page(drs: Drs) -> None:
    job_ids = drs.jobs(3)
    drs.admin.settings(max_per_page=2)
    views = drs.api.read_statuses([*job_ids, GHOST])
    assert views == {**{j: JobView(j, "CONFIGURATION") for j in job_ids},
                     GHOST: JobView(GHOST, None, "DRS.M05003", f"Task {GHOST} not found.")}
    assert [b["page_req"]["cur_page"] for b in drs.bodies("batch-status")] == [1, 2]


def test_a_lost_start_answer_gives_each_job_its_own_outcome_and_the_reason(drs: Drs) -> None:
    ready = drs.jobs(2)
    [failed] = drs.jobs(1)
    drs.admin.set_status(failed, "START_JOB_FAILED")  # no error message of its own
    drs.admin.add_fault("batch-starting", "drop_before")
    outcomes = start(drs.api, [*ready, failed])
    lost = "batch-starting: the answer was lost (ConnectionDroppedError)"
    assert outcomes[failed] == Outcome(failed, False, None, f"{lost}; DRS now shows the job in status "
                                                              "START_JOB_FAILED (no message)")
    assert [(o.id, o.accepted, o.note) for o in outcomes.values()][:2] == [(j, True, None) for j in ready]
    assert drs.named("batch-starting") == [[*ready, failed], ready]


def test_a_job_done_after_a_lost_answer_gets_an_outcome_under_its_own_id(drs: Drs) -> None:
    job_ids = drs.jobs(2)
    drs.admin.add_fault("batch-starting", "drop_after")
    outcomes = start(drs.api, job_ids)
    assert [(j, o.id) for j, o in outcomes.items()] == [(j, j) for j in job_ids]
    assert all(o.note == "batch-starting: the answer was lost (ConnectionDroppedError); DRS now shows the job in "
               "status STARTJOBING" for o in outcomes.values())


def test_after_a_lost_answer_a_job_drs_leaves_out_of_the_status_read_is_sent_again(drs: Drs) -> None:
    [job] = drs.jobs(1)
    drs.admin.add_fault("batch-starting", "drop_before")
    drs.admin.add_fault("batch-status", "status", status=200)  # the reconcile read does not say the job's status
    [outcome] = start(drs.api, [job]).values()
    assert outcome == Outcome(job, True)
    assert drs.named("batch-starting") == [[job], [job]] and drs.count([job]) == [1]


def test_a_lost_answer_is_logged_with_its_operation(drs: Drs, caplog: pytest.LogCaptureFixture) -> None:
    [job] = drs.jobs(1)
    drs.admin.add_fault("batch-starting", "drop_before")
    with caplog.at_level("WARNING", logger="pulumi_drs"):
        start(drs.api, [job])
    retries = [r.getMessage() for r in caplog.records if "; try " in r.getMessage()]
    assert retries == ["batch-starting: ConnectionDroppedError; try 2 in 0.00 s"]


def test_a_resent_start_refused_because_the_first_landed_says_so_exactly(drs: Drs) -> None:
    [job] = drs.jobs(1)
    backend = drs.emu.state.backend

    def first_copy_lands(response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        if response.request.path_url.endswith("/batch-status") and not drs.count([job])[0]:
            backend.batch_start_jobs(DEFAULT_PROJECT_ID, [StartItem(job)])

    drs.admin.add_fault("batch-starting", "drop_before")
    drs.session.hooks["response"].append(first_copy_lands)
    [outcome] = start(drs.api, [job]).values()
    assert outcome == Outcome(job, True, note="batch-starting: a re-sent request was refused for the job's status "
                                              "after an earlier one took effect; DRS now shows the job in status "
                                              "STARTJOBING", inferred=True)


def edit_answers(drs: Drs, operation: str, edit: Callable[[dict[str, Any]], None]) -> None:
    """The emulator's answers to `operation`, edited by `edit` on their way to the client: the few answer
    shapes DRS may send and the emulator never does (an item that does not fit, a note on a success)."""

    def hook(response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        if (response.request.path_url or "").endswith("/" + operation):
            data = response.json()
            edit(data)
            response._content = json.dumps(data).encode()

    drs.session.hooks["response"].insert(0, hook)


def test_a_job_missing_from_a_batch_action_answer_is_refused_with_what_to_do(drs: Drs) -> None:
    [job] = drs.jobs(1)
    drs.admin.add_fault("batch-starting", "status", status=200)  # an answer without any item, nothing done
    assert start(drs.api, [job]) == {job: Outcome(job, False, None, f"{MISSING}: check the job's status before "
                                                                    "trying again")}


def test_a_note_drs_puts_on_a_success_is_kept_as_the_note(drs: Drs) -> None:
    [job] = drs.jobs(1)
    edit_answers(drs, "batch-starting",
                 lambda data: data["results"][0].update(error_code="DRS.X", error_msg="scheduled by DRS"))
    assert start(drs.api, [job]) == {job: Outcome(job, True, note="scheduled by DRS")}


UNFIT = [
    ("batch-status", lambda job: {"id": job, "status": 7}, "job {job}", "status (Input should be a valid string)"),
    ("batch-rpo-and-rto", lambda job: {"job_id": job, "rpo_info": {"delay": []}}, "job {job}",
     "rpo_info.delay (Input should be a valid string)"),
    ("batch-status", lambda job: {"status": "CONFIGURATION"}, "job (no id)", "id (Field required)"),
    ("batch-status", lambda job: {"id": 1, "status": 2, "error_code": 3, "error_message": 4}, "job 1",
     "id (Input should be a valid string), status (Input should be a valid string), error_code (Input should be a "
     "valid string)"),
    ("batch-status", lambda job: "not an object", "job (no id)",
     " (Input should be a valid dictionary or instance of QueryJobStatusResp)"),
]


@pytest.mark.parametrize(("operation", "item", "named", "fields"), UNFIT, ids=["wrong type", "nested", "no id",
                                                                             "first three", "not an object"])
def test_an_item_that_does_not_fit_is_read_as_missing_and_named_in_a_warning(
        drs: Drs, caplog: pytest.LogCaptureFixture, operation: str, item: Callable[[str], object],
        named: str, fields: str) -> None:
    [job] = drs.jobs(1, status="INCRE_TRANSFER_STARTED")
    edit_answers(drs, operation, lambda data: data.update(results=[item(job)]))
    with caplog.at_level("WARNING", logger="pulumi_drs.api.v3"):
        read = drs.api.read_statuses([job]) if operation == "batch-status" else drs.api.read_lags([job])
    assert read == {job: (JobView if operation == "batch-status" else Lag)(job, error_message=MISSING)}
    assert [r.getMessage() for r in caplog.records if r.name == "pulumi_drs.api.v3"] == [
        f"pulumi-drs: DRS's {operation} answer for {named.format(job=job)} does not fit the documented shape: "
        f"{fields}; pulumi-drs reads this job as missing from the answer and asks again"]


@pytest.mark.parametrize("operation", ["batch-starting", "jobs"])
def test_the_warning_for_an_item_that_does_not_fit_names_the_operation(
        drs: Drs, caplog: pytest.LogCaptureFixture, operation: str) -> None:
    [job] = drs.jobs(1)
    key = "jobs" if operation == "jobs" else "results"
    edit_answers(drs, operation, lambda data: data.update({key: [{"id": job, "status": 7}]}))
    with caplog.at_level("WARNING", logger="pulumi_drs.api.v3"):
        drs.api.read_details([job]) if operation == "jobs" else start(drs.api, [job])
    [message] = [r.getMessage() for r in caplog.records if r.name == "pulumi_drs.api.v3"]
    assert message.startswith(f"pulumi-drs: DRS's {operation} answer for job {job} does not fit")

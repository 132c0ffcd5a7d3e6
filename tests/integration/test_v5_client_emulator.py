"""The DRS API v5 client's write path (jobs/action) against the emulator over real HTTP (a child process), in
both answer forms the SDK declares: 200 with a result per job (`sync`) and 202 with a query per job (`async`),
whose progress the client reads. A start whose answer is lost is never sent again, a scheduled start reaches
DRS with its time.

Jobs move only when a test steps them (a one-hour step time), so what a read shows is exact: in particular, a
start accepted asynchronously stays in CONFIGURATION with `current_action` START until the test steps it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from drs_testing.e2e import AK, PROJECT_ID, SK, calls, emulator_for_tests, start_counts
from pulumi_drs import api as api_module
from pulumi_drs.api import connect
from pulumi_drs.api.base import Act, Outcome
from pulumi_drs.api.v5.client import V5Client
from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess
from pulumi_drs.settings import Settings

GHOST = "12345678-0000-4000-8000-0000000jb101"
FORMS = ["sync", "async"]
"""The emulator's `v5_action_answer`: 200 with a result per job, or 202 with a query per job."""


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    with emulator_for_tests(3600) as emu:
        yield emu


@pytest.fixture
def admin(emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch) -> EmulatorAdmin:
    """No job, fault, logged request or changed setting from an earlier test; no project ID looked up."""
    monkeypatch.setattr(api_module, "_project_ids", {})
    emulator.admin.reset()
    return emulator.admin


@pytest.fixture(params=FORMS)
def form(request: pytest.FixtureRequest, admin: EmulatorAdmin) -> str:
    answer: str = request.param
    admin.settings(v5_action_answer=answer)
    return answer


@pytest.fixture
def answered_async(admin: EmulatorAdmin) -> EmulatorAdmin:
    admin.settings(v5_action_answer="async")
    return admin


def client_for(emulator: EmulatorProcess, **overrides: Any) -> V5Client:
    explicit: dict[str, object | None] = {
        "endpoint": emulator.url, "project_id": PROJECT_ID, "access_key": AK, "secret_key": SK, "api_version": "v5",
        "backoff_factor": 0.01, "backoff_max": 0.05, "max_retries": 2, "read_timeout": 2.0,
    }
    explicit.update(overrides)
    client = connect(Settings.resolve(explicit=explicit, config={}, env={}))
    assert isinstance(client, V5Client)
    return client


def new_jobs(admin: EmulatorAdmin, count: int, **spec: Any) -> list[str]:
    return [j["id"] for j in admin.create_jobs(count, **spec)]


def actions(admin: EmulatorAdmin) -> list[dict[str, Any]]:
    return calls(admin, "/jobs/action")


def progress_reads(admin: EmulatorAdmin) -> list[dict[str, Any]]:
    return calls(admin, "/progress")


def until(done: Any, what: str, timeout: float = 10.0) -> None:
    """Poll the request log for a request still on its way (a late copy of a timed-out request)."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def accepted(outcomes: dict[str, Outcome]) -> list[bool]:
    return [o.accepted for o in outcomes.values()]


# --- the asynchronous answer -----------------------------------------------------------------------------


def test_a_start_answered_with_a_query_is_accepted_once_its_progress_says_pending(
        emulator: EmulatorProcess, answered_async: EmulatorAdmin) -> None:
    job_ids = new_jobs(answered_async, 2)

    outcomes = client_for(emulator).act(Act.START, job_ids)

    assert accepted(outcomes) == [True, True], outcomes
    assert all("(query " in (o.note or "") and "pending" in (o.note or "") for o in outcomes.values())
    assert [c["status_code"] for c in actions(answered_async)] == [202]
    assert [c["status_code"] for c in progress_reads(answered_async)] == [200, 200]
    assert list(start_counts(answered_async, job_ids).values()) == [1, 1]


def test_a_start_drs_refuses_through_its_query_fails_with_the_code_naming_the_job(
        emulator: EmulatorProcess, answered_async: EmulatorAdmin) -> None:
    [parent] = new_jobs(answered_async, 1)
    new_jobs(answered_async, 1, parent_id=parent)
    [running] = new_jobs(answered_async, 1, status="INCRE_TRANSFER_STARTED")

    outcomes = client_for(emulator).act(Act.START, [parent, running, GHOST])

    assert [(o.accepted, o.error_code) for o in outcomes.values()] == [
        (False, "DRS.M00307"), (False, "DRS.M00304"), (False, "DRS.10000010")]
    assert all(f"job {job_id} (query " in (o.error_message or "") for job_id, o in outcomes.items())
    assert start_counts(answered_async, [parent, running]) == {parent: 0, running: 0}


def test_a_progress_that_cannot_be_read_leaves_the_start_accepted_and_sends_nothing_again(
        emulator: EmulatorProcess, answered_async: EmulatorAdmin) -> None:
    [job] = new_jobs(answered_async, 1)
    answered_async.add_fault("/progress", "status", status=503, times=0)

    [outcome] = client_for(emulator).act(Act.START, [job]).values()

    assert outcome.accepted and "its progress could not be read" in (outcome.note or ""), outcome
    assert (len(actions(answered_async)), len(progress_reads(answered_async))) == (1, 3)
    assert answered_async.get_job(job)["start_count"] == 1


def test_a_resume_answered_with_a_query_is_accepted_and_resumes_the_job(
        emulator: EmulatorProcess, answered_async: EmulatorAdmin) -> None:
    [paused] = new_jobs(answered_async, 1, status="PAUSING")

    [outcome] = client_for(emulator).act(Act.RESUME, [paused]).values()

    assert outcome.accepted, outcome
    answered_async.step([paused], steps=2)
    assert (answered_async.get_job(paused)["status"], answered_async.get_job(paused)["retry_count"]) == (
        "INCRE_TRANSFER_STARTED", 1)


# --- lost answers ----------------------------------------------------------------------------------------


def test_a_start_whose_answer_is_lost_while_drs_is_still_starting_in_configuration_is_not_sent_again(
        emulator: EmulatorProcess, answered_async: EmulatorAdmin) -> None:
    [job] = new_jobs(answered_async, 1)
    answered_async.add_fault("/jobs/action", "drop_after")

    [outcome] = client_for(emulator).act(Act.START, [job]).values()

    listed = client_for(emulator).list_jobs("migration", [job])[0]
    assert (listed.status, listed.job_action and listed.job_action.current_action) == ("CONFIGURATION", "START")
    assert (outcome.accepted, outcome.inferred) == (True, True), outcome
    assert len(actions(answered_async)) == 1
    assert answered_async.get_job(job)["start_count"] == 1


LOSSES: dict[str, tuple[dict[str, Any], int]] = {
    "500-twice": ({"mode": "status", "status": 500, "times": 2}, 3),
    "drop-before": ({"mode": "drop_before"}, 2),
    "drop-after-lost-answer": ({"mode": "drop_after"}, 1),
    "502-after-the-work": ({"mode": "status_after", "status": 502}, 1),
    "slower-than-the-read-timeout": ({"mode": "delay", "delay_seconds": 1.5}, 2),
}
"""Fault on jobs/action -> how many action requests reach DRS (the slow first one lands after the re-send)."""


@pytest.mark.parametrize("fault", list(LOSSES))
def test_every_fault_on_jobs_action_ends_with_each_job_started_once_in_either_form(
        emulator: EmulatorProcess, admin: EmulatorAdmin, form: str, fault: str) -> None:
    rule, sent = LOSSES[fault]
    job_ids = new_jobs(admin, 3)
    admin.add_fault("/jobs/action", **rule)

    outcomes = client_for(emulator, read_timeout=0.5).act(Act.START, job_ids)

    until(lambda: len(actions(admin)) == sent, f"{sent} action requests")
    assert accepted(outcomes) == [True] * 3, outcomes
    assert list(start_counts(admin, job_ids).values()) == [1, 1, 1]


# --- scheduled starts -------------------------------------------------------------------------------------


def test_a_scheduled_start_reaches_drs_with_its_time_in_either_form(
        emulator: EmulatorProcess, admin: EmulatorAdmin, form: str) -> None:
    [job] = new_jobs(admin, 1)
    start_time = str(int(time.time() + 3600) * 1000)
    api = client_for(emulator)

    [outcome] = api.act(Act.START, [job], start_time=start_time).values()

    if form == "async":
        admin.step([job])  # the start under way, into WAITING_FOR_START
    detail = api.show_job_detail(job)
    assert outcome.accepted, outcome
    assert (admin.get_job(job)["status"], admin.get_job(job)["scheduled_start"]) == (
        "WAITING_FOR_START", int(start_time) / 1000)
    assert detail is not None and detail.base_info is not None and detail.base_info.start_time == start_time


def test_a_start_without_a_time_starts_now_in_either_form(
        emulator: EmulatorProcess, admin: EmulatorAdmin, form: str) -> None:
    [job] = new_jobs(admin, 1)

    [outcome] = client_for(emulator).act(Act.START, [job]).values()

    assert outcome.accepted, outcome
    if form == "async":
        admin.step([job])  # the start under way, into STARTJOBING
    assert (admin.get_job(job)["status"], admin.get_job(job)["scheduled_start"]) == ("STARTJOBING", None)


# --- reads beyond statuses, and ends ----------------------------------------------------------------


def test_details_come_from_the_job_list_and_for_dr_and_unknown_jobs_from_show_job_detail(
        emulator: EmulatorProcess, admin: EmulatorAdmin) -> None:
    plain, parent = new_jobs(admin, 2)
    child = new_jobs(admin, 1, parent_id=parent)[0]
    forward = new_jobs(admin, 1)[0]
    backward = admin.create_jobs([{"forward_job_id": forward}])[0]["id"]
    client = client_for(emulator)
    try:
        details = client.read_details([plain, parent, backward, GHOST])
    finally:
        client.close()
    assert (details[plain].task_type, details[plain].subtasks, details[plain].multi_write) == (
        admin.get_job(plain)["task_type"], (), False)
    assert details[parent].subtasks == (child,)
    assert details[backward].multi_write is True and details[backward].db_use_type == "cloudDataGuard"
    assert (details[GHOST].error_code, details[GHOST].status) == ("DRS.10000010", None)
    shown = [r["path"].rsplit("/", 1)[1] for r in admin.requests_log() if r["method"] == "GET"
             and not r["path"].endswith("/jobs")]
    assert sorted(shown) == sorted([backward, GHOST])  # ShowJobDetail only for the DR job and the unknown one


def test_a_job_the_list_does_not_show_is_read_by_show_job_detail(emulator: EmulatorProcess,
                                                                 admin: EmulatorAdmin) -> None:
    job = new_jobs(admin, 1, status="INCRE_TRANSFER_STARTED")[0]
    client = client_for(emulator)
    try:
        views = client.read_statuses([job, GHOST])
    finally:
        client.close()
    assert views[job].status == "INCRE_TRANSFER_STARTED"
    assert (views[GHOST].status, views[GHOST].error_code) == (None, "DRS.10000010")


def test_terminate_goes_through_batch_stop_and_a_lost_answer_is_not_sent_again(
        emulator: EmulatorProcess, admin: EmulatorAdmin) -> None:
    kept, lost = new_jobs(admin, 2, status="INCRE_TRANSFER_STARTED")
    admin.add_fault("jobs/batch-stop", "drop_after")
    client = client_for(emulator)
    try:
        outcomes = client.act(Act.TERMINATE, [kept, lost])
        lags = client.read_lags([kept])
    finally:
        client.close()
    assert {j: o.accepted for j, o in outcomes.items()} == {kept: True, lost: True}
    assert all(o.inferred for o in outcomes.values())  # the answer was lost: DRS's statuses tell
    assert [r["fault"] for r in calls(admin, "jobs/batch-stop")] == ["drop_after"]
    assert {admin.get_job(j)["terminate_count"] for j in (kept, lost)} == {1}
    assert lags[kept].rpo_seconds is not None  # from v3's batch-rpo-and-rto


def test_terminate_answered_in_full_gives_each_job_what_drs_said_of_it(emulator: EmulatorProcess,
                                                                      admin: EmulatorAdmin) -> None:
    running = new_jobs(admin, 1, status="INCRE_TRANSFER_STARTED")[0]
    client = client_for(emulator)
    try:
        outcomes = client.act(Act.TERMINATE, [running, GHOST])
    finally:
        client.close()
    assert (outcomes[running].accepted, outcomes[running].inferred) == (True, False)
    assert (outcomes[GHOST].accepted, outcomes[GHOST].error_code) == (False, "DRS.10000010")
    assert [r["fault"] for r in calls(admin, "jobs/batch-stop")] == [None]
    assert admin.get_job(running)["terminate_count"] == 1


def test_the_job_list_is_walked_page_by_page_until_every_job_is_read(emulator: EmulatorProcess,
                                                                     admin: EmulatorAdmin) -> None:
    jobs = new_jobs(admin, 3)
    admin.settings(max_per_page=1)
    client = client_for(emulator)
    try:
        statuses = client.read_statuses(jobs)
    finally:
        client.close()
    assert {j: v.status for j, v in statuses.items()} == dict.fromkeys(jobs, "CONFIGURATION")
    reads = [r["path"] for r in admin.requests_log() if r["method"] == "GET"]
    assert len(reads) == 3 and all(p.endswith("/jobs") for p in reads)  # a page a job, no more; no ShowJobDetail

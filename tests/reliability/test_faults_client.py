"""The DRS client (`pulumi_drs.api.connect`) against the emulator over HTTP with injected faults: every
start lands exactly once.

Each fault is injected into the emulator's gateway for a few requests (a burst: the client must ride it
out) or for every request (the client must give up with an error that says what happened). The
emulator's admin API then shows each job's `start_count`, and its request log how many requests DRS
processed. Statuses move only when a test steps them (`admin.step`), so no test waits for a status.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from drs_testing.e2e import AK, PROJECT_ID, SK
from pulumi_drs.api import DrsApi, connect
from pulumi_drs.api.base import Act, Outcome
from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess
from pulumi_drs.errors import ConnectionDroppedError, DrsError, ServerError, ThrottledError
from pulumi_drs.settings import Settings
from reliability.support import FAST_ENV, RUNNING, assert_started_once, calls, wait_until

MAX_RETRIES = int(FAST_ENV["PULUMI_DRS_MAX_RETRIES"])

NO_WORK_BURSTS: dict[str, dict[str, Any]] = {
    "500 burst": {"mode": "status", "status": 500, "times": 3},
    "503 burst": {"mode": "status", "status": 503, "times": 3},
    "429 with Retry-After": {"mode": "status", "status": 429, "retry_after": 1, "times": 1},
    "DRS.M01503 (HTTP 400)": {"mode": "status", "status": 400, "error_code": "DRS.M01503", "times": 2},
    "connection dropped before processing": {"mode": "drop_before", "times": 2},
}
"""Faults answered before DRS does any work: each faulted request is sent once more."""

# name -> (fault rule on batch-starting, how many start requests reach DRS)
BURSTS: dict[str, tuple[dict[str, Any], int]] = {
    **{name: (rule, rule["times"] + 1) for name, rule in NO_WORK_BURSTS.items()},
    "answer slower than the read timeout": ({"mode": "delay", "delay_seconds": 2, "times": 1}, 2),
    "connection dropped after processing": ({"mode": "drop_after", "times": 1}, 1),
    "502 after processing": ({"mode": "status_after", "status": 502, "times": 1}, 1),
}

EXHAUSTED: dict[str, tuple[dict[str, Any], type[DrsError], str]] = {
    "500 forever": ({"mode": "status", "status": 500, "times": 0}, ServerError,
                    "batch-starting: DRS answered HTTP 500 DRS.M00004"),
    "503 forever": ({"mode": "status", "status": 503, "times": 0}, ServerError,
                    "batch-starting: DRS answered HTTP 503 DRS.M00004"),
    "429 forever": ({"mode": "status", "status": 429, "retry_after": 0.1, "times": 0}, ThrottledError,
                    "HTTP 429 APIG.0308"),
    "DRS.M01503 forever": ({"mode": "status", "status": 400, "error_code": "DRS.M01503", "times": 0},
                           ThrottledError, "HTTP 400 DRS.M01503"),
    "dropped before processing, forever": ({"mode": "drop_before", "times": 0}, ConnectionDroppedError,
                                           "the connection closed before DRS answered"),
}

CONFIG = {"drs:endpoint": "", "drs:projectId": PROJECT_ID, "drs:accessKey": AK, "drs:secretKey": SK}


@pytest.fixture
def admin(admin: EmulatorAdmin) -> EmulatorAdmin:
    """The session emulator, with statuses that move only when a test steps them."""
    admin.settings(transition_seconds=3600)
    return admin


def client(emulator: EmulatorProcess, **env: str) -> DrsApi:
    return connect(Settings.resolve(config={**CONFIG, "drs:endpoint": emulator.url}, env={**FAST_ENV, **env}))


@pytest.fixture
def api(emulator: EmulatorProcess) -> Iterator[DrsApi]:
    drs = client(emulator)
    yield drs
    drs.close()


@pytest.fixture
def sleeps(api: DrsApi) -> list[float]:
    """The waits the client took between tries of a call that changes jobs (it still waits them)."""
    taken: list[float] = []

    def sleep(seconds: float) -> None:
        taken.append(seconds)
        time.sleep(seconds)

    api.transport.sleep = sleep  # type: ignore[attr-defined]
    return taken


def start(api: DrsApi, job_ids: list[str]) -> dict[str, Outcome]:
    return api.act(Act.START, job_ids)


def requests_to(admin: EmulatorAdmin, operation: str) -> int:
    return len(calls(admin.requests_log(), operation))


@pytest.mark.parametrize("fault", list(BURSTS), ids=list(BURSTS))
def test_a_start_survives_a_burst_of_faults_and_starts_each_job_once(
        api: DrsApi, admin: EmulatorAdmin, sleeps: list[float], fault: str) -> None:
    rule, sent = BURSTS[fault]
    job_ids = [j["id"] for j in admin.create_jobs(3)]
    admin.add_fault("batch-starting", **rule)

    outcomes = start(api, job_ids)

    assert {j: o.accepted for j, o in outcomes.items()} == {j: True for j in job_ids}
    wait_until(lambda: requests_to(admin, "batch-starting") == sent, 10, f"{sent} start requests")  # a late copy
    assert_started_once(admin, job_ids)
    if "retry_after" in rule:
        assert sleeps[0] == rule["retry_after"], f"Retry-After not honoured: waited {sleeps}"


def test_a_lost_start_answer_is_reconciled_without_a_second_start_request(api: DrsApi, admin: EmulatorAdmin) -> None:
    job_ids = [j["id"] for j in admin.create_jobs(3)]
    admin.add_fault("batch-starting", mode="drop_after", times=1)

    outcomes = start(api, job_ids)

    assert all(o.accepted and "the answer was lost" in (o.note or "") for o in outcomes.values()), outcomes
    assert (requests_to(admin, "batch-starting"), requests_to(admin, "batch-status")) == (1, 1)
    assert_started_once(admin, job_ids)


@pytest.mark.parametrize("fault", list(EXHAUSTED), ids=list(EXHAUSTED))
def test_a_start_gives_up_with_a_clear_error_when_retries_run_out_and_starts_nothing(
        api: DrsApi, admin: EmulatorAdmin, fault: str) -> None:
    rule, error_class, message = EXHAUSTED[fault]
    job_ids = [j["id"] for j in admin.create_jobs(2)]
    admin.add_fault("batch-starting", **rule)

    with pytest.raises(error_class) as raised:
        start(api, job_ids)

    assert message in str(raised.value)
    assert requests_to(admin, "batch-starting") == MAX_RETRIES + 1
    assert {j: admin.get_job(j)["start_count"] for j in job_ids} == {j: 0 for j in job_ids}
    admin.clear_faults()
    assert all(o.accepted for o in start(api, job_ids).values())  # the rerun converges
    assert_started_once(admin, job_ids)


# name -> (fault rule on batch-status, how many status reads reach DRS)
READ_FAULTS: dict[str, tuple[dict[str, Any], int]] = {
    **{name: (rule, rule["times"] + 1) for name, rule in NO_WORK_BURSTS.items()},
    "answer slower than the read timeout": ({"mode": "delay", "delay_seconds": 1.5, "times": 1}, 2),
}


def running_jobs(api: DrsApi, admin: EmulatorAdmin, count: int) -> list[str]:
    """`count` jobs started through the client (no fault), stepped to running; the request log emptied."""
    job_ids = [j["id"] for j in admin.create_jobs(count)]
    assert all(o.accepted for o in start(api, job_ids).values())
    admin.step(job_ids, steps=2)  # STARTJOBING -> FULL_TRANSFER_STARTED -> INCRE_TRANSFER_STARTED
    assert [admin.get_job(j)["status"] for j in job_ids] == [RUNNING] * count
    admin.clear_requests()
    return job_ids


@pytest.mark.parametrize("fault", list(READ_FAULTS), ids=list(READ_FAULTS))
def test_status_reads_ride_out_a_burst_of_faults(api: DrsApi, admin: EmulatorAdmin, fault: str) -> None:
    rule, sent = READ_FAULTS[fault]
    job_ids = running_jobs(api, admin, 3)
    admin.add_fault("batch-status", **rule)
    began = time.monotonic()

    statuses = api.read_statuses(job_ids)

    assert {j: v.status for j, v in statuses.items()} == {j: RUNNING for j in job_ids}
    if "retry_after" in rule:
        assert time.monotonic() - began >= rule["retry_after"]
    wait_until(lambda: requests_to(admin, "batch-status") == sent, 10, f"{sent} status reads")  # a late copy
    assert [r["fault"] for r in admin.requests_log()].count(None) == sent - rule["times"]
    assert_started_once(admin, job_ids)


def test_a_late_first_start_landing_before_the_resend_is_reconciled(emulator: EmulatorProcess,
                                                                    admin: EmulatorAdmin) -> None:
    """The first request times out and lands after the client checked the status (still CONFIGURATION) but
    before its re-send lands: DRS refuses the re-send with DRS.M00304, which the client reads as done.
    With a 3 s read timeout: the check runs at about 3.1 s, the first copy lands at 4.5 s, the re-send at
    about 5.3 s, and its answer comes within its own timeout: each step has 0.8 s or more to spare on a
    loaded machine."""
    job_ids = [j["id"] for j in admin.create_jobs(2)]
    admin.add_fault("batch-starting", mode="delay", delay_seconds=4.5, times=1)
    admin.add_fault("batch-starting", mode="delay", delay_seconds=2.2, times=1)

    slow = client(emulator, PULUMI_DRS_READ_TIMEOUT="3")
    try:
        outcomes = start(slow, job_ids)
    finally:
        slow.close()

    assert all(o.accepted and "re-sent request was refused" in (o.note or "") for o in outcomes.values()), outcomes
    wait_until(lambda: requests_to(admin, "batch-starting") == 2, 10, "both start requests")
    assert requests_to(admin, "batch-status") == 2
    assert_started_once(admin, job_ids)


def test_a_lost_terminate_answer_is_reconciled_and_terminates_each_job_once(api: DrsApi,
                                                                           admin: EmulatorAdmin) -> None:
    job_ids = running_jobs(api, admin, 2)
    admin.add_fault("batch-jobs", mode="drop_after", times=1)
    admin.add_fault("batch-status", mode="status", status=503, times=1)

    outcomes = api.act(Act.TERMINATE, job_ids)

    assert [o.accepted for o in outcomes.values()] == [True, True]
    assert [admin.get_job(j)["terminate_count"] for j in job_ids] == [1, 1]
    assert (requests_to(admin, "batch-jobs"), requests_to(admin, "batch-status")) == (1, 2)
    assert [admin.get_job(j)["status"] for j in job_ids] == ["RELEASE_RESOURCE_STARTED"] * 2
    assert_started_once(admin, job_ids)


def test_a_lost_retry_answer_for_a_failed_transfer_retries_it_once(api: DrsApi, admin: EmulatorAdmin) -> None:
    job_ids = running_jobs(api, admin, 2)
    for job_id in job_ids:
        admin.set_status(job_id, "INCRE_TRANSFER_FAILED")
    admin.add_fault("batch-retry-task", mode="drop_after", times=1)

    outcomes = api.act(Act.RETRY, job_ids)

    assert all(o.accepted and "status STARTJOBING" in (o.note or "") for o in outcomes.values()), outcomes
    assert [admin.get_job(j)["retry_count"] for j in job_ids] == [1, 1]
    assert requests_to(admin, "batch-retry-task") == 1
    assert_started_once(admin, job_ids)


def test_a_lost_resume_answer_does_not_resume_a_paused_job_twice(api: DrsApi, admin: EmulatorAdmin) -> None:
    """A paused job stays PAUSING until the resume takes effect, so the status read after a lost answer
    cannot tell whether the resume landed; the client must not send it again."""
    job_ids = running_jobs(api, admin, 2)
    for job_id in job_ids:
        admin.set_status(job_id, "PAUSING")
    admin.add_fault("batch-retry-task", mode="drop_after", times=1)

    api.act(Act.RESUME, job_ids)

    assert requests_to(admin, "batch-retry-task") == 1
    assert [admin.get_job(j)["retry_count"] for j in job_ids] == [1, 1]
    admin.step(job_ids)  # the resume that landed takes its step
    assert {j: v.status for j, v in api.read_statuses(job_ids).items()} == {j: RUNNING for j in job_ids}
    assert_started_once(admin, job_ids)

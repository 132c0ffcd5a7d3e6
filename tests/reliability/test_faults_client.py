"""DrsClient against the emulator over HTTP with injected faults: every start lands exactly once.

Each fault is injected into the emulator's gateway for a few requests (a burst: the client must ride it
out) or for every request (the client must give up with an error that says what happened). The
emulator's admin API then shows each job's `start_count`, and its request log how many start requests
DRS actually processed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from drs_testing.e2e import AK, PROJECT_ID, SK
from pulumi_drs import wire
from pulumi_drs.client import DrsClient
from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess
from pulumi_drs.errors import ConnectionDroppedError, DrsError, ServerError, ThrottledError
from pulumi_drs.settings import Settings
from reliability.support import FAST_ENV, RUNNING, accepted_starts, assert_started_once, calls, wait_until

# name -> fault rule options (injected on batch-starting unless the test says otherwise)
BURSTS: dict[str, dict[str, Any]] = {
    "500 burst": {"mode": "status", "status": 500, "times": 3},
    "503 burst": {"mode": "status", "status": 503, "times": 3},
    "429 with Retry-After": {"mode": "status", "status": 429, "retry_after": 1, "times": 1},
    "DRS.M01503 (HTTP 400)": {"mode": "status", "status": 400, "error_code": "DRS.M01503", "times": 2},
    "answer slower than the read timeout": {"mode": "delay", "delay_seconds": 2, "times": 1},
    "connection dropped before processing": {"mode": "drop_before", "times": 2},
    "connection dropped after processing": {"mode": "drop_after", "times": 1},
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


@pytest.fixture
def client(emulator: EmulatorProcess) -> Iterator[DrsClient]:
    config = {"drs:endpoint": emulator.url, "drs:projectId": PROJECT_ID, "drs:accessKey": AK,
              "drs:secretKey": SK}
    with DrsClient(Settings.resolve(config=config, env=FAST_ENV)) as drs:
        yield drs


@pytest.fixture
def sleeps(client: DrsClient) -> list[float]:
    """The waits the client took between tries (it still waits them)."""
    taken: list[float] = []

    def sleep(seconds: float) -> None:
        taken.append(seconds)
        time.sleep(seconds)

    client.sleep = sleep
    return taken


def start(client: DrsClient, job_ids: list[str]) -> dict[str, wire.StartJobResult]:
    return {r.id: r for r in client.start_jobs([wire.StartInfo(job_id=j) for j in job_ids])}


@pytest.mark.parametrize("fault", list(BURSTS), ids=list(BURSTS))
def test_a_start_survives_a_burst_of_faults_and_starts_each_job_once(
        client: DrsClient, admin: EmulatorAdmin, sleeps: list[float], fault: str) -> None:
    job_ids = [j["id"] for j in admin.create_jobs(3)]
    admin.add_fault("batch-starting", **BURSTS[fault])

    results = start(client, job_ids)

    assert {j: r.status for j, r in results.items()} == {j: "success" for j in job_ids}
    if BURSTS[fault]["mode"] == "delay":  # the late copy reaches DRS after the client moved on
        wait_until(lambda: any(r["fault"] == "delay" for r in admin.requests_log()), 10, "the late request")
    assert_started_once(admin, job_ids)
    assert accepted_starts(admin.requests_log()) == {j: 1 for j in job_ids}
    if "retry_after" in BURSTS[fault]:
        assert sleeps[0] >= BURSTS[fault]["retry_after"], f"Retry-After not honoured: waited {sleeps}"


def test_a_lost_start_answer_is_reconciled_without_a_second_start_request(
        client: DrsClient, admin: EmulatorAdmin) -> None:
    job_ids = [j["id"] for j in admin.create_jobs(3)]
    admin.add_fault("batch-starting", mode="drop_after", times=1)

    results = start(client, job_ids)

    assert all(r.status == "success" and "answer was lost" in (r.error_msg or "") for r in results.values())
    assert len(calls(admin.requests_log(), "batch-starting")) == 1  # asked batch-status, did not re-send
    assert_started_once(admin, job_ids)


@pytest.mark.parametrize("fault", list(EXHAUSTED), ids=list(EXHAUSTED))
def test_a_start_gives_up_with_a_clear_error_when_retries_run_out_and_starts_nothing(
        client: DrsClient, admin: EmulatorAdmin, fault: str) -> None:
    rule, error_class, message = EXHAUSTED[fault]
    job_ids = [j["id"] for j in admin.create_jobs(2)]
    admin.add_fault("batch-starting", **rule)

    with pytest.raises(error_class) as raised:
        start(client, job_ids)

    assert message in str(raised.value)
    tries = len(calls(admin.requests_log(), "batch-starting"))
    assert tries == int(FAST_ENV["PULUMI_DRS_MAX_RETRIES"]) + 1, f"{tries} tries"
    assert {j: admin.get_job(j)["start_count"] for j in job_ids} == {j: 0 for j in job_ids}
    admin.clear_faults()
    assert all(r.status == "success" for r in start(client, job_ids).values())  # the rerun converges
    assert_started_once(admin, job_ids)


READ_FAULTS: dict[str, dict[str, Any]] = {
    "500 burst": {"mode": "status", "status": 500, "times": 3},
    "503 burst": {"mode": "status", "status": 503, "times": 3},
    "429 with Retry-After": {"mode": "status", "status": 429, "retry_after": 1, "times": 1},
    "DRS.M01503 (HTTP 400)": {"mode": "status", "status": 400, "error_code": "DRS.M01503", "times": 2},
    "answer slower than the read timeout": {"mode": "delay", "delay_seconds": 1.5, "times": 1},
    "connection dropped": {"mode": "drop_before", "times": 2},
}


def started_jobs(client: DrsClient, admin: EmulatorAdmin, count: int) -> list[str]:
    """`count` jobs started through the client (no fault) and running."""
    job_ids = [j["id"] for j in admin.create_jobs(count)]
    assert all(r.status == "success" for r in start(client, job_ids).values())
    wait_until(lambda: all(admin.get_job(j)["status"] == RUNNING for j in job_ids), 10, "the jobs to run")
    return job_ids


@pytest.mark.parametrize("fault", list(READ_FAULTS), ids=list(READ_FAULTS))
def test_status_reads_ride_out_a_burst_of_faults(client: DrsClient, admin: EmulatorAdmin, fault: str) -> None:
    job_ids = started_jobs(client, admin, 3)
    admin.add_fault("batch-status", **READ_FAULTS[fault])
    began = time.monotonic()

    statuses = client.job_statuses(job_ids)

    assert {j: s.status for j, s in statuses.items()} == {j: RUNNING for j in job_ids}
    wait_until(lambda: any(r["fault"] for r in admin.requests_log()), 5, "the faulty request in the log")
    if "retry_after" in READ_FAULTS[fault]:
        assert time.monotonic() - began >= READ_FAULTS[fault]["retry_after"]
    assert_started_once(admin, job_ids)


def test_a_late_first_start_landing_before_the_resend_is_reconciled(emulator: EmulatorProcess,
                                                                    admin: EmulatorAdmin) -> None:
    """The first request times out and lands after the client checked the status (still CONFIGURATION) but
    before its re-send lands: DRS refuses the re-send with DRS.M00304, which the client reads as done.
    With a 2 s read timeout: the check runs at about 2.1 s, the first copy lands at 2.5 s, the re-send at
    about 3.1 s, and its answer comes well within its own timeout."""
    config = {"drs:endpoint": emulator.url, "drs:projectId": PROJECT_ID, "drs:accessKey": AK,
              "drs:secretKey": SK}
    job_ids = [j["id"] for j in admin.create_jobs(2)]
    admin.add_fault("batch-starting", mode="delay", delay_seconds=2.5, times=1)
    admin.add_fault("batch-starting", mode="delay", delay_seconds=1.0, times=1)

    with DrsClient(Settings.resolve(config=config, env={**FAST_ENV, "PULUMI_DRS_READ_TIMEOUT": "2"})) as slow:
        results = start(slow, job_ids)

    assert all(r.status == "success" and "DRS.M00304" in (r.error_msg or "") for r in results.values()), results
    wait_until(lambda: len(calls(admin.requests_log(), "batch-starting")) == 2, 10, "both start requests")
    assert_started_once(admin, job_ids)
    assert accepted_starts(admin.requests_log()) == {j: 1 for j in job_ids}


def test_a_lost_terminate_answer_is_reconciled_and_terminates_each_job_once(
        client: DrsClient, admin: EmulatorAdmin) -> None:
    job_ids = started_jobs(client, admin, 2)
    admin.add_fault("batch-jobs", mode="drop_after", times=1)
    admin.add_fault("batch-status", mode="status", status=503, times=1)

    results = client.terminate_jobs(job_ids)

    assert [r.status for r in results] == ["success", "success"]
    assert [admin.get_job(j)["terminate_count"] for j in job_ids] == [1, 1]
    assert_started_once(admin, job_ids)


def test_a_lost_retry_answer_for_a_failed_transfer_retries_it_once(client: DrsClient, admin: EmulatorAdmin) -> None:
    job_ids = started_jobs(client, admin, 2)
    for job_id in job_ids:
        admin.set_status(job_id, "INCRE_TRANSFER_FAILED")
    admin.add_fault("batch-retry-task", mode="drop_after", times=1)

    results = client.retry_jobs(job_ids)

    assert [r.status for r in results] == ["success", "success"]
    assert [admin.get_job(j)["retry_count"] for j in job_ids] == [1, 1]
    assert_started_once(admin, job_ids)


def test_a_lost_resume_answer_does_not_resume_a_paused_job_twice(client: DrsClient, admin: EmulatorAdmin) -> None:
    """A paused job stays PAUSING until the resume takes effect, so the status read after a lost answer
    cannot tell whether the resume landed; the client must not send it again."""
    job_ids = started_jobs(client, admin, 2)
    admin.settings(transition_seconds=1)
    for job_id in job_ids:
        admin.set_status(job_id, "PAUSING")
    admin.add_fault("batch-retry-task", mode="drop_after", times=1)

    client.retry_jobs(job_ids)

    resumes = calls(admin.requests_log(), "batch-retry-task")
    assert [admin.get_job(j)["retry_count"] for j in job_ids] == [1, 1], f"{len(resumes)} resume requests"
    assert_started_once(admin, job_ids)

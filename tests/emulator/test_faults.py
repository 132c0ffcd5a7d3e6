"""Fault injection: answers with an error status, dropped connections (before or after the work), delay."""

from __future__ import annotations

import time

import pytest
import requests
from emulator_helpers import SignedDrs

from pulumi_drs.emulator import EmulatorAdmin
from pulumi_drs.emulator.faults import abort_connection


def test_status_fault_answers_the_error_without_doing_the_work(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1)[0]["id"]
    manual.add_fault("batch-starting", "status", status=429, retry_after=2)

    response = drs.start(job)

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2"
    assert response.json()["error_code"] == "APIG.0308"
    assert manual.get_job(job)["start_count"] == 0
    assert drs.start(job).status_code == 202  # used up after one request


def test_status_fault_carries_the_given_error_code(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    manual.add_fault("batch-status", "status", status=500, error_code="DRS.M00004", times=2)

    codes = [drs.status(["x"]).status_code for _ in range(3)]

    assert codes == [500, 500, 200]


def test_drop_before_closes_the_connection_without_doing_the_work(
    drs: SignedDrs, manual: EmulatorAdmin
) -> None:
    job = manual.create_jobs(1)[0]["id"]
    manual.add_fault("batch-starting", "drop_before")

    with pytest.raises(requests.ConnectionError):
        drs.start(job)

    assert manual.get_job(job)["start_count"] == 0
    assert manual.get_job(job)["status"] == "CONFIGURATION"


def test_drop_after_does_the_work_then_closes_the_connection(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1)[0]["id"]
    manual.add_fault("batch-starting", "drop_after")

    with pytest.raises(requests.ConnectionError):
        drs.start(job)

    assert manual.get_job(job)["start_count"] == 1
    assert manual.get_job(job)["status"] == "STARTJOBING"


def test_dropped_connection_is_not_a_500(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    manual.add_fault("batch-status", "drop_after", times=0)

    for _ in range(3):
        with pytest.raises(requests.ConnectionError):
            drs.status(["x"])

    assert [entry["status_code"] for entry in manual.requests_log()] == [200, 200, 200]


def test_delay_fault_answers_normally_after_the_delay(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    manual.add_fault("batch-status", "delay", delay_seconds=0.3)

    started = time.monotonic()
    response = drs.status(["x"])

    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200


def test_fault_matches_method_and_path_substring(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    manual.add_fault("/jobs/batch-", "status", status=503, method="DELETE")

    assert drs.status(["x"]).status_code == 200
    assert drs.delete("terminate", "x").status_code == 503


def test_clear_faults_removes_them(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    manual.add_fault("batch-status", "status", times=0)
    manual.clear_faults()

    assert drs.status(["x"]).status_code == 200


def test_latency_setting_slows_every_drs_request(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    manual.settings(latency_ms=200)

    started = time.monotonic()
    drs.status(["x"])

    assert time.monotonic() - started >= 0.2


def test_abort_connection_refuses_a_receive_without_a_transport() -> None:
    async def receive() -> dict[str, object]:
        return {}

    with pytest.raises(RuntimeError, match="cannot reach the connection"):
        abort_connection(receive)


def test_status_after_fault_does_the_work_then_answers_the_error(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1)[0]["id"]
    manual.add_fault("batch-starting", "status_after")

    response = drs.start(job)

    assert response.status_code == 500
    assert response.json() == {"error_code": "DRS.M00004", "error_msg": "Service abnormal."}
    assert manual.get_job(job)["start_count"] == 1
    assert manual.get_job(job)["status"] == "STARTJOBING"
    (entry,) = manual.requests_log()
    assert (entry["status_code"], entry["fault"]) == (500, "status_after")


def test_status_after_fault_answers_the_status_and_code_it_names(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1, status="INCRE_TRANSFER_STARTED")[0]["id"]
    manual.add_fault("batch-jobs", "status_after", status=504, error_code="APIGW.0201", retry_after=1)

    response = drs.delete("terminate", job)

    assert (response.status_code, response.json()["error_code"]) == (504, "APIGW.0201")
    assert response.headers["Retry-After"] == "1"
    assert manual.get_job(job)["terminate_count"] == 1


def test_a_fault_with_skip_lets_that_many_matching_requests_through_first(drs: SignedDrs,
                                                                          manual: EmulatorAdmin) -> None:
    manual.add_fault("/jobs", "status", status=500, skip=2)

    codes = [drs.status(["x"]).status_code for _ in range(4)]

    assert codes == [200, 200, 500, 200]
    assert manual.requests_log()[2]["fault"] == "status"

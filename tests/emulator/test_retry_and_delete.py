"""batch-retry-task (200) and DELETE batch-jobs (202): allowed statuses, results, counters."""

from __future__ import annotations

import time

import pytest
from emulator_helpers import UNKNOWN_JOB, SignedDrs, items_by_id

from pulumi_drs.emulator import EmulatorAdmin


@pytest.mark.parametrize("paused", ["PAUSING", "PAUSEING"])
def test_retry_resumes_a_paused_job_after_one_step(drs: SignedDrs, admin: EmulatorAdmin, paused: str) -> None:
    admin.settings(transition_seconds=0.5)
    job = admin.create_jobs(1)[0]["id"]
    admin.set_status(job, paused)

    response = drs.retry(job)

    assert response.status_code == 200
    assert response.json() == {"count": 1, "results": [{"id": job, "status": "success"}]}
    assert drs.status_of(job) == paused
    time.sleep(0.6)
    assert drs.status_of(job) == "INCRE_TRANSFER_STARTED"
    assert admin.get_job(job)["retry_count"] == 1


def test_retry_restarts_a_failed_full_transfer(drs: SignedDrs, admin: EmulatorAdmin) -> None:
    admin.settings(transition_seconds=0)
    job = admin.create_jobs(1)[0]["id"]
    admin.set_status(job, "FULL_TRANSFER_FAILED")

    drs.retry(job)

    assert [drs.status_of(job) for _ in range(2)] == ["FULL_TRANSFER_STARTED", "INCRE_TRANSFER_STARTED"]


def test_retry_of_a_job_that_is_not_paused_or_failed_fails_with_m00304(
    drs: SignedDrs, manual: EmulatorAdmin
) -> None:
    running, failed = (j["id"] for j in manual.create_jobs(2))
    manual.set_status(running, "INCRE_TRANSFER_STARTED")
    manual.set_status(failed, "INCRE_TRANSFER_FAILED")

    response = drs.retry(running, failed, UNKNOWN_JOB)

    assert response.status_code == 200
    items = items_by_id(response)
    assert items[running]["error_code"] == "DRS.M00304"
    assert items[failed]["status"] == "success"
    assert items[UNKNOWN_JOB]["error_code"] == "DRS.M05003"
    assert manual.get_job(failed)["status"] == "STARTJOBING"


def test_terminate_releases_the_job_then_delete_removes_it(drs: SignedDrs, admin: EmulatorAdmin) -> None:
    admin.settings(transition_seconds=0.5)
    job = admin.create_jobs(1)[0]["id"]
    admin.set_status(job, "INCRE_TRANSFER_STARTED")

    response = drs.delete("terminate", job)

    assert response.status_code == 202
    assert response.json() == {"count": 1, "results": [{"id": job, "status": "success"}]}
    assert drs.status_of(job) == "RELEASE_RESOURCE_STARTED"
    time.sleep(0.6)
    assert drs.status_of(job) == "RELEASE_RESOURCE_COMPLETE"
    assert admin.get_job(job)["terminate_count"] == 1

    assert drs.delete("delete", job).json()["results"][0]["status"] == "success"
    assert drs.status_of(job) == "DELETED"
    time.sleep(0.6)
    assert drs.status([job]).json()["results"][0]["error_code"] == "DRS.M05003"


def test_delete_of_a_running_job_fails_with_m00304_in_a_202(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1)[0]["id"]
    manual.set_status(job, "INCRE_TRANSFER_STARTED")

    response = drs.delete("delete", job)

    assert response.status_code == 202
    assert response.json()["results"][0]["error_code"] == "DRS.M00304"


def test_plain_terminate_of_a_busy_job_fails_with_m01504_but_force_works(
    drs: SignedDrs, manual: EmulatorAdmin
) -> None:
    job = manual.create_jobs(1)[0]["id"]
    drs.start(job)  # STARTJOBING for an hour

    assert drs.delete("terminate", job).json()["results"][0]["error_code"] == "DRS.M01504"
    assert drs.delete("force_terminate", job).json()["results"][0]["status"] == "success"
    assert drs.status_of(job) == "RELEASE_RESOURCE_STARTED"


def test_terminate_of_a_deleted_job_fails_with_m05004(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1)[0]["id"]
    manual.set_status(job, "DELETED")

    assert drs.delete("terminate", job).json()["results"][0]["error_code"] == "DRS.M05004"


def test_unknown_delete_type_answers_400_m00007(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1)[0]["id"]

    response = drs.delete("shred", job)

    assert response.status_code == 400
    assert response.json()["error_code"] == "DRS.M00007"

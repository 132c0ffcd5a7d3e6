"""batch-retry-task (200) and DELETE batch-jobs (202): allowed statuses, results, counters."""

from __future__ import annotations

import pytest
from emulator_helpers import UNKNOWN_JOB, SignedDrs, items_by_id

from pulumi_drs.emulator import EmulatorAdmin


@pytest.mark.parametrize("paused", ["PAUSING", "PAUSEING"])
def test_retry_resumes_a_paused_job_after_one_step(drs: SignedDrs, manual: EmulatorAdmin, paused: str) -> None:
    job = manual.create_jobs(1)[0]["id"]
    manual.set_status(job, paused)

    response = drs.retry(job)

    assert response.status_code == 200
    assert response.json() == {"count": 1, "results": [{"id": job, "status": "success"}]}
    assert drs.status_of(job) == paused
    manual.step([job])
    assert drs.status_of(job) == "INCRE_TRANSFER_STARTED"
    assert manual.get_job(job)["retry_count"] == 1


def test_retry_restarts_a_failed_full_transfer(drs: SignedDrs, stepped: EmulatorAdmin) -> None:
    job = stepped.create_jobs(1)[0]["id"]
    stepped.set_status(job, "FULL_TRANSFER_FAILED")

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


def test_terminate_releases_the_job_then_delete_removes_it(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1)[0]["id"]
    manual.set_status(job, "INCRE_TRANSFER_STARTED")

    response = drs.delete("terminate", job)

    assert response.status_code == 202
    assert response.json() == {"count": 1, "results": [{"id": job, "status": "success"}]}
    assert drs.status_of(job) == "RELEASE_RESOURCE_STARTED"
    manual.step([job])
    assert drs.status_of(job) == "RELEASE_RESOURCE_COMPLETE"
    assert manual.get_job(job)["terminate_count"] == 1

    assert drs.delete("delete", job).json()["results"][0]["status"] == "success"
    assert drs.status_of(job) == "DELETED"
    manual.step([job])
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


@pytest.mark.parametrize("status", ["START_JOB_FAILED", "CONFIGURATION", "FULL_TRANSFER_COMPLETE", "CREATE_FAILED"])
def test_retry_of_a_status_it_does_not_repair_fails_with_m00304(
    drs: SignedDrs, manual: EmulatorAdmin, status: str
) -> None:
    job = manual.create_jobs(1, status=status)[0]["id"]

    item = drs.retry(job).json()["results"][0]

    assert (item["status"], item["error_code"]) == ("failed", "DRS.M00304")
    assert manual.get_job(job)["retry_count"] == 0


def test_retry_of_a_failed_re_edit_subtask_needs_is_sync_re_edit(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1, status="CHILD_TRANSFER_FAILED")[0]["id"]

    refused = drs.retry(job).json()["results"][0]
    accepted = drs.retry(job, is_sync_re_edit=True).json()["results"][0]

    assert (refused["error_code"], "is_sync_re_edit" in refused["error_msg"]) == ("DRS.M00304", True)
    assert accepted == {"id": job, "status": "success"}
    assert [j["status"] for j in manual.step([job], steps=2)] == ["CHILD_TRANSFER_COMPLETE"]


def test_retry_of_a_failed_incremental_transfer_with_is_sync_re_edit_works_too(
    drs: SignedDrs, manual: EmulatorAdmin
) -> None:
    job = manual.create_jobs(1, status="INCRE_TRANSFER_FAILED")[0]["id"]

    assert drs.retry(job, is_sync_re_edit=True).json()["results"][0]["status"] == "success"


def test_retry_of_a_dual_active_dr_parent_task_fails_with_m00307(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    parent = manual.create_jobs(1, db_use_type="cloudDataGuard", status="INCRE_TRANSFER_FAILED")[0]["id"]
    manual.create_jobs(1, parent_id=parent, db_use_type="cloudDataGuard")

    assert drs.retry(parent).json()["results"][0]["error_code"] == "DRS.M00307"


@pytest.mark.parametrize("operation", ["retry", "delete"])
def test_an_action_naming_a_job_twice_answers_400_m00301(
    drs: SignedDrs, manual: EmulatorAdmin, operation: str
) -> None:
    job = manual.create_jobs(1, status="INCRE_TRANSFER_FAILED")[0]["id"]

    response = drs.retry(job, job) if operation == "retry" else drs.delete("terminate", job, job)

    assert (response.status_code, response.json()["error_code"]) == (400, "DRS.M00301")
    assert manual.get_job(job)["status"] == "INCRE_TRANSFER_FAILED"

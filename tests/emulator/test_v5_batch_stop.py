"""POST /v5/{project_id}/jobs/batch-stop (batch_stop_jobs_action): ends jobs as v3's terminate does (never
a pause), 200 with an ActionBaseResp per job; busy jobs end only with is_force_stop."""

from __future__ import annotations

import pytest
from emulator_helpers import UNKNOWN_JOB, SignedDrs, SignedDrsV5

from pulumi_drs.emulator import EmulatorAdmin


def test_batch_stop_ends_the_jobs_and_answers_200(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs([{"name": "alpha", "status": "INCRE_TRANSFER_STARTED"}])[0]["id"]

    response = drs5.batch_stop(job, UNKNOWN_JOB)

    assert response.status_code == 200
    assert response.json() == {
        "jobs": [
            {"id": job, "name": "alpha", "status": "success"},
            {
                "id": UNKNOWN_JOB,
                "status": "failed",
                "error_code": "DRS.10000010",
                "error_msg": "Job does not exist, please check job ID",
            },
        ]
    }
    assert manual.get_job(job)["status"] == "RELEASE_RESOURCE_STARTED"
    assert manual.get_job(job)["terminate_count"] == 1


def test_an_ended_job_reads_released_then_ended(drs: SignedDrs, drs5: SignedDrsV5, stepped: EmulatorAdmin) -> None:
    job = stepped.create_jobs(1, status="FULL_TRANSFER_STARTED")[0]["id"]

    drs5.batch_stop(job)

    assert drs.status_of(job) == "RELEASE_RESOURCE_COMPLETE"
    assert drs5.listed(job)["job_action"]["available_actions"] == ["DELETE"]


@pytest.mark.parametrize("busy", ["STARTJOBING", "CREATING", "CHANGE_JOB_STARTED"])
def test_a_busy_job_fails_with_m01504_unless_forced(drs5: SignedDrsV5, manual: EmulatorAdmin, busy: str) -> None:
    job = manual.create_jobs(1, status=busy)[0]["id"]

    plain = drs5.items(drs5.batch_stop(job))[job]
    explicit = drs5.items(drs5.batch_stop(job, is_force_stop=False))[job]
    forced = drs5.items(drs5.batch_stop(job, is_force_stop=True))[job]

    assert (plain["error_code"], explicit["error_code"], forced["status"]) == ("DRS.M01504", "DRS.M01504", "success")
    assert manual.get_job(job)["terminate_count"] == 1


@pytest.mark.parametrize(("status", "code"), [("RELEASE_RESOURCE_COMPLETE", "DRS.M00304"), ("DELETED", "DRS.M05004")])
def test_an_ended_job_cannot_be_ended_again(
    drs5: SignedDrsV5, manual: EmulatorAdmin, status: str, code: str
) -> None:
    job = manual.create_jobs(1, status=status)[0]["id"]

    assert drs5.items(drs5.batch_stop(job))[job]["error_code"] == code


def test_a_parent_task_ends_only_in_dual_active_dr(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    migration, guard = (j["id"] for j in manual.create_jobs([{}, {"db_use_type": "cloudDataGuard"}]))
    manual.create_jobs([{"parent_id": migration}, {"parent_id": guard, "db_use_type": "cloudDataGuard"}])

    items = drs5.items(drs5.batch_stop(migration, guard))

    assert (items[migration]["error_code"], items[guard]["status"]) == ("DRS.M00307", "success")


def test_batch_stop_never_pauses(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1, status="INCRE_TRANSFER_STARTED")[0]["id"]

    drs5.batch_stop(job)

    assert manual.get_job(job)["status"] != "PAUSING"
    assert drs5.items(drs5.act("restart", job))[job]["error_code"] == "DRS.M05004"


@pytest.mark.parametrize(
    ("jobs", "code"), [([], "DRS.M00201"), (["same", "same"], "DRS.M00301"), ([{"is_force_stop": True}], "DRS.M00007")]
)
def test_a_bad_batch_stop_body_answers_400(
    drs5: SignedDrsV5, admin: EmulatorAdmin, jobs: list[object], code: str
) -> None:
    body = {"jobs": [{"job_id": job} if isinstance(job, str) else job for job in jobs]}

    response = drs5.drs.request("POST", "", body, path=f"{drs5.jobs}/batch-stop")

    assert (response.status_code, response.json()["error_code"]) == (400, code)

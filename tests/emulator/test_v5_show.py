"""GET /v5/{project_id}/jobs/{job_id}/actions (show_actions) and GET /v5/{project_id}/jobs/{job_id}?type=
(show_job_detail): one job's allowed actions and its basic information; an unknown job is 400 DRS.10000010."""

from __future__ import annotations

import pytest
from emulator_helpers import UNKNOWN_JOB, FakeClock, SignedDrsV5

from drs_testing import sdk_contract as contract
from pulumi_drs.emulator import EmulatorAdmin, InProcessEmulator

NOT_EXIST = {"error_code": "DRS.10000010", "error_msg": "Job does not exist, please check job ID"}


def test_show_actions_answers_the_job_action_of_the_list(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1, status="PAUSING")[0]["id"]

    response = drs5.show_actions(job)

    assert response.status_code == 200
    assert response.json() == {
        "job_action": {
            "available_actions": ["RETRY", "FREE_RESOURCE"],
            "unavailable_actions": ["START", "PAUSE", "RESET", "DELETE"],
            "current_action": "",
        }
    }
    assert response.json()["job_action"] == drs5.listed(job)["job_action"]


def test_show_actions_says_start_is_under_way_while_the_job_starts(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1)[0]["id"]
    drs5.act("start", job)

    action = drs5.show_actions(job).json()["job_action"]

    assert (action["current_action"], "START" in action["available_actions"]) == ("START", False)


def test_show_actions_is_a_status_read(drs5: SignedDrsV5, stepped: EmulatorAdmin) -> None:
    job = stepped.create_jobs(1)[0]["id"]
    drs5.act("start", job)

    drs5.show_actions(job)

    assert stepped.get_job(job)["status"] == "FULL_TRANSFER_STARTED"


@pytest.mark.parametrize("show", ["show_actions", "show_job_detail"])
def test_an_unknown_job_answers_400_10000010(drs5: SignedDrsV5, admin: EmulatorAdmin, show: str) -> None:
    response = getattr(drs5, show)(UNKNOWN_JOB)

    assert (response.status_code, response.json()) == (400, NOT_EXIST)


def test_show_job_detail_answers_the_status_and_basic_information(
    inproc_drs5: SignedDrsV5, inproc: InProcessEmulator, clock: FakeClock
) -> None:
    forward = inproc.admin.create_jobs(1, db_use_type="cloudDataGuard")[0]["id"]
    job = inproc.admin.create_jobs([{"name": "back", "forward_job_id": forward, "task_type": "INCR_TRANS"}])[0]["id"]

    response = inproc_drs5.show_job_detail(job)

    assert response.status_code == 200
    detail = response.json()["job"]
    assert (detail["id"], detail["status"], detail["create_time"]) == (job, "CONFIGURATION", str(int(clock.now * 1000)))
    assert detail["job_kernel_direction"] == "down"
    assert detail["base_info"] == {
        "name": "back",
        "job_type": "cloudDataGuard",
        "multi_write": True,
        "engine_type": "cloudDataGuard-mysql",
        "job_direction": "down",
        "task_type": "INCR_TRANS",
        "net_type": "eip",
        "charging_mode": "on_demand",
        "enterprise_project_id": "0",
        "description": "",
        "expired_days": "14",
        "is_open_fast_clean": False,
    }
    assert contract.type_problems(response.json(), "ShowJobDetailResponse", version="v5") == []


def test_show_job_detail_gives_the_scheduled_start(
    inproc_drs5: SignedDrsV5, inproc: InProcessEmulator, clock: FakeClock
) -> None:
    job = inproc.admin.create_jobs(1)[0]["id"]
    start_time = str(int((clock.now + 600) * 1000))
    inproc_drs5.act("start", job, start_time=start_time)

    detail = inproc_drs5.show_job_detail(job).json()["job"]

    assert (detail["status"], detail["base_info"]["start_time"]) == ("WAITING_FOR_START", start_time)


def test_a_deleted_job_shows_deleted_until_it_is_gone(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1, status="RELEASE_RESOURCE_COMPLETE")[0]["id"]
    drs5.drs.delete("delete", job)

    deleted = drs5.show_job_detail(job).json()["job"]["status"]
    manual.step([job])

    assert (deleted, drs5.show_job_detail(job).json()) == ("DELETED", NOT_EXIST)


@pytest.mark.parametrize(
    ("detail_type", "code"), [(None, "DRS.M00201"), ("", "DRS.M00201"), ("progress", "DRS.M00202")]
)
def test_show_job_detail_needs_type_detail(
    drs5: SignedDrsV5, manual: EmulatorAdmin, detail_type: str | None, code: str
) -> None:
    job = manual.create_jobs(1)[0]["id"]

    response = drs5.show_job_detail(job, detail_type)

    assert (response.status_code, response.json()["error_code"]) == (400, code)


def test_a_wrong_project_is_403_m00261(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1)[0]["id"]

    other = "0" * 32

    response = drs5.drs.request("GET", "", path=f"/v5/{other}/jobs/{job}/actions", headers={"X-Project-Id": other})

    assert (response.status_code, response.json()["error_code"]) == (403, "DRS.M00261")

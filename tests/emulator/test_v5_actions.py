"""POST /v5/{project_id}/jobs/action (batch_execute_job_actions): `start`, `restart`, `stop`, `reset` and
`terminate` by the rules of their v3 twins, answered 200 with an ActionBaseResp per job; the one table of
what each status allows agrees with what the actions accept; v3 and v5 share the jobs."""

from __future__ import annotations

import pytest
from emulator_helpers import UNKNOWN_JOB, FakeClock, SignedDrs, SignedDrsV5, items_by_id

from pulumi_drs.emulator import EmulatorAdmin, InProcessEmulator
from pulumi_drs.emulator import rules as r

NOT_EXIST = {"error_code": "DRS.10000010", "error_msg": "Job does not exist, please check job ID"}


def test_start_answers_200_with_an_action_result_per_job(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs([{"name": "alpha"}])[0]["id"]

    response = drs5.act("start", job, UNKNOWN_JOB)

    assert response.status_code == 200
    assert response.json() == {
        "jobs": [
            {"id": job, "name": "alpha", "status": "success"},
            {"id": UNKNOWN_JOB, "status": "failed", **NOT_EXIST},
        ]
    }
    assert (manual.get_job(job)["status"], manual.get_job(job)["start_count"]) == ("STARTJOBING", 1)


def test_start_with_a_start_time_schedules_the_job(
    inproc_drs5: SignedDrsV5, inproc: InProcessEmulator, clock: FakeClock
) -> None:
    job = inproc.admin.create_jobs(1)[0]["id"]
    start_time = str(int((clock.now + 3600) * 1000))

    item = inproc_drs5.items(inproc_drs5.act("start", job, start_time=start_time))[job]

    assert item["status"] == "success"
    assert inproc_drs5.listed(job)["status"] == "WAITING_FOR_START"
    clock.advance(3600)
    assert inproc_drs5.listed(job)["status"] == "STARTJOBING"


def test_start_with_a_start_time_in_seconds_fails_with_m00202(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1)[0]["id"]

    item = drs5.items(drs5.act("start", job, start_time="1700000000"))[job]

    assert (item["status"], item["error_code"]) == ("failed", "DRS.M00202")


@pytest.mark.parametrize(
    ("status", "code"),
    [("INCRE_TRANSFER_STARTED", "DRS.M00304"), ("WAITING_FOR_START", "DRS.M00304"), ("DELETED", "DRS.M05004")],
)
def test_start_outside_configuration_fails_as_in_v3(
    drs5: SignedDrsV5, manual: EmulatorAdmin, status: str, code: str
) -> None:
    job = manual.create_jobs(1, status=status)[0]["id"]

    item = drs5.items(drs5.act("start", job))[job]

    assert (item["status"], item["error_code"]) == ("failed", code)
    assert manual.get_job(job)["start_count"] == 0


def test_start_of_a_parent_task_fails_with_m00307(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    parent = manual.create_jobs(1)[0]["id"]
    manual.create_jobs(1, parent_id=parent)

    assert drs5.items(drs5.act("start", parent))[parent]["error_code"] == "DRS.M00307"


def test_a_dr_backward_task_starts_only_after_its_forward_task(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    forward = manual.create_jobs(1, db_use_type="cloudDataGuard", rpo=90)[0]["id"]
    backward = manual.create_jobs(1, forward_job_id=forward)[0]["id"]

    not_running = drs5.items(drs5.act("start", backward))[backward]
    manual.set_status(forward, "INCRE_TRANSFER_STARTED")
    lagging = drs5.items(drs5.act("start", backward))[backward]
    manual.update_job(forward, rpo=1)
    ready = drs5.items(drs5.act("start", backward))[backward]

    assert (not_running["error_code"], lagging["error_code"]) == ("DRS.M00304", "DRS.M00304")
    assert ready["status"] == "success"


@pytest.mark.parametrize("paused", ["PAUSING", "PAUSEING"])
def test_restart_resumes_a_paused_job(drs5: SignedDrsV5, manual: EmulatorAdmin, paused: str) -> None:
    job = manual.create_jobs(1, status=paused)[0]["id"]

    assert drs5.items(drs5.act("restart", job))[job]["status"] == "success"
    manual.step([job])
    assert manual.get_job(job)["status"] == "INCRE_TRANSFER_STARTED"
    assert manual.get_job(job)["retry_count"] == 1


@pytest.mark.parametrize("failed", ["FULL_TRANSFER_FAILED", "INCRE_TRANSFER_FAILED"])
def test_restart_retries_a_failed_transfer(drs5: SignedDrsV5, manual: EmulatorAdmin, failed: str) -> None:
    job = manual.create_jobs(1, status=failed)[0]["id"]

    assert drs5.items(drs5.act("restart", job))[job]["status"] == "success"
    assert manual.get_job(job)["status"] == "STARTJOBING"


def test_restart_of_a_failed_re_edit_subtask_needs_is_sync_re_edit(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1, status="CHILD_TRANSFER_FAILED")[0]["id"]

    refused = drs5.items(drs5.act("restart", job))[job]
    accepted = drs5.items(drs5.act("restart", job, is_sync_re_edit=True))[job]

    assert (refused["error_code"], "is_sync_re_edit" in refused["error_msg"]) == ("DRS.M00304", True)
    assert accepted["status"] == "success"
    assert manual.get_job(job)["status"] == "CHILD_TRANSFER_STARTING"


@pytest.mark.parametrize("running", ["FULL_TRANSFER_STARTED", "FULL_TRANSFER_COMPLETE", "INCRE_TRANSFER_STARTED"])
def test_stop_pauses_a_running_job(drs5: SignedDrsV5, manual: EmulatorAdmin, running: str) -> None:
    job = manual.create_jobs(1, status=running)[0]["id"]

    assert drs5.items(drs5.act("stop", job, pause_mode="target"))[job]["status"] == "success"
    assert manual.get_job(job)["status"] == "PAUSING"
    assert manual.get_job(job)["terminate_count"] == 0


def test_stop_of_a_job_not_transferring_fails_with_m00304(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1)[0]["id"]

    assert drs5.items(drs5.act("stop", job))[job]["error_code"] == "DRS.M00304"
    assert manual.get_job(job)["status"] == "CONFIGURATION"


def test_reset_starts_a_failed_job_over_from_the_full_transfer(drs5: SignedDrsV5, stepped: EmulatorAdmin) -> None:
    job = stepped.create_jobs(1, status="INCRE_TRANSFER_FAILED")[0]["id"]

    assert drs5.items(drs5.act("reset", job))[job]["status"] == "success"
    assert [drs5.listed(job)["status"] for _ in range(3)] == [
        "FULL_TRANSFER_STARTED", "INCRE_TRANSFER_STARTED", "INCRE_TRANSFER_STARTED"
    ]


def test_terminate_ends_the_job_and_force_delete_ends_a_busy_one(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    running, starting = (j["id"] for j in manual.create_jobs(2, status="INCRE_TRANSFER_STARTED"))
    manual.set_status(starting, "STARTJOBING")

    items = drs5.items(drs5.act("terminate", running, starting))
    forced = drs5.items(drs5.act("terminate", starting, force_delete=True))[starting]

    assert (items[running]["status"], items[starting]["error_code"]) == ("success", "DRS.M01504")
    assert forced["status"] == "success"
    assert {manual.get_job(j)["status"] for j in (running, starting)} == {"RELEASE_RESOURCE_STARTED"}


@pytest.mark.parametrize("action_name", ["precheck", "network", "shred"])
def test_an_action_the_emulator_does_not_serve_fails_its_item_with_10000001(
    drs5: SignedDrsV5, manual: EmulatorAdmin, action_name: str
) -> None:
    job, other = (j["id"] for j in manual.create_jobs(2))

    items = drs5.items(drs5.action({"job_id": job, "action_name": action_name},
                                   {"job_id": other, "action_name": "start"}))

    assert (items[job]["status"], items[job]["error_code"]) == ("failed", "DRS.10000001")
    assert items[other]["status"] == "success"
    assert manual.get_job(job)["status"] == "CONFIGURATION"


def test_naming_a_job_twice_answers_400_m00301_and_does_nothing(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1)[0]["id"]

    response = drs5.action({"job_id": job, "action_name": "start"}, {"job_id": job, "action_name": "stop"})

    assert (response.status_code, response.json()["error_code"]) == (400, "DRS.M00301")
    assert manual.get_job(job)["start_count"] == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [({"jobs": []}, "DRS.M00201"), ({"jobs": [{"job_id": "x"}]}, "DRS.M00007"), ({}, "DRS.M00007")],
)
def test_a_bad_action_body_answers_400(drs5: SignedDrsV5, admin: EmulatorAdmin, body: object, code: str) -> None:
    response = drs5.drs.request("POST", "", body, path=f"{drs5.jobs}/action")

    assert (response.status_code, response.json()["error_code"]) == (400, code)


# --- the one table of what each status allows -------------------------------------------------------

V5_ACTIONS = {r.START: ("start", {}), r.PAUSE: ("stop", {}), r.RETRY: ("restart", {"is_sync_re_edit": True}),
              r.RESET: ("reset", {})}
"""The capability each v5 action stands for, with the parameters that make it as permissive as it gets."""
STATUSES = [*r.JOB_ACTIONS, "CREATING", "CHANGE_JOB_STARTED"]


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("capability", sorted(V5_ACTIONS))
def test_an_action_is_accepted_exactly_when_show_actions_lists_it(
    inproc_drs5: SignedDrsV5, inproc: InProcessEmulator, status: str, capability: str
) -> None:
    job = inproc.admin.create_jobs(1, status=status)[0]["id"]
    listed = capability in inproc_drs5.show_actions(job).json()["job_action"]["available_actions"]
    action_name, params = V5_ACTIONS[capability]

    item = inproc_drs5.items(inproc_drs5.act(action_name, job, **params))[job]

    assert (item["status"] == "success") is listed, item


@pytest.mark.parametrize("status", STATUSES)
def test_delete_is_accepted_exactly_when_delete_is_listed(
    inproc_drs: SignedDrs, inproc_drs5: SignedDrsV5, inproc: InProcessEmulator, status: str
) -> None:
    job = inproc.admin.create_jobs(1, status=status)[0]["id"]
    listed = r.DELETE in inproc_drs5.show_actions(job).json()["job_action"]["available_actions"]

    item = inproc_drs.delete("delete", job).json()["results"][0]

    assert (item["status"] == "success") is listed, item


@pytest.mark.parametrize("status", [s for s in STATUSES if r.allows(s, r.FREE_RESOURCE)])
def test_a_forced_terminate_is_accepted_wherever_free_resource_is_listed(
    inproc_drs5: SignedDrsV5, inproc: InProcessEmulator, status: str
) -> None:
    job = inproc.admin.create_jobs(1, status=status)[0]["id"]
    assert r.FREE_RESOURCE in inproc_drs5.show_actions(job).json()["job_action"]["available_actions"]

    item = inproc_drs5.items(inproc_drs5.act("terminate", job, force_delete=True))[job]

    assert item["status"] == "success"


# --- one set of jobs for both versions ------------------------------------------------------------


def test_a_job_started_through_v5_reads_as_started_through_v3(
    drs: SignedDrs, drs5: SignedDrsV5, stepped: EmulatorAdmin
) -> None:
    job = stepped.create_jobs(1)[0]["id"]

    drs5.act("start", job)

    assert drs.status_of(job) == "FULL_TRANSFER_STARTED"
    assert items_by_id(drs.start(job))[job]["error_code"] == "DRS.M00304"
    assert stepped.get_job(job)["start_count"] == 1


def test_a_job_started_through_v3_reads_as_started_through_v5(
    drs: SignedDrs, drs5: SignedDrsV5, manual: EmulatorAdmin
) -> None:
    job = manual.create_jobs(1)[0]["id"]

    drs.start(job)

    listed = drs5.listed(job)
    assert (listed["status"], listed["job_action"]["current_action"]) == ("STARTJOBING", "START")
    assert drs5.show_job_detail(job).json()["job"]["status"] == "STARTJOBING"
    assert drs5.items(drs5.act("start", job))[job]["error_code"] == "DRS.M00304"


def test_a_job_paused_through_v5_is_resumed_through_v3(
    drs: SignedDrs, drs5: SignedDrsV5, manual: EmulatorAdmin
) -> None:
    job = manual.create_jobs(1, status="INCRE_TRANSFER_STARTED")[0]["id"]

    drs5.act("stop", job)
    paused = drs.status_of(job)
    resumed = drs.retry(job).json()["results"][0]["status"]

    assert (paused, resumed) == ("PAUSING", "success")

"""POST /v5/{project_id}/jobs/action in its asynchronous form (`v5_action_answer: async`): 202 with a query
per job, refused or not, and GET /v5/{project_id}/jobs/{async_job_id}/progress (show_task_execute_progress),
where each action comes to `pending`, `success` or `failed`. A start or restart so accepted is under way in
the job's old status until its next step."""

from __future__ import annotations

import pytest
from emulator_helpers import UNKNOWN_JOB, FakeClock, SignedDrs, SignedDrsV5, items_by_id

from pulumi_drs.emulator import EmulatorAdmin, InProcessEmulator

PENDING = {"status": "pending", "progress": "0"}
SUCCEEDED = {"status": "success", "progress": "100"}


@pytest.fixture()
def later(manual: EmulatorAdmin) -> EmulatorAdmin:
    """Jobs move only when the test steps them; actions are answered asynchronously."""
    manual.settings(v5_action_answer="async")
    return manual


def test_an_asynchronous_answer_is_202_with_a_query_for_every_job(drs5: SignedDrsV5, later: EmulatorAdmin) -> None:
    job = later.create_jobs([{"name": "alpha"}])[0]["id"]

    response = drs5.act("start", job, UNKNOWN_JOB)

    assert response.status_code == 202
    first, unknown = response.json()["jobs"]
    assert (set(first), first["id"], first["name"]) == ({"id", "name", "query_id"}, job, "alpha")
    assert (set(unknown), unknown["id"]) == ({"id", "query_id"}, UNKNOWN_JOB)
    assert first["query_id"] != unknown["query_id"]


def test_an_accepted_start_is_under_way_in_configuration_until_the_next_step(
    drs5: SignedDrsV5, later: EmulatorAdmin
) -> None:
    job = later.create_jobs(1)[0]["id"]

    query = drs5.queries(drs5.act("start", job))[job]

    listed = drs5.listed(job)
    assert (listed["status"], listed["job_action"]["current_action"]) == ("CONFIGURATION", "START")
    assert (drs5.progress(query), later.get_job(job)["start_count"]) == (PENDING, 1)
    later.step([job])
    assert (drs5.listed(job)["status"], drs5.progress(query)) == ("STARTJOBING", PENDING)
    later.step([job])
    assert (drs5.listed(job)["job_action"]["current_action"], drs5.progress(query)) == ("", SUCCEEDED)


def test_a_start_whose_job_then_fails_to_start_fails_its_progress_with_the_jobs_error(
    drs5: SignedDrsV5, later: EmulatorAdmin
) -> None:
    job = later.create_jobs(1, fail_start=True)[0]["id"]
    query = drs5.queries(drs5.act("start", job))[job]
    pending = drs5.progress(query)

    later.step([job], steps=2)

    assert (pending, later.get_job(job)["status"]) == (PENDING, "START_JOB_FAILED")
    assert drs5.progress(query) == {"status": "failed", "progress": "100", "error_code": "DRS.M05066",
                                    "error_message": "Failed to create the replication instance."}


def test_an_ended_action_keeps_its_answer_whatever_the_job_does_next(drs5: SignedDrsV5, later: EmulatorAdmin) -> None:
    job = later.create_jobs(1, task_type="FULL_TRANS")[0]["id"]
    query = drs5.queries(drs5.act("start", job))[job]
    later.step([job], steps=2)
    done = drs5.progress(query)

    later.set_status(job, "FULL_TRANSFER_FAILED")

    assert done == drs5.progress(query) == SUCCEEDED


@pytest.mark.parametrize(
    ("spec", "code"),
    [({"status": "INCRE_TRANSFER_STARTED"}, "DRS.M00304"), ({"status": "DELETED"}, "DRS.M05004"),
     (None, "DRS.10000010")],
    ids=["running", "deleted", "unknown"],
)
def test_a_refused_action_fails_its_progress_with_the_refusal(
    drs5: SignedDrsV5, later: EmulatorAdmin, spec: dict[str, str] | None, code: str
) -> None:
    job = UNKNOWN_JOB if spec is None else later.create_jobs([spec])[0]["id"]

    progress = drs5.progress(drs5.queries(drs5.act("start", job))[job])

    assert (progress["status"], progress["progress"], progress["error_code"]) == ("failed", "100", code)
    assert progress["error_message"]


def test_a_refused_start_of_a_parent_task_fails_its_progress_with_m00307(
    drs5: SignedDrsV5, later: EmulatorAdmin
) -> None:
    parent = later.create_jobs(1)[0]["id"]
    later.create_jobs(1, parent_id=parent)

    progress = drs5.progress(drs5.queries(drs5.act("start", parent))[parent])

    assert (progress["status"], progress["error_code"]) == ("failed", "DRS.M00307")
    assert later.get_job(parent)["start_count"] == 0


def test_a_job_with_a_start_under_way_refuses_another_action_as_busy(
    drs: SignedDrs, drs5: SignedDrsV5, later: EmulatorAdmin
) -> None:
    job = later.create_jobs(1)[0]["id"]
    drs5.act("start", job)

    second = drs5.progress(drs5.queries(drs5.act("start", job))[job])
    later.settings(v5_action_answer="sync")
    refused = drs5.items(drs5.act("start", job))[job]

    assert (second["status"], second["error_code"]) == ("failed", "DRS.M01504")
    assert (refused["status"], refused["error_code"]) == ("failed", "DRS.M01504")
    assert items_by_id(drs.start(job))[job]["error_code"] == "DRS.M01504"
    assert later.get_job(job)["start_count"] == 1


def test_an_accepted_restart_is_under_way_in_the_paused_status_until_the_next_step(
    drs5: SignedDrsV5, later: EmulatorAdmin
) -> None:
    job = later.create_jobs(1, status="PAUSING")[0]["id"]

    query = drs5.queries(drs5.act("restart", job))[job]

    listed = drs5.listed(job)
    assert (listed["status"], listed["job_action"]["current_action"], drs5.progress(query)) == (
        "PAUSING", "RETRY", PENDING)
    later.step([job], steps=2)
    assert (later.get_job(job)["status"], drs5.progress(query)) == ("INCRE_TRANSFER_STARTED", SUCCEEDED)


def test_a_terminate_accepted_asynchronously_takes_effect_at_once(drs5: SignedDrsV5, later: EmulatorAdmin) -> None:
    job = later.create_jobs(1, status="INCRE_TRANSFER_STARTED")[0]["id"]

    query = drs5.queries(drs5.act("terminate", job))[job]

    assert (later.get_job(job)["status"], drs5.progress(query)) == ("RELEASE_RESOURCE_STARTED", PENDING)
    later.step([job])
    assert drs5.progress(query) == SUCCEEDED


def test_a_scheduled_start_accepted_asynchronously_is_pending_until_its_time_then_runs(
    inproc_drs5: SignedDrsV5, inproc: InProcessEmulator, clock: FakeClock
) -> None:
    inproc.admin.settings(v5_action_answer="async")
    job = inproc.admin.create_jobs(1, task_type="INCR_TRANS")[0]["id"]
    start_time = str(int((clock.now + 3600) * 1000))

    query = inproc_drs5.queries(inproc_drs5.act("start", job, start_time=start_time))[job]
    clock.advance(10)
    waiting = (inproc_drs5.listed(job)["status"], inproc_drs5.progress(query))
    clock.advance(3590)

    assert waiting == ("WAITING_FOR_START", PENDING)
    assert inproc_drs5.listed(job)["status"] == "STARTJOBING"
    clock.advance(10)
    assert (inproc_drs5.listed(job)["status"], inproc_drs5.progress(query)) == ("INCRE_TRANSFER_STARTED", SUCCEEDED)


def test_reading_the_progress_is_a_status_read_of_its_job(drs5: SignedDrsV5, stepped: EmulatorAdmin) -> None:
    stepped.settings(v5_action_answer="async")
    job = stepped.create_jobs(1)[0]["id"]
    query = drs5.queries(drs5.act("start", job))[job]

    reads = [drs5.progress(query)["status"] for _ in range(3)]

    assert reads == ["pending", "success", "success"]  # CONFIGURATION -> STARTJOBING -> FULL_TRANSFER_STARTED
    assert stepped.get_job(job)["status"] == "FULL_TRANSFER_STARTED"  # an ended action reads its job no more


def test_the_progress_of_a_query_the_emulator_does_not_know_answers_400_10000010(
    drs5: SignedDrsV5, later: EmulatorAdmin
) -> None:
    response = drs5.show_task_execute_progress("3c1b5a6e-0000-4000-8000-000000000000", type="action")

    assert (response.status_code, response.json()["error_code"]) == (400, "DRS.10000010")


def test_reset_forgets_every_query(drs5: SignedDrsV5, later: EmulatorAdmin) -> None:
    job = later.create_jobs(1)[0]["id"]
    query = drs5.queries(drs5.act("start", job))[job]

    later.reset()

    assert drs5.show_task_execute_progress(query).status_code == 400


def test_a_progress_read_is_logged_without_naming_a_job(drs5: SignedDrsV5, later: EmulatorAdmin) -> None:
    job = later.create_jobs(1)[0]["id"]
    query = drs5.queries(drs5.act("start", job))[job]
    later.clear_requests()

    drs5.progress(query)

    [entry] = later.requests_log()
    assert (entry["path"].endswith(f"/jobs/{query}/progress"), entry["job_ids"]) == (True, [])


@pytest.mark.parametrize("body", [{"jobs": []}, {"jobs": [{"job_id": "x"}]}])
def test_a_bad_action_body_answers_400_in_either_form(drs5: SignedDrsV5, later: EmulatorAdmin, body: object) -> None:
    response = drs5.drs.request("POST", "", body, path=f"{drs5.jobs}/action")

    assert response.status_code == 400


def test_a_job_named_twice_answers_400_m00301_in_the_asynchronous_form_too(
    drs5: SignedDrsV5, later: EmulatorAdmin
) -> None:
    job = later.create_jobs(1)[0]["id"]

    response = drs5.action({"job_id": job, "action_name": "start"}, {"job_id": job, "action_name": "start"})

    assert (response.status_code, response.json()["error_code"]) == (400, "DRS.M00301")
    assert later.get_job(job)["start_count"] == 0

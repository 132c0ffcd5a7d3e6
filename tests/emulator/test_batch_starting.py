"""POST /v3/{project_id}/jobs/batch-starting: shapes, status codes and every per-item error code."""

from __future__ import annotations

import pytest
from emulator_helpers import UNKNOWN_JOB, FakeClock, SignedDrs
from emulator_helpers import items_by_id as _items

from pulumi_drs.emulator import EmulatorAdmin, InProcessEmulator


def test_start_answers_202_with_the_documented_body(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1)[0]["id"]

    response = drs.start(job)

    assert response.status_code == 202
    assert response.json() == {"count": 1, "results": [{"id": job, "status": "success"}]}
    assert manual.get_job(job)["status"] == "STARTJOBING"
    assert manual.get_job(job)["start_count"] == 1


def test_each_accepted_start_counts(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1)[0]["id"]
    drs.start(job)
    manual.set_status(job, "CONFIGURATION")
    drs.start(job)

    assert manual.get_job(job)["start_count"] == 2


def test_unknown_job_fails_with_m05003(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1)[0]["id"]
    unknown = UNKNOWN_JOB

    response = drs.start(job, unknown)

    assert response.status_code == 202
    items = _items(response)
    assert items[job]["status"] == "success"
    assert items[unknown]["status"] == "failed"
    assert items[unknown]["error_code"] == "DRS.M05003"
    assert items[unknown]["error_msg"]


def test_every_item_failing_still_answers_202_with_the_failures(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    running = manual.create_jobs(1, status="INCRE_TRANSFER_STARTED")[0]["id"]

    response = drs.start(UNKNOWN_JOB, running)

    assert response.status_code == 202
    body = response.json()
    assert body["count"] == 2
    assert [(r["status"], r["error_code"]) for r in body["results"]] == [
        ("failed", "DRS.M05003"),
        ("failed", "DRS.M00304"),
    ]


def test_released_or_deleted_job_fails_with_m05004(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    ok, released, deleted = (j["id"] for j in manual.create_jobs(3))
    manual.set_status(released, "RELEASE_RESOURCE_COMPLETE")
    manual.set_status(deleted, "DELETED")

    items = _items(drs.start(ok, released, deleted))

    assert items[released]["error_code"] == "DRS.M05004"
    assert items[deleted]["error_code"] == "DRS.M05004"


def test_duplicate_job_in_one_request_fails_the_request_with_400_m00301(
    drs: SignedDrs, manual: EmulatorAdmin
) -> None:
    job, other = (j["id"] for j in manual.create_jobs(2))

    response = drs.start(job, other, job)

    assert response.status_code == 400
    assert response.json()["error_code"] == "DRS.M00301"
    assert job in response.json()["error_msg"]
    assert [manual.get_job(j)["start_count"] for j in (job, other)] == [0, 0]


def test_parent_task_fails_with_m00307(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    parent = manual.create_jobs(1)[0]["id"]
    child = manual.create_jobs(1, parent_id=parent)[0]["id"]

    items = _items(drs.start(parent, child))

    assert items[parent]["error_code"] == "DRS.M00307"
    assert items[child]["status"] == "success"


def test_job_not_in_a_startable_status_fails_with_m00304(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    ok, running = (j["id"] for j in manual.create_jobs(2))
    manual.set_status(running, "INCRE_TRANSFER_STARTED")

    items = _items(drs.start(ok, running))

    assert items[running]["error_code"] == "DRS.M00304"
    assert "INCRE_TRANSFER_STARTED" in items[running]["error_msg"]
    assert manual.get_job(running)["start_count"] == 0


@pytest.mark.parametrize("status", ["START_JOB_FAILED", "WAITING_FOR_START", "STARTJOBING", "PAUSING"])
def test_only_a_configured_job_can_be_started(drs: SignedDrs, manual: EmulatorAdmin, status: str) -> None:
    ok, other = (j["id"] for j in manual.create_jobs(2))
    manual.set_status(other, status)

    items = _items(drs.start(ok, other))

    assert items[ok]["status"] == "success"
    assert (items[other]["status"], items[other]["error_code"]) == ("failed", "DRS.M00304")
    assert manual.get_job(other)["status"] == status


def test_start_time_in_seconds_fails_with_m00202(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    ok, seconds, garbage = (j["id"] for j in manual.create_jobs(3))

    items = _items(
        drs.start(
            ok, {"job_id": seconds, "start_time": "1614078283"}, {"job_id": garbage, "start_time": "soon"}
        )
    )

    assert items[seconds]["error_code"] == "DRS.M00202"
    assert items[garbage]["error_code"] == "DRS.M00202"
    assert manual.get_job(seconds)["status"] == "CONFIGURATION"


def test_empty_or_zero_or_past_start_time_starts_now(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    empty, zero, past = (j["id"] for j in manual.create_jobs(3))

    drs.start(
        {"job_id": empty, "start_time": ""},
        {"job_id": zero, "start_time": "0"},
        {"job_id": past, "start_time": "1608188903063"},
    )

    assert {manual.get_job(j)["status"] for j in (empty, zero, past)} == {"STARTJOBING"}


def test_future_start_time_waits_then_progresses(
    inproc: InProcessEmulator, inproc_drs: SignedDrs, clock: FakeClock
) -> None:
    job = inproc.admin.create_jobs(1)[0]["id"]
    start_at_ms = int((clock.now + 60) * 1000)

    response = inproc_drs.start({"job_id": job, "start_time": str(start_at_ms)})

    assert response.status_code == 202
    clock.advance(59)
    assert inproc_drs.status_of(job) == "WAITING_FOR_START"
    detail = inproc_drs.detail([job]).json()["results"][0]
    assert detail["inst_info"]["start_time"] == str(start_at_ms)
    clock.advance(1 + 10 + 10)
    assert inproc_drs.status_of(job) == "INCRE_TRANSFER_STARTED"


def test_fail_start_job_ends_in_start_job_failed_with_its_error(drs: SignedDrs, stepped: EmulatorAdmin) -> None:
    job = stepped.create_jobs(1, fail_start=True)[0]["id"]

    assert drs.start(job).json()["results"][0]["status"] == "success"

    result = drs.status([job]).json()["results"][0]
    assert result["status"] == "START_JOB_FAILED"
    assert result["error_code"] == "DRS.M05066"
    assert result["error_message"]


# --- dual-active DR backward tasks -------------------------------------------------------------


def _dr_pair(admin: EmulatorAdmin, forward_status: str, rpo: int = 5, rto: int = 5) -> tuple[str, str]:
    forward = admin.create_jobs(1, db_use_type="cloudDataGuard", rpo=rpo, rto=rto)[0]["id"]
    admin.set_status(forward, forward_status)
    backward = admin.create_jobs(1, forward_job_id=forward)[0]
    assert (backward["job_direction"], backward["db_use_type"], backward["multi_write"]) == (
        "down",
        "cloudDataGuard",
        True,
    )
    return forward, backward["id"]


def test_dr_backward_task_starts_when_forward_is_healthy(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    _, backward = _dr_pair(manual, "INCRE_TRANSFER_STARTED", rpo=59, rto=59)

    assert drs.start(backward).json()["results"] == [{"id": backward, "status": "success"}]


def test_dr_backward_task_fails_with_m00304_until_forward_replicates(
    drs: SignedDrs, manual: EmulatorAdmin
) -> None:
    ok = manual.create_jobs(1)[0]["id"]
    _, backward = _dr_pair(manual, "FULL_TRANSFER_STARTED")

    item = _items(drs.start(ok, backward))[backward]

    assert item["error_code"] == "DRS.M00304"
    assert "forward task" in item["error_msg"]
    assert "INCRE_TRANSFER_STARTED" in item["error_msg"]


def test_dr_backward_task_fails_with_m00304_when_rpo_or_rto_is_60s(
    drs: SignedDrs, manual: EmulatorAdmin
) -> None:
    ok = manual.create_jobs(1)[0]["id"]
    _, slow_rpo = _dr_pair(manual, "INCRE_TRANSFER_STARTED", rpo=60)
    _, slow_rto = _dr_pair(manual, "INCRE_TRANSFER_STARTED", rto=75)

    items = _items(drs.start(ok, slow_rpo, slow_rto))

    for backward in (slow_rpo, slow_rto):
        assert items[backward]["error_code"] == "DRS.M00304"
        assert "RPO and RTO" in items[backward]["error_msg"]


def test_dr_backward_task_whose_forward_task_is_unknown_fails_with_m00304(
    drs: SignedDrs, manual: EmulatorAdmin
) -> None:
    backward = manual.create_jobs(1, forward_job_id=UNKNOWN_JOB)[0]["id"]

    item = _items(drs.start(backward))[backward]

    assert item["error_code"] == "DRS.M00304"
    assert UNKNOWN_JOB in item["error_msg"]


def test_dr_backward_task_must_itself_be_configured(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    _, backward = _dr_pair(manual, "INCRE_TRANSFER_STARTED")
    manual.set_status(backward, "START_JOB_FAILED")

    assert _items(drs.start(backward))[backward]["error_code"] == "DRS.M00304"

"""Status progression, deterministic: by the clock (transition_seconds), by status reads (reads_per_step),
held (hold_statuses), or by explicit admin steps. No test here sleeps."""

from __future__ import annotations

import pytest
import requests
from emulator_helpers import UNKNOWN_JOB, FakeClock, SignedDrs

from pulumi_drs.emulator import EmulatorAdmin, InProcessEmulator


def test_started_job_steps_through_to_incremental_transfer(drs: SignedDrs, stepped: EmulatorAdmin) -> None:
    job = stepped.create_jobs(1)[0]["id"]
    drs.start(job)

    assert stepped.get_job(job)["status"] == "STARTJOBING"
    assert [drs.status_of(job) for _ in range(3)] == [
        "FULL_TRANSFER_STARTED",
        "INCRE_TRANSFER_STARTED",
        "INCRE_TRANSFER_STARTED",
    ]


def test_the_admin_api_never_advances_a_job_in_per_read_mode(drs: SignedDrs, stepped: EmulatorAdmin) -> None:
    job = stepped.create_jobs(1)[0]["id"]
    drs.start(job)

    for _ in range(3):
        stepped.get_job(job)
        stepped.list_jobs()

    assert stepped.get_job(job)["status"] == "STARTJOBING"


def test_time_based_progression_needs_no_reads_in_between(
    inproc: InProcessEmulator, inproc_drs: SignedDrs, clock: FakeClock
) -> None:
    job = inproc.admin.create_jobs(1)[0]["id"]
    inproc_drs.start(job)

    clock.advance(9.9)
    assert inproc_drs.status_of(job) == "STARTJOBING"
    clock.advance(20)

    assert inproc_drs.status_of(job) == "INCRE_TRANSFER_STARTED"
    detail = inproc_drs.detail([job]).json()["results"][0]
    assert int(detail["actual_start_time"]) == int((clock.now - 19.9) * 1000)


def test_reads_per_step_takes_a_step_at_every_nth_read(drs: SignedDrs, stepped: EmulatorAdmin) -> None:
    stepped.settings(reads_per_step=2)
    job = stepped.create_jobs(1)[0]["id"]
    drs.start(job)

    seen = [drs.status_of(job) for _ in range(4)]

    assert seen == ["STARTJOBING", "FULL_TRANSFER_STARTED", "FULL_TRANSFER_STARTED", "INCRE_TRANSFER_STARTED"]


def test_every_kind_of_status_read_counts(drs: SignedDrs, stepped: EmulatorAdmin) -> None:
    job = stepped.create_jobs(1)[0]["id"]
    drs.start(job)

    drs.detail([job])
    drs.progress([job])

    assert stepped.get_job(job)["status"] == "INCRE_TRANSFER_STARTED"


def test_a_held_status_stays_until_an_explicit_step(drs: SignedDrs, stepped: EmulatorAdmin) -> None:
    stepped.settings(hold_statuses=["FULL_TRANSFER_STARTED"])
    job = stepped.create_jobs(1)[0]["id"]
    drs.start(job)

    assert [drs.status_of(job) for _ in range(3)] == ["FULL_TRANSFER_STARTED"] * 3
    (stepped_job,) = stepped.step([job])

    assert stepped_job["status"] == "INCRE_TRANSFER_STARTED"


def test_a_held_status_stays_however_much_time_passes(
    inproc: InProcessEmulator, inproc_drs: SignedDrs, clock: FakeClock
) -> None:
    inproc.admin.settings(hold_statuses=["RELEASE_RESOURCE_STARTED"])
    job = inproc.admin.create_jobs(1, status="INCRE_TRANSFER_STARTED")[0]["id"]
    inproc_drs.delete("terminate", job)

    clock.advance(86_400)

    assert inproc_drs.status_of(job) == "RELEASE_RESOURCE_STARTED"


def test_explicit_steps_take_queued_steps_now(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    first, second = (j["id"] for j in manual.create_jobs(2))
    drs.start(first, second)

    assert [j["status"] for j in manual.step([first])] == ["FULL_TRANSFER_STARTED"]
    assert {j["id"]: j["status"] for j in manual.step(steps=5)} == {
        first: "INCRE_TRANSFER_STARTED",
        second: "INCRE_TRANSFER_STARTED",
    }
    assert drs.status_of(second) == "INCRE_TRANSFER_STARTED"


def test_an_explicit_step_of_an_unknown_job_is_404(manual: EmulatorAdmin) -> None:
    with pytest.raises(requests.HTTPError) as raised:
        manual.step([UNKNOWN_JOB])

    assert raised.value.response.status_code == 404


def test_setting_a_status_stops_the_progression(drs: SignedDrs, stepped: EmulatorAdmin) -> None:
    job = stepped.create_jobs(1)[0]["id"]
    drs.start(job)

    stepped.set_status(job, "PAUSING")

    assert [drs.status_of(job) for _ in range(3)] == ["PAUSING"] * 3
    assert stepped.step([job])[0]["status"] == "PAUSING"

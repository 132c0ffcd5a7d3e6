"""Status progression: computed on read from timestamps (transition_seconds), or one step per read (0)."""

from __future__ import annotations

import time

from emulator_helpers import SignedDrs

from pulumi_drs.emulator import EmulatorAdmin


def test_started_job_steps_through_to_incremental_transfer(drs: SignedDrs, admin: EmulatorAdmin) -> None:
    admin.settings(transition_seconds=0.5)
    job = admin.create_jobs(1)[0]["id"]
    drs.start(job)

    seen = [drs.status_of(job)]
    deadline = time.monotonic() + 5
    while seen[-1] != "INCRE_TRANSFER_STARTED" and time.monotonic() < deadline:
        time.sleep(0.05)
        status = drs.status_of(job)
        if status != seen[-1]:
            seen.append(status)

    assert seen == ["STARTJOBING", "FULL_TRANSFER_STARTED", "INCRE_TRANSFER_STARTED"]


def test_progression_needs_no_reads_in_between(drs: SignedDrs, admin: EmulatorAdmin) -> None:
    admin.settings(transition_seconds=0.05)
    job = admin.create_jobs(1)[0]["id"]
    drs.start(job)

    time.sleep(0.3)

    assert drs.status_of(job) == "INCRE_TRANSFER_STARTED"
    detail = drs.detail([job]).json()["results"][0]
    assert int(detail["actual_start_time"]) >= int(detail["create_time"])


def test_zero_transition_seconds_steps_once_per_status_read(drs: SignedDrs, admin: EmulatorAdmin) -> None:
    admin.settings(transition_seconds=0)
    job = admin.create_jobs(1)[0]["id"]
    drs.start(job)

    assert admin.get_job(job)["status"] == "STARTJOBING"  # the admin API never advances a job
    assert [drs.status_of(job) for _ in range(3)] == [
        "FULL_TRANSFER_STARTED",
        "INCRE_TRANSFER_STARTED",
        "INCRE_TRANSFER_STARTED",
    ]


def test_setting_a_status_stops_the_progression(drs: SignedDrs, admin: EmulatorAdmin) -> None:
    admin.settings(transition_seconds=0.05)
    job = admin.create_jobs(1)[0]["id"]
    drs.start(job)

    admin.set_status(job, "PAUSING")
    time.sleep(0.2)

    assert drs.status_of(job) == "PAUSING"

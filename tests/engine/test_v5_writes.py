"""DRS API v5's write path through the real engine, in both answer forms of `jobs/action`: a lost start
answer never causes a second start (also while DRS shows the job in CONFIGURATION with START under way),
a scheduled start reaches DRS with its time, and a start DRS accepts and then fails is named."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
from pulumi import automation as auto

from drs_testing.e2e import start_calls, start_counts
from drs_testing.engine import EngineStack
from pulumi_drs.emulator import EmulatorAdmin

pytestmark = pytest.mark.parametrize("api_version", ["v5"], indirect=True)
RUNNING = "INCRE_TRANSFER_STARTED"


@pytest.fixture(params=["sync", "async"])
def form(request: pytest.FixtureRequest, admin: EmulatorAdmin) -> str:
    admin.settings(v5_action_answer=request.param)
    return str(request.param)


def test_a_lost_start_answer_starts_each_job_once_in_either_answer_form(
        admin: EmulatorAdmin, form: str, new_stack: Callable[..., EngineStack]) -> None:
    job_ids = [j["id"] for j in admin.create_jobs(3)]
    admin.add_fault("jobs/action", "drop_after")
    es = new_stack()
    es.program_args["batches"] = {"orders": {"job_ids": job_ids, "wait": "incremental"}}
    up = es.up()
    assert up.outputs["orders_statuses"].value == dict.fromkeys(job_ids, RUNNING)
    assert start_counts(admin, job_ids) == dict.fromkeys(job_ids, 1)
    assert [r["fault"] for r in start_calls(admin) if r["method"] == "POST"] == ["drop_after"]


def test_a_scheduled_start_reaches_drs_with_its_time_in_either_answer_form(
        admin: EmulatorAdmin, form: str, new_stack: Callable[..., EngineStack]) -> None:
    job = admin.create_jobs(1)[0]["id"]
    when = (datetime.now(timezone.utc) + timedelta(hours=3)).replace(microsecond=0)
    es = new_stack()
    es.program_args["batches"] = {"later": {"job_ids": [job], "start_time": when.isoformat()}}
    up = es.up()
    assert up.outputs["later_statuses"].value == {job: "WAITING_FOR_START"}
    assert admin.get_job(job)["scheduled_start"] == when.timestamp()


def test_a_start_drs_accepts_then_fails_fails_the_up_naming_the_job(
        admin: EmulatorAdmin, form: str, new_stack: Callable[..., EngineStack]) -> None:
    job = admin.create_jobs([{"fail_start": True}])[0]["id"]
    es = new_stack()
    es.program_args["batches"] = {"orders": {"job_ids": [job]}}
    with pytest.raises(auto.CommandError) as err:
        es.up()
    assert f"job {job}" in str(err.value) and "START_JOB_FAILED" in str(err.value)
    assert start_counts(admin, [job]) == {job: 1}

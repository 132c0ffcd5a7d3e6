"""The engine SIGKILLed after DRS started the jobs and before the state recorded the batch, and the
recovery path docs/reliability.md gives users: `pulumi cancel`, `pulumi refresh --clear-pending-creates`,
then `pulumi up`, which runs the create again, finds the jobs started and adopts them."""

from __future__ import annotations

import json
from pathlib import Path

from drs_testing.e2e import batch_program, emulator_config
from drs_testing.engine import make_stack
from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess
from reliability.support import (
    FAST_ENV,
    RUNNING,
    assert_started_once,
    calls,
    session_pids,
    start_child,
    wait_until,
    waiting_after_start,
)

BATCH_URN = "urn:pulumi:dev::drs-e2e::pulumi-python:dynamic/drs:StartedJobBatch::orders"


def test_sigkill_after_the_start_then_cancel_refresh_and_up_converges_without_a_second_start(
        tmp_path: Path, emulator: EmulatorProcess, admin: EmulatorAdmin) -> None:
    job_ids = [j["id"] for j in admin.create_jobs(3)]
    admin.settings(hold_statuses=["STARTJOBING"])  # the create cannot end before it is killed
    config = emulator_config(emulator)
    batches = {"orders": {"job_ids": job_ids, "wait": "incremental"}}
    child = start_child(tmp_path, "up", config, batches, FAST_ENV)
    wait_until(lambda: waiting_after_start(admin.requests_log()), 90, "the create to wait for the started jobs")
    assert child.process.poll() is None

    child.kill()

    assert session_pids(child.process.pid) == [], "a process of the killed deploy survived"
    assert_started_once(admin, job_ids)
    es = make_stack(tmp_path, batch_program, config, env=FAST_ENV)
    es.program_args["batches"] = batches
    deployment = json.loads(es.export())["deployment"]
    assert [(op["type"], op["resource"]["urn"]) for op in deployment["pending_operations"]] == [
        ("creating", BATCH_URN)]
    assert BATCH_URN not in [r["urn"] for r in deployment.get("resources", [])]

    assert {admin.get_job(j)["status"] for j in job_ids} == {"STARTJOBING"}
    admin.settings(hold_statuses=[])
    admin.clear_requests()
    es.cli("cancel", "--yes", "--stack", "dev")  # the killed CLI left its lock behind
    es.cli("refresh", "--clear-pending-creates", "--yes", "--stack", "dev")
    up = es.up()

    assert up.summary.resource_changes == {"create": 1, "same": 1}
    assert up.outputs["orders_statuses"].value == dict.fromkeys(job_ids, RUNNING)
    assert calls(admin.requests_log(), "batch-starting") == []  # adopted, not started again
    assert_started_once(admin, job_ids)
    deployment = json.loads(es.export())["deployment"]
    assert not deployment.get("pending_operations")
    assert es.preview().change_summary == {"same": 2}

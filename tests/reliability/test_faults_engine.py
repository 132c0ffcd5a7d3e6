"""`pulumi up` through the real engine while the emulator injects faults: it converges, or fails with a
clear error and a rerun converges; in every case each job's `start_count` is exactly 1."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from drs_testing.e2e import batch_program, emulator_config
from drs_testing.engine import EngineStack, make_stack
from pulumi_drs.emulator import EmulatorAdmin
from reliability.support import (
    FAST_ENV,
    RUNNING,
    ThreadedEmulator,
    assert_started_once,
    calls,
    start_counts,
    wait_until,
    waiting_after_start,
)

StackFactory = Callable[..., EngineStack]

# (path the fault is injected on, rule); start and status faults in the same up
SURVIVED: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "500 burst": [("batch-starting", {"mode": "status", "status": 500, "times": 3})],
    "503 burst": [("batch-starting", {"mode": "status", "status": 503, "times": 2}),
                  ("batch-status", {"mode": "status", "status": 503, "times": 2})],
    "429 with Retry-After": [("batch-starting", {"mode": "status", "status": 429, "retry_after": 1, "times": 1}),
                             ("batch-status", {"mode": "status", "status": 429, "retry_after": 1, "times": 1})],
    "DRS.M01503": [("batch-starting", {"mode": "status", "status": 400, "error_code": "DRS.M01503", "times": 2}),
                   ("batch-status", {"mode": "status", "status": 400, "error_code": "DRS.M01503", "times": 1})],
    "slower than the read timeout": [("batch-starting", {"mode": "delay", "delay_seconds": 3, "times": 1}),
                                     ("batch-status", {"mode": "delay", "delay_seconds": 3, "times": 1})],
    "dropped before processing": [("batch-starting", {"mode": "drop_before", "times": 2}),
                                  ("batch-status", {"mode": "drop_before", "times": 1})],
    "dropped after processing": [("batch-starting", {"mode": "drop_after", "times": 1})],
}


def deploy(es: EngineStack, job_ids: list[str], **kwargs: Any) -> auto.UpResult:
    """`pulumi up` of one batch that waits until every job replicates incrementally (unless `wait` says)."""
    es.program_args["batches"] = {"orders": {"job_ids": job_ids, "timeout": 60, "wait": "incremental", **kwargs}}
    return es.up()


@pytest.mark.parametrize("fault", list(SURVIVED), ids=list(SURVIVED))
def test_up_converges_through_a_burst_of_faults_with_one_start_per_job(
        admin: EmulatorAdmin, new_stack: StackFactory, record: Callable[..., None], fault: str) -> None:
    job_ids = [j["id"] for j in admin.create_jobs(3)]
    es = new_stack()
    for path, rule in SURVIVED[fault]:
        admin.add_fault(path, **rule)

    up = deploy(es, job_ids)

    assert up.outputs["orders_statuses"].value == dict.fromkeys(job_ids, RUNNING)
    if fault == "slower than the read timeout":
        # The emulator logs a request when it has answered it: a delayed one after its delay, which may end
        # after the up did.
        wait_until(lambda: sum(r["fault"] == "delay" for r in admin.requests_log()) == 2, 10, "the late requests")
    injected = [r for r in admin.requests_log() if r["fault"]]
    assert injected, "no fault was injected"
    assert_started_once(admin, job_ids)
    log = admin.requests_log()
    record(fault=fault, outcome="converged", injected=len([r for r in log if r["fault"]]),
           start_requests=len(calls(log, "batch-starting")), requests=len(log),
           start_counts=sorted(set(start_counts(admin, job_ids).values())))
    assert es.preview().change_summary == {"same": 2}


EXHAUSTED: dict[str, tuple[str, dict[str, Any], str]] = {
    "500 forever": ("batch-starting", {"mode": "status", "status": 500, "times": 0},
                    "batch-starting: DRS answered HTTP 500 DRS.M00004: Service abnormal. Retry later."),
    "dropped before processing, forever": ("batch-starting", {"mode": "drop_before", "times": 0},
                                           "the connection closed before DRS answered"),
    "status reads time out forever": ("batch-status", {"mode": "delay", "delay_seconds": 3, "times": 0},
                                      "DRS did not answer within 1 s"),
}


@pytest.mark.parametrize("fault", list(EXHAUSTED), ids=list(EXHAUSTED))
def test_up_fails_clearly_when_retries_run_out_and_a_rerun_converges(
        admin: EmulatorAdmin, new_stack: StackFactory, record: Callable[..., None], fault: str) -> None:
    path, rule, message = EXHAUSTED[fault]
    job_ids = [j["id"] for j in admin.create_jobs(2)]
    es = new_stack(env={"PULUMI_DRS_MAX_RETRIES": "2"})
    admin.add_fault(path, **rule)

    with pytest.raises(auto.CommandError) as failed:
        deploy(es, job_ids)

    text = str(failed.value)
    assert message in text
    assert "urllib3" not in text and "requests/" not in text, "a transport traceback reached the user"
    admin.clear_faults()
    up = deploy(es, job_ids)
    assert up.summary.resource_changes == {"create": 1, "same": 1}
    assert_started_once(admin, job_ids)
    record(fault=fault, outcome="clear error, rerun converged", message=message,
           start_counts=sorted(set(start_counts(admin, job_ids).values())))


def test_status_reads_failing_after_the_start_fail_the_up_and_a_rerun_adopts_the_started_jobs(
        admin: EmulatorAdmin, new_stack: StackFactory) -> None:
    job_ids = [j["id"] for j in admin.create_jobs(2)]
    admin.settings(hold_statuses=["STARTJOBING"])  # the up is still waiting when the reads begin to fail
    es = new_stack(env={"PULUMI_DRS_MAX_RETRIES": "2"})
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["up"] = deploy(es, job_ids)
        except auto.CommandError as error:
            outcome["error"] = str(error)

    thread = threading.Thread(target=run)
    thread.start()
    wait_until(lambda: waiting_after_start(admin.requests_log()), 60, "the up to wait for the started jobs")
    admin.add_fault("batch-status", mode="status", status=503, times=0)
    thread.join(120)

    assert "error" in outcome, "the up converged although every status read failed"
    assert "batch-status: DRS answered HTTP 503 DRS.M00004: Service abnormal." in outcome["error"]
    admin.clear_faults()
    admin.settings(hold_statuses=[])
    admin.clear_requests()
    up = deploy(es, job_ids)
    assert up.outputs["orders_statuses"].value == dict.fromkeys(job_ids, RUNNING)
    assert calls(admin.requests_log(), "batch-starting") == []  # found started: adopted, not started
    assert_started_once(admin, job_ids)


def test_a_job_refused_per_item_with_m01504_is_asked_again_within_the_up(tmp_path: Path) -> None:
    with ThreadedEmulator() as drs:
        job_ids = [j["id"] for j in drs.admin.create_jobs(3)]
        busy = job_ids[1]
        drs.busy([busy], times=2)
        es = make_stack(tmp_path, batch_program, emulator_config(drs), env=FAST_ENV)  # type: ignore[arg-type]
        up = deploy(es, job_ids)
        assert up.outputs["orders_statuses"].value == dict.fromkeys(job_ids, RUNNING)
        assert_started_once(drs.admin, job_ids)
        assert [r["job_ids"] for r in calls(drs.admin.requests_log(), "batch-starting")] == [job_ids, [busy], [busy]]


def test_a_job_refused_with_m01504_past_the_retries_fails_the_up_by_name_and_a_rerun_starts_it_once(
        tmp_path: Path) -> None:
    with ThreadedEmulator() as drs:
        job_ids = [j["id"] for j in drs.admin.create_jobs(3)]
        busy = job_ids[1]
        drs.busy([busy], times=4)  # every try of the up
        es = make_stack(tmp_path, batch_program, emulator_config(drs), env=FAST_ENV)  # type: ignore[arg-type]

        with pytest.raises(auto.CommandError) as failed:
            deploy(es, job_ids)

        text = str(failed.value)
        assert "1 job(s) could not be brought to incremental:" in text
        assert f"job {busy}: CONFIGURATION: DRS refused the start: DRS.M01504: " in text
        assert start_counts(drs.admin, job_ids) == {job_ids[0]: 1, busy: 0, job_ids[2]: 1}
        up = deploy(es, job_ids)
        assert up.outputs["orders_statuses"].value == dict.fromkeys(job_ids, RUNNING)
        assert_started_once(drs.admin, job_ids)
        starts = [r["job_ids"] for r in calls(drs.admin.requests_log(), "batch-starting")]
        assert starts == [job_ids, [busy], [busy], [busy], [busy]]


def test_a_terminate_refused_per_item_with_m01504_is_asked_again_until_drs_accepts_it(
        admin: EmulatorAdmin, new_stack: StackFactory) -> None:
    job_ids = [j["id"] for j in admin.create_jobs(2)]
    admin.settings(hold_statuses=["STARTJOBING"])  # a plain terminate of a starting job answers DRS.M01504
    es = new_stack()
    deploy(es, job_ids, wait="accepted", stop_on_delete=True)
    admin.clear_requests()
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["destroy"] = es.destroy()
        except auto.CommandError as error:
            outcome["error"] = str(error)

    thread = threading.Thread(target=run)
    thread.start()
    wait_until(lambda: len(calls(admin.requests_log(), "batch-jobs")) >= 2 or not thread.is_alive(), 60,
               "the terminate to be asked again")
    assert thread.is_alive(), outcome
    assert [admin.get_job(j)["status"] for j in job_ids] == ["STARTJOBING", "STARTJOBING"]
    admin.settings(hold_statuses=[])
    thread.join(120)

    assert "destroy" in outcome, outcome.get("error")
    assert [admin.get_job(j)["status"] for j in job_ids] == ["RELEASE_RESOURCE_COMPLETE"] * 2
    assert [admin.get_job(j)["terminate_count"] for j in job_ids] == [1, 1]
    assert all(r["job_ids"] == job_ids for r in calls(admin.requests_log(), "batch-jobs"))
    assert_started_once(admin, job_ids)

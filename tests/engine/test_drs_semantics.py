"""DRS's documented semantics through the real engine: parent tasks, CREATING and scheduled jobs,
maintenance failures, dual-active DR, transient read errors, and two batches sharing a job.

Acting "during" an up runs the up in a thread and keys each step on the emulator's request log.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from pulumi import automation as auto

from drs_testing.e2e import calls, start_counts, wait_for_calls
from drs_testing.engine import EngineStack
from pulumi_drs.emulator import EmulatorAdmin

RUNNING = "INCRE_TRANSFER_STARTED"


class Background:
    """`es.up()` in a thread; `result()` joins it and returns its UpResult (or raises its error)."""

    def __init__(self, action: Callable[[], Any]) -> None:
        self._out: dict[str, Any] = {}
        self._thread = threading.Thread(target=self._run, args=(action,), daemon=True)
        self._thread.start()

    def _run(self, action: Callable[[], Any]) -> None:
        try:
            self._out["result"] = action()
        except BaseException as exc:
            self._out["error"] = exc

    def alive(self) -> bool:
        return self._thread.is_alive()

    def result(self, timeout: float = 300) -> Any:
        self._thread.join(timeout)
        if "error" in self._out:
            raise self._out["error"]
        return self._out["result"]


def test_a_parent_task_fails_the_preview_naming_it_and_its_subtasks(
        admin: EmulatorAdmin, new_stack: Callable[..., EngineStack]) -> None:
    parent = admin.create_jobs(1)[0]["id"]
    children = [j["id"] for j in admin.create_jobs(2, parent_id=parent)]
    es = new_stack()
    es.program_args["batches"] = {"orders": {"job_ids": [parent]}}
    with pytest.raises(auto.CommandError) as err:
        es.preview()
    text = str(err.value)
    assert f"job {parent} is a parent task" in text and all(c in text for c in children)
    assert calls(admin, "batch-starting") == []


def test_a_job_still_creating_when_up_begins_is_started_once_within_that_up(
        admin: EmulatorAdmin, new_stack: Callable[..., EngineStack]) -> None:
    job = admin.create_jobs(1, status="CREATING")[0]["id"]
    es = new_stack()
    es.program_args["batches"] = {"orders": {"job_ids": [job]}}
    up = Background(es.up)
    wait_for_calls(admin, "batch-status", 3)  # the preflight, then the create's first reads
    assert up.alive() and calls(admin, "batch-starting") == []
    admin.set_status(job, "CONFIGURATION")
    result = up.result()
    assert result.outputs["orders_statuses"].value[job] in ("FULL_TRANSFER_STARTED", RUNNING)
    assert start_counts(admin, [job]) == {job: 1}


def test_waiting_for_start_without_a_start_time_is_waited_through(
        admin: EmulatorAdmin, new_stack: Callable[..., EngineStack]) -> None:
    job = admin.create_jobs(1, status="WAITING_FOR_START")[0]["id"]
    es = new_stack()
    es.program_args["batches"] = {"orders": {"job_ids": [job]}}
    up = Background(es.up)
    wait_for_calls(admin, "batch-status", 4)
    assert up.alive()  # WAITING_FOR_START alone does not end the wait
    admin.set_status(job, RUNNING)
    assert up.result().outputs["orders_statuses"].value == {job: RUNNING}
    assert calls(admin, "batch-starting") == []


def test_a_node_rebuild_failure_shows_in_the_preview_after_a_refresh_and_up_says_what_to_do(
        admin: EmulatorAdmin, new_stack: Callable[..., EngineStack]) -> None:
    jobs = [j["id"] for j in admin.create_jobs(2)]
    es = new_stack()
    es.program_args["batches"] = {"orders": {"job_ids": jobs}}
    es.up()
    admin.set_status(jobs[0], "REBUILD_NODE_FAILED")
    es.refresh()
    assert '"REBUILD_NODE_FAILED"' in es.export()
    preview = es.preview(diff=True)
    assert preview.change_summary.get("update") == 1
    printed = preview.stdout + preview.stderr
    assert f"job {jobs[0]} is REBUILD_NODE_FAILED (as last recorded); `pulumi up` cannot repair it" in printed
    assert '+ drift' in preview.stdout
    with pytest.raises(auto.CommandError) as err:
        es.up()
    assert f"job {jobs[0]}: REBUILD_NODE_FAILED: DRS could not recover" in str(err.value)
    assert start_counts(admin, jobs) == {j: 1 for j in jobs}


def test_a_dual_active_backward_batch_waits_for_its_forward_jobs_then_starts_each_once(
        admin: EmulatorAdmin, new_stack: Callable[..., EngineStack]) -> None:
    forward = admin.create_jobs(1, rpo=75, rto=5)[0]["id"]
    backward = admin.create_jobs([{"forward_job_id": forward, "rpo": 5, "rto": 5}])[0]["id"]

    def program(args: dict[str, object]) -> None:
        import pulumi

        from pulumi_drs import StartedJobBatch

        fwd = StartedJobBatch("forward", job_ids=[forward], wait="incremental")
        bwd = StartedJobBatch("backward", job_ids=[backward], forward_job_ids=fwd.job_ids)
        pulumi.export("backward_statuses", bwd.job_statuses)

    es = new_stack(program=program)
    assert es.preview().change_summary.get("create") == 3
    up = Background(es.up)
    wait_for_calls(admin, "batch-rpo-and-rto", 3)  # the backward batch is waiting on the forward's RPO
    assert up.alive() and start_counts(admin, [backward]) == {backward: 0}
    admin.update_job(forward, rpo=5)
    result = up.result()
    assert result.outputs["backward_statuses"].value[backward] in ("FULL_TRANSFER_STARTED", RUNNING)
    assert start_counts(admin, [forward, backward]) == {forward: 1, backward: 1}
    assert "backward: 0/1 job(s) ready (DR forward)" in es.text()


def test_a_transient_per_item_read_error_is_not_recorded_as_not_found(
        admin: EmulatorAdmin, new_stack: Callable[..., EngineStack]) -> None:
    jobs = [j["id"] for j in admin.create_jobs(2, status=RUNNING)]
    es = new_stack()
    es.program_args["batches"] = {"orders": {"job_ids": jobs}}
    es.up()
    admin.add_fault("batch-status", "status", status=200, times=2)  # answers naming no job, twice
    es.refresh()
    exported = es.export()
    assert "NOT_FOUND" not in exported and exported.count(f'"{RUNNING}"') >= 2


def test_two_batches_sharing_a_job_both_succeed_and_the_job_starts_once(
        admin: EmulatorAdmin, new_stack: Callable[..., EngineStack]) -> None:
    shared, own_a, own_b = (j["id"] for j in admin.create_jobs(3))
    es = new_stack()
    es.program_args["batches"] = {"a": {"job_ids": [shared, own_a]}, "b": {"job_ids": [shared, own_b]}}
    up = es.up()
    assert up.summary.resource_changes == {"create": 3}
    assert start_counts(admin, [shared, own_a, own_b]) == {shared: 1, own_a: 1, own_b: 1}

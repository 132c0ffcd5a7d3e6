"""A Python stack moving a batch from the dynamic resource to the native one touches no job.

The type changes, so the engine replaces: the native batch's create runs first and adopts the running
jobs (no start), then the dynamic batch's delete retains them (no terminate, as `stop_on_delete` is
false). README "Switching front doors" says so, and that a batch with `stop_on_delete=True` must be
set to false (one `pulumi up`) before it is switched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_drs_native

from drs_testing.e2e import start_calls, start_counts, terminate_calls
from drs_testing.engine import EngineStack
from pulumi_drs import StartedJobBatch
from pulumi_drs.emulator import EmulatorAdmin

RUNNING = "INCRE_TRANSFER_STARTED"


def program(args: dict[str, Any]) -> None:
    job_ids = args["job_ids"]
    if args["door"] == "dynamic":
        batch: Any = StartedJobBatch("orders", job_ids=job_ids, wait="incremental")
    else:
        batch = pulumi_drs_native.StartedJobBatch("orders", job_ids=job_ids, wait="incremental")
    pulumi.export("statuses", batch.job_statuses)


def test_switching_a_batch_from_the_dynamic_to_the_native_resource_starts_and_stops_nothing(
        admin: EmulatorAdmin, new_stack: Callable[..., EngineStack]) -> None:
    job_ids = [j["id"] for j in admin.create_jobs(2)]
    es = new_stack(program=program)
    es.program_args.update(job_ids=job_ids, door="dynamic")
    es.up()
    assert start_counts(admin, job_ids) == {j: 1 for j in job_ids}
    admin.clear_requests()

    es.program_args["door"] = "native"
    up = es.up()

    assert up.summary.resource_changes == {"create": 1, "delete": 1, "same": 1}
    assert up.outputs["statuses"].value == {j: RUNNING for j in job_ids}
    assert start_calls(admin) == [] and terminate_calls(admin) == []
    assert start_counts(admin, job_ids) == {j: 1 for j in job_ids}
    assert {admin.get_job(j)["terminate_count"] for j in job_ids} == {0}
    assert "keep running" in es.text()
    assert es.preview(expect_no_changes=True).change_summary == {"same": 2}

"""Load: 8 stacks of 100 jobs each deploying in parallel (one engine per stack, each in its own process)
against one emulator. Every job starts exactly once; the figures go to docs/reliability.md."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drs_testing.e2e import emulator_config
from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess
from reliability.support import FAST_ENV, RUNNING, accepted_starts, calls, percentile, start_child

STACKS = 8
JOBS_PER_STACK = 100


def test_eight_stacks_of_100_jobs_in_parallel_start_every_job_exactly_once(
        tmp_path: Path, emulator: EmulatorProcess, admin: EmulatorAdmin, record: Callable[..., None]) -> None:
    job_ids = [j["id"] for j in admin.create_jobs(STACKS * JOBS_PER_STACK)]
    batches = [job_ids[n * JOBS_PER_STACK:(n + 1) * JOBS_PER_STACK] for n in range(STACKS)]
    admin.settings(transition_seconds=0.5)  # INCRE_TRANSFER_STARTED after 1 s: each create polls a few times
    admin.clear_requests()
    began = time.monotonic()

    children = [start_child(tmp_path / f"stack{n}", "up", emulator_config(emulator),
                            {"orders": {"job_ids": batch, "timeout": 300, "wait": "incremental"}}, FAST_ENV)
                for n, batch in enumerate(batches)]
    results = [child.wait(timeout=300) for child in children]
    wall = time.monotonic() - began

    failed = {n: r.get("error", "")[-2000:] for n, r in enumerate(results) if not r["ok"]}
    assert not failed, f"stacks failed: {failed}"
    for batch, result in zip(batches, results, strict=True):
        assert result["outputs"]["orders_count"] == JOBS_PER_STACK
        statuses = result["outputs"]["orders_statuses"]
        assert statuses.keys() == set(batch)
        assert set(statuses.values()) == {RUNNING}, set(statuses.values())
    counts = Counter(job["start_count"] for job in admin.list_jobs() if job["id"] in set(job_ids))
    assert counts == {1: len(job_ids)}, f"start_count histogram: {dict(counts)}"
    log = admin.requests_log()
    assert accepted_starts(log) == {j: 1 for j in job_ids}
    assert len(calls(log, "batch-starting")) == STACKS  # one batch call of 100 jobs per stack
    record(**figures(log, wall))


def figures(log: list[dict[str, Any]], wall: float) -> dict[str, Any]:
    durations = [r["duration_ms"] for r in log]
    per_operation = Counter(r["path"].rsplit("/", 1)[1] for r in log)
    return {
        "stacks": STACKS, "jobs": STACKS * JOBS_PER_STACK, "wall_seconds": round(wall, 1),
        "requests": len(log), "per_operation": dict(per_operation),
        "errors": sum(1 for r in log if (r["status_code"] or 0) >= 400),
        "p50_ms": percentile(durations, 50), "p90_ms": percentile(durations, 90),
        "p99_ms": percentile(durations, 99), "max_ms": max(durations),
    }

"""Shared pieces of the end-to-end tests: the emulator's credentials, the program, log queries."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import pulumi

from pulumi_drs import StartedJobBatch
from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess

AK, SK = "E2EACCESSKEY", "e2e-secret-key-value-0123456789"
PROJECT_ID = "054ba152d480d55b2f5dc0069e7ddef0"


def batch_program(args: dict[str, Any]) -> None:
    """`args["batches"]`: resource name -> StartedJobBatch keyword arguments."""
    for name, kwargs in args.get("batches", {}).items():
        batch = StartedJobBatch(name, **kwargs)
        pulumi.export(f"{name}_statuses", batch.job_statuses)
        pulumi.export(f"{name}_count", batch.count)


def emulator_config(emulator: EmulatorProcess, secret_key: str = SK) -> dict[str, tuple[str, bool]]:
    return {
        "drs:endpoint": (emulator.url, False),
        "drs:projectId": (PROJECT_ID, False),
        "drs:accessKey": (AK, False),
        "drs:secretKey": (secret_key, True),
    }


def calls(admin: EmulatorAdmin, operation: str) -> list[dict[str, Any]]:
    """The logged DRS requests whose path ends with `operation` (e.g. "batch-starting")."""
    return [r for r in admin.requests_log() if r["path"].endswith(operation)]


def start_calls(admin: EmulatorAdmin) -> list[dict[str, Any]]:
    """Requests that may start jobs, whatever the API version: v3 batch-starting, v5 jobs/action."""
    return [r for r in admin.requests_log() if r["path"].endswith(("batch-starting", "jobs/action"))]


def terminate_calls(admin: EmulatorAdmin) -> list[dict[str, Any]]:
    """Requests that end jobs: v3 DELETE batch-jobs, v5 jobs/batch-stop."""
    return [r for r in admin.requests_log() if r["path"].endswith(("batch-jobs", "jobs/batch-stop"))]


def emulator_for_tests(transition_seconds: float, *extra_args: str) -> EmulatorProcess:
    """An emulator (not yet started) that accepts the tests' AK/SK and project."""
    return EmulatorProcess("--transition-seconds", str(transition_seconds), "--access-key", AK, "--secret-key", SK,
                           "--project-id", PROJECT_ID, *extra_args)


def fresh(admin: EmulatorAdmin, transition_seconds: float) -> EmulatorAdmin:
    """The admin API of an emulator with no fault, an empty request log, the given step time and no
    other progression rule (no held status, one step per read when the step time is 0), answering v5
    actions with a result per job."""
    admin.clear_faults()
    admin.settings(transition_seconds=transition_seconds, latency_ms=0, reads_per_step=1, hold_statuses=[],
                   max_per_page=100, v5_action_answer="sync")
    admin.clear_requests()
    return admin


def wait_for_calls(admin: EmulatorAdmin, operation: str, at_least: int, timeout: float = 120.0) -> None:
    """Block until the emulator logged `at_least` requests for `operation` (an engine run in another
    thread got that far); the engine tier's only way to act "during" an up, keyed on DRS traffic."""
    deadline = time.monotonic() + timeout
    while len(calls(admin, operation)) < at_least:
        if time.monotonic() > deadline:
            raise AssertionError(f"the emulator saw {len(calls(admin, operation))} {operation} calls "
                                 f"in {timeout:.0f} s, not {at_least}")
        time.sleep(0.05)


def start_counts(admin: EmulatorAdmin, job_ids: Iterable[str]) -> dict[str, int]:
    """How many starts DRS accepted, per job."""
    return {j: admin.get_job(j)["start_count"] for j in job_ids}

"""Shared pieces of the end-to-end tests: the emulator's credentials, the program, log queries."""

from __future__ import annotations

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


def emulator_for_tests(transition_seconds: float, *extra_args: str) -> EmulatorProcess:
    """An emulator (not yet started) that accepts the tests' AK/SK and project."""
    return EmulatorProcess("--transition-seconds", str(transition_seconds), "--access-key", AK, "--secret-key", SK,
                           "--project-id", PROJECT_ID, *extra_args)


def fresh(admin: EmulatorAdmin, transition_seconds: float) -> EmulatorAdmin:
    """The admin API of an emulator with no fault, an empty request log and the given step time."""
    admin.clear_faults()
    admin.settings(transition_seconds=transition_seconds, latency_ms=0)
    admin.clear_requests()
    return admin


def start_counts(admin: EmulatorAdmin, job_ids: Iterable[str]) -> dict[str, int]:
    """How many starts DRS accepted, per job."""
    return {j: admin.get_job(j)["start_count"] for j in job_ids}

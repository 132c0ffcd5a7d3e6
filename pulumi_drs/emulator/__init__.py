"""A wire-faithful emulator of the Huawei Cloud DRS batch APIs, v3 and v5 (like moto for AWS).

Run it with `python -m pulumi_drs.emulator`, from Python as a child process with `EmulatorProcess`, or in
this process behind a `requests` adapter with `InProcessEmulator`. Layout, one concern per module:

    rules       the status tables: what each status allows, where each operation leads (with sources)
    jobs        one job: state, guards, status progression
    paging      batch checks, paging and the task-list filter
    backend     the service: one method per DRS operation (SDK names), plain Python in and out
    v3          the DRS v3 routes and the serializers of jobs into v3 wire models
    v5          the DRS v5 routes and serializers, over the same backend and jobs
    iam         the IAM service and its routes
    authcheck   AK/SK signature and token checks
    faults      fault rules;  gateway  latency, faults, auth and request log (ASGI middleware)
    state       what one emulator holds;  admin  the `/_emulator` API;  app  the ASGI app
    store       SQLite persistence;  config  start-up config and run-time settings
    process     EmulatorProcess and EmulatorAdmin;  inprocess  InProcessEmulator
    exceptions  one class per DRS, gateway or IAM error code
"""

from __future__ import annotations

try:
    import fastapi  # noqa: F401
    import uvicorn  # noqa: F401
except ImportError as missing:  # pragma: no cover - depends on how the package was installed
    raise ImportError("the DRS emulator needs its extra: pip install 'pulumi-drs[emulator]'") from missing

from pulumi_drs.emulator.app import create_app
from pulumi_drs.emulator.backend import DrsBackend
from pulumi_drs.emulator.config import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_DOMAIN_NAME,
    DEFAULT_PASSWORD,
    DEFAULT_PROJECT_ID,
    DEFAULT_REGION,
    DEFAULT_SECRET_KEY,
    DEFAULT_USER_NAME,
    EmulatorConfig,
    RuntimeSettings,
)
from pulumi_drs.emulator.inprocess import InProcessEmulator
from pulumi_drs.emulator.jobs import JobSpec
from pulumi_drs.emulator.process import EmulatorAdmin, EmulatorProcess
from pulumi_drs.emulator.state import EmulatorState, build_state

__all__ = [
    "DEFAULT_ACCESS_KEY",
    "DEFAULT_DOMAIN_NAME",
    "DEFAULT_PASSWORD",
    "DEFAULT_PROJECT_ID",
    "DEFAULT_REGION",
    "DEFAULT_SECRET_KEY",
    "DEFAULT_USER_NAME",
    "DrsBackend",
    "EmulatorAdmin",
    "EmulatorConfig",
    "EmulatorProcess",
    "EmulatorState",
    "InProcessEmulator",
    "JobSpec",
    "RuntimeSettings",
    "build_state",
    "create_app",
]

"""A wire-faithful emulator of the Huawei Cloud DRS v3 batch API (like moto for AWS).

Run it with `python -m pulumi_drs.emulator`, or from Python with `EmulatorProcess`. Layout:
`backend` (jobs and rules, no HTTP), `jobs` (one job: guards, progression, wire forms), `store`
(SQLite persistence), `iam` (tokens, projects), `authcheck` (AK/SK and token checks), `faults`,
`gateway` (latency, faults, auth, request log), `app` (HTTP routes), `admin` (`/_emulator` API),
`exceptions` (one class per error code).
"""

from __future__ import annotations

try:
    import fastapi  # noqa: F401
    import uvicorn  # noqa: F401
except ImportError as missing:  # pragma: no cover - depends on how the package was installed
    raise ImportError("the DRS emulator needs its extra: pip install 'pulumi-drs[emulator]'") from missing

from pulumi_drs.emulator.app import EmulatorState, build_state, create_app
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
    Settings,
)
from pulumi_drs.emulator.process import EmulatorAdmin, EmulatorProcess

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
    "Settings",
    "build_state",
    "create_app",
]

"""Section 1: DRS calls per lifecycle step for N jobs: pulumi-drs in this process, and the per-job baseline.

The emulator's steps last `COUNT_TRANSITION_SECONDS` for pulumi-drs, which polls on the production
schedule (0.5 s first, x1.5, capped at 10 s). The baseline runs with its cadence and the emulator's
steps both shrunk by `BASELINE_SCALE`, which keeps every call it makes and saves its 20 s waits;
`converge.py` runs it once at full cadence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.baseline import Cadence, PerJobDriver
from bench.harness import Calls, InProcessBatch, client_settings, measured, new_job_ids, stack_config
from pulumi_drs.emulator import EmulatorProcess

COUNT_TRANSITION_SECONDS = 1.0
BASELINE_SCALE = 0.01

OURS_INPROCESS = "pulumi-drs, in process"
OURS_ENGINE = "pulumi-drs, pulumi engine"
BASELINE = "per-job baseline"


@dataclass(frozen=True)
class CallRow:
    n: int
    path: str
    operation: str
    calls: Calls

    def as_dict(self) -> dict[str, Any]:
        return {"jobs": self.n, "path": self.path, "operation": self.operation, **self.calls.as_dict()}


def ours_in_process(emulator: EmulatorProcess, n: int) -> list[CallRow]:
    """check (preflight), create, one refresh (read) and one no-change preview (check + diff)."""
    admin = emulator.admin
    admin.settings(transition_seconds=COUNT_TRANSITION_SECONDS, latency_ms=0)
    batch = InProcessBatch(stack_config(emulator))
    ids = new_job_ids(admin, n)
    inputs, check = measured(admin, lambda: batch.check(ids))
    (id_, outs), create = measured(admin, lambda: batch.create(inputs))
    refreshed, refresh = measured(admin, lambda: batch.read(id_, outs))
    changes, preview = measured(admin, lambda: batch.preview(id_, inputs, refreshed))
    if changes is not False:
        raise RuntimeError(f"a no-change preview of {n} running jobs reported changes={changes}")
    return [CallRow(n, OURS_INPROCESS, "check (preflight)", check),
            CallRow(n, OURS_INPROCESS, "create", create),
            CallRow(n, OURS_INPROCESS, "refresh (read)", refresh),
            CallRow(n, OURS_INPROCESS, "preview (check+diff)", preview)]


def baseline(emulator: EmulatorProcess, n: int, scale: float = BASELINE_SCALE) -> CallRow:
    admin = emulator.admin
    admin.settings(transition_seconds=COUNT_TRANSITION_SECONDS * scale, latency_ms=0)
    ids = new_job_ids(admin, n)
    driver = PerJobDriver(client_settings(emulator), Cadence().scaled(scale))
    _, calls = measured(admin, lambda: driver.create_all(ids))
    label = "create" if scale == 1 else f"create (cadence x{scale:g})"
    return CallRow(n, BASELINE, label, calls)

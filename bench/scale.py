"""Section 5: check, create, read and diff of large batches, in this process, against a slow emulator.

Every DRS request waits `LATENCY_MS` in the emulator. Its steps are set to 0 (one step per status
read), so create finds the jobs running at its first read after starting them and never sleeps: the
figures are the provider's and the wire's, not the poll schedule's. Each size runs twice on fresh
jobs: once for wall and CPU time, once under tracemalloc for the peak of Python allocations (tracing
slows the code down, so it never times). Each timed step starts after a full garbage collection;
diff, which makes no request and lasts milliseconds, is timed `DIFF_REPEATS` times and the fastest kept.

Between the smallest and largest size, `growth` is how much the cost per job grew (1 is linear; a
quadratic cost grows by the size ratio, 10 from 1,000 to 10,000) and `exponent` the slope of
log(cost) over log(jobs) (1 linear, 2 quadratic). Wall time passes within `TIME_GROWTH_LIMIT`; peak
memory within `MEMORY_GROWTH_LIMIT`, because hash tables and allocator arenas grow by doubling, so
the same per-job memory can show up to twice as large at a size just past a power of two.
"""

from __future__ import annotations

import gc
import math
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.harness import Calls, InProcessBatch, measured, new_job_ids, stack_config
from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess

LATENCY_MS = 20.0
DIFF_REPEATS = 5
PHASES = ("check", "create", "read", "diff")
TIME_GROWTH_LIMIT = 1.5
MEMORY_GROWTH_LIMIT = 2.0
METRICS = ("wall_seconds", "cpu_seconds", "peak_bytes")


@dataclass(frozen=True)
class PhaseCost:
    n: int
    phase: str
    calls: Calls
    peak_bytes: int

    @property
    def wall_seconds(self) -> float:
        return self.calls.seconds

    @property
    def cpu_seconds(self) -> float:
        return self.calls.cpu_seconds

    def as_dict(self) -> dict[str, Any]:
        return {"jobs": self.n, "phase": self.phase, "requests": self.calls.requests,
                "wall_seconds": round(self.wall_seconds, 4), "server_seconds": round(self.calls.server_seconds, 4),
                "cpu_seconds": round(self.cpu_seconds, 4), "peak_bytes": self.peak_bytes}


Phase = Callable[[], object]


def run(emulator: EmulatorProcess, sizes: list[int]) -> list[PhaseCost]:
    costs: list[PhaseCost] = []
    for n in sizes:
        admin = emulator.admin
        admin.reset()
        admin.settings(transition_seconds=0, latency_ms=LATENCY_MS)
        times = _timed_pass(admin, InProcessBatch(stack_config(emulator)), n)
        peaks = _memory_pass(admin, InProcessBatch(stack_config(emulator)), n)
        costs += [PhaseCost(n, phase, times[phase], peaks[phase]) for phase in PHASES]
    emulator.admin.reset()
    return costs


def _phases(admin: EmulatorAdmin, batch: InProcessBatch, n: int) -> dict[str, Phase]:
    """The four steps on `n` fresh jobs; each step takes the previous one's result."""
    ids = new_job_ids(admin, n)
    done: dict[str, Any] = {}

    def check() -> None:
        done["inputs"] = batch.check(ids)

    def create() -> None:
        done["id"], done["outs"] = batch.create(done["inputs"])

    def read() -> None:
        done["outs"] = batch.read(done["id"], done["outs"])

    def diff() -> None:
        if batch.diff(done["id"], done["outs"], done["inputs"]) is not False:
            raise RuntimeError(f"diff of {n} running jobs found changes")

    return {"check": check, "create": create, "read": read, "diff": diff}


def _timed_pass(admin: EmulatorAdmin, batch: InProcessBatch, n: int) -> dict[str, Calls]:
    out: dict[str, Calls] = {}
    for name, phase in _phases(admin, batch, n).items():
        samples = []
        for _ in range(DIFF_REPEATS if name == "diff" else 1):
            gc.collect()
            samples.append(measured(admin, phase)[1])
        out[name] = min(samples, key=lambda calls: calls.seconds)
    return out


def _memory_pass(admin: EmulatorAdmin, batch: InProcessBatch, n: int) -> dict[str, int]:
    phases = _phases(admin, batch, n)
    peaks: dict[str, int] = {}
    tracemalloc.start()
    try:
        for name, phase in phases.items():
            gc.collect()
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            phase()
            peaks[name] = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    return peaks


def growth(costs: list[PhaseCost]) -> dict[str, dict[str, Any]]:
    """Per phase and metric, from the smallest to the largest size: per-job growth and exponent."""
    out: dict[str, dict[str, Any]] = {}
    for phase in PHASES:
        rows = sorted((c for c in costs if c.phase == phase), key=lambda c: c.n)
        if len(rows) < 2:
            continue
        small, large = rows[0], rows[-1]
        out[phase] = {metric: _growth(small.n, getattr(small, metric), large.n, getattr(large, metric))
                      for metric in METRICS}
        out[phase]["linear"] = (_within(out[phase]["wall_seconds"]["growth"], TIME_GROWTH_LIMIT)
                                and _within(out[phase]["peak_bytes"]["growth"], MEMORY_GROWTH_LIMIT))
    return out


def _within(value: float | None, limit: float) -> bool:
    return value is not None and value <= limit


def _growth(n1: int, cost1: float, n2: int, cost2: float) -> dict[str, float | None]:
    if cost1 <= 0 or cost2 <= 0:
        return {"growth": None, "exponent": None}
    return {"growth": round((cost2 / n2) / (cost1 / n1), 2),
            "exponent": round(math.log(cost2 / cost1) / math.log(n2 / n1), 2)}

"""Sections 1 (through the engine), 3 and 4: the real pulumi CLI, via Automation API inline programs.

Every stack runs with the production poll and backoff settings (the test helper's defaults shrink
them) and with the repository root on PYTHONPATH, so the engine's dynamic-provider process can import
`bench.noop_provider`. Automation API's `up` passes `--skip-preview`: its counts are check + create.
"""

from __future__ import annotations

import base64
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import ResourceProvider

from bench.calls import COUNT_TRANSITION_SECONDS, OURS_ENGINE, CallRow
from bench.harness import POLL_CAP_SECONDS, measured, new_job_ids
from bench.importing_noop_provider import ImportingNoopProvider
from bench.noop_provider import NoopBatch, NoopProvider
from drs_testing.e2e import batch_program, emulator_config
from drs_testing.engine import EngineStack, make_stack
from pulumi_drs.emulator import EmulatorProcess
from pulumi_drs.settings import Settings

REPO = Path(__file__).resolve().parents[1]
IMPORT_PROBE = "\n".join([
    "import json, time",
    "t0 = time.perf_counter()",
    "import pulumi",
    "t1 = time.perf_counter()",
    "from pulumi_drs import StartedJobBatch",
    "t2 = time.perf_counter()",
    "print(json.dumps([t1 - t0, t2 - t1]))",
])


def stack_env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, "PULUMI_DRS_POLL_INTERVAL_MAX": f"{POLL_CAP_SECONDS:g}",
            "PULUMI_DRS_BACKOFF_FACTOR": f"{Settings().backoff_factor:g}"}


def noop_program(provider: Callable[[], ResourceProvider]) -> Callable[[dict[str, Any]], None]:
    """drs_testing's batch_program with a NoopBatch (of `provider`) in place of StartedJobBatch."""

    def program(args: dict[str, Any]) -> None:
        for name, kwargs in args.get("batches", {}).items():
            noop = NoopBatch(name, kwargs["job_ids"], provider())
            pulumi.export(f"{name}_statuses", noop.job_statuses)
            pulumi.export(f"{name}_count", noop.count)

    return program


def new_stack(emulator: EmulatorProcess, state_dir: Path, program: Callable[[dict[str, Any]], None],
              job_ids: list[str]) -> EngineStack:
    stack = make_stack(state_dir, program, emulator_config(emulator), env=stack_env())
    stack.program_args["batches"] = {"batch": {"job_ids": job_ids}}
    return stack


# --- section 1 through the engine ------------------------------------------------------------------


def engine_calls(emulator: EmulatorProcess, state_dir: Path, n: int) -> tuple[EngineStack, list[CallRow]]:
    """`pulumi up` of a new batch of `n` jobs, one refresh, one no-change preview; the stack for later."""
    admin = emulator.admin
    admin.settings(transition_seconds=COUNT_TRANSITION_SECONDS, latency_ms=0)
    stack = new_stack(emulator, state_dir, batch_program, new_job_ids(admin, n))
    up, up_calls = measured(admin, stack.up)
    _expect(up.summary.resource_changes, {"create": 2}, "up")
    _, refresh_calls = measured(admin, stack.refresh)
    preview, preview_calls = measured(admin, stack.preview)
    _expect(preview.change_summary, {"same": 2}, "preview")
    return stack, [CallRow(n, OURS_ENGINE, "up (check+create)", up_calls),
                   CallRow(n, OURS_ENGINE, "refresh", refresh_calls),
                   CallRow(n, OURS_ENGINE, "preview, no change", preview_calls)]


def _expect(actual: object, wanted: dict[str, int], what: str) -> None:
    if actual != wanted:
        raise RuntimeError(f"engine {what}: expected {wanted}, got {actual}")


# --- section 3: engine overhead ------------------------------------------------------------------


BATCH, NOOP, IMPORTING = "batch", "no-op", "no-op + pulumi_drs imports"
NATIVE, NATIVE_NOOP = "native batch", "native no-op"
NOOP_PROVIDERS: dict[str, Callable[[], ResourceProvider]] = {NOOP: NoopProvider, IMPORTING: ImportingNoopProvider}
FLOORS = {BATCH: NOOP, NATIVE: NATIVE_NOOP}
"""Each front door's batch, and the no-op resource served the same way it is measured against."""
OPERATIONS = ("up", "preview")


@dataclass(frozen=True)
class Overhead:
    jobs: int
    rounds: int
    seconds: dict[str, dict[str, list[float]]]
    """Per operation, per stack, one wall time per round."""

    def ratio(self, operation: str, stack: str = BATCH, floor: str = NOOP) -> float:
        """The median over rounds of `stack`'s time over `floor`'s."""
        times = self.seconds[operation]
        return statistics.median(a / b for a, b in zip(times[stack], times[floor], strict=True))

    def as_dict(self) -> dict[str, Any]:
        ratios = {op: {"batch/no-op": round(self.ratio(op), 3),
                       "imports/no-op": round(self.ratio(op, IMPORTING), 3),
                       "batch/imports": round(self.ratio(op, BATCH, IMPORTING), 3),
                       "native/native no-op": round(self.ratio(op, NATIVE, NATIVE_NOOP), 3)} for op in OPERATIONS}
        seconds = {op: {stack: [round(t, 3) for t in times] for stack, times in by_stack.items()}
                   for op, by_stack in self.seconds.items()}
        return {"jobs": self.jobs, "rounds": self.rounds, "up_median_ratio": ratios["up"]["batch/no-op"],
                "preview_median_ratio": ratios["preview"]["batch/no-op"],
                "native_up_median_ratio": ratios["up"]["native/native no-op"],
                "native_preview_median_ratio": ratios["preview"]["native/native no-op"], "median_ratios": ratios,
                "seconds": seconds}


def noop_stack(emulator: EmulatorProcess, state_dir: Path, job_ids: list[str], kind: str) -> EngineStack:
    """A stack holding one NoopBatch of `job_ids` with the `kind` provider, created."""
    stack = new_stack(emulator, state_dir, noop_program(NOOP_PROVIDERS[kind]), job_ids)
    _expect(stack.up().summary.resource_changes, {"create": 2}, f"{kind} up")
    return stack


def native_stacks(emulator: EmulatorProcess, state_dir: Path, job_ids: list[str]) -> dict[str, EngineStack]:
    """Two stacks through native plugins, served alike: a StartedJobBatch (pulumi_drs_native, the plugin
    pulumi-resource-drs) and a NoopBatch (pulumi-resource-drsnoop), each over `job_ids`, created."""
    import pulumi_drs_native

    from bench.native_noop import NoopBatch as NativeNoop
    from bench.native_noop import plugin_dir

    def batch(args: dict[str, Any]) -> None:
        made = pulumi_drs_native.StartedJobBatch("batch", job_ids=args["job_ids"])
        pulumi.export("batch_count", made.count)

    def noop(args: dict[str, Any]) -> None:
        made = NativeNoop("batch", args["job_ids"])
        pulumi.export("batch_count", made.count)

    env = stack_env()
    env["PATH"] = f"{plugin_dir(state_dir / 'plugins')}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}" + \
        os.environ.get("PATH", "")
    stacks = {}
    for name, program in ((NATIVE, batch), (NATIVE_NOOP, noop)):
        stack = make_stack(state_dir / name.replace(" ", "-"), program, emulator_config(emulator), env=env)
        stack.program_args["job_ids"] = job_ids
        _expect(stack.up().summary.resource_changes, {"create": 2}, f"{name} up")
        stacks[name] = stack
    return stacks


def overhead(stacks: dict[str, EngineStack], jobs: int, rounds: int) -> Overhead:
    """No-change `up` and `preview` of each stack in turn, the order rotating every round."""
    seconds: dict[str, dict[str, list[float]]] = {op: {name: [] for name in stacks} for op in OPERATIONS}
    names = list(stacks)
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            for operation in OPERATIONS:
                seconds[operation][name].append(_timed(stacks[name], operation))
    return Overhead(jobs=jobs, rounds=rounds, seconds=seconds)


def _timed(stack: EngineStack, operation: str) -> float:
    """Wall time of one no-change `up` or `preview`, as the Automation API call returns."""
    started = time.perf_counter()
    summary = stack.up().summary.resource_changes if operation == "up" else stack.preview().change_summary
    seconds = time.perf_counter() - started
    _expect(summary, {"same": 2}, operation)
    return seconds


# --- section 4: footprint ------------------------------------------------------------------------


def footprint(stack: EngineStack, n: int) -> dict[str, Any]:
    """Sizes in `pulumi stack export` of a stack holding one batch of `n` jobs."""
    state = stack.export()
    resources = json.loads(state)["deployment"]["resources"]
    batch = next(r for r in resources if "__provider" in (r.get("inputs") or {}))
    provider = batch["inputs"]["__provider"]
    entry_bytes = len(json.dumps(batch, separators=(",", ":")))
    return {"jobs": n, "provider_pickle_bytes": len(provider), "provider_pickle_decoded_bytes":
            len(base64.b64decode(provider)), "provider_copies_in_state": state.count(provider),
            "resource_state_bytes": entry_bytes, "state_bytes_per_job": round(entry_bytes / n, 1),
            "stack_export_bytes": len(state)}


def import_times(runs: int) -> dict[str, Any]:
    """Fresh interpreters: `import pulumi`, then what a program imports on top of it; medians in ms.

    `import pulumi_drs` alone is lazy and costs nothing: `from pulumi_drs import StartedJobBatch` loads
    the resource, the provider, the client and their dependencies (requests, pydantic), as the engine's
    provider process does when it unpickles the provider.
    """
    samples = [json.loads(subprocess.run([sys.executable, "-c", IMPORT_PROBE], capture_output=True, text=True,
                                         check=True, env={**os.environ, "PYTHONPATH": str(REPO)}).stdout)
               for _ in range(runs)]
    return {"runs": runs, "import_pulumi_ms": round(statistics.median(s[0] for s in samples) * 1000, 1),
            "import_ms": round(statistics.median(s[1] for s in samples) * 1000, 1)}

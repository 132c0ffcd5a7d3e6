"""`python bench/run.py [--quick]`: every section, in one run, on one emulator.

Prints one table per section, then the JSON summary as the last line, and writes the whole record to
`bench/results/latest.json`. Sections run one after another, never two heavy ones at once: only the
baseline's full-cadence runs, asleep but for a few requests, go on in a thread beside sections 1 and
2. Progress goes to stderr, so stdout holds only the report.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import calls, converge, engine_bench, report, scale, versions
from bench.calls import BASELINE, OURS_ENGINE, OURS_INPROCESS, CallRow
from bench.converge import Converge
from bench.engine_bench import Overhead
from bench.harness import POLL_CAP_SECONDS, emulator, keepalive_probe, pages, scrub_environment
from drs_testing.engine import EngineStack
from pulumi_drs.emulator import EmulatorProcess

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
OVERHEAD_GOAL = 1.3
STALL_MS = 20.0
CONVERGE_GOAL_SLACK = 1.0


@dataclass(frozen=True)
class Plan:
    mode: str
    sizes: tuple[int, ...]
    engine_sizes: tuple[int, ...]
    converge_jobs: int
    ours_transitions: tuple[float, ...]
    baseline_transitions: tuple[float, ...]
    overhead_rounds: int
    scale_sizes: tuple[int, ...]
    import_runs: int
    version_jobs: int


VERSION_STEP_SECONDS = 2.0
"""The emulator's step time for section 6 (v3 against v5)."""
QUICK = Plan("quick", (1, 10, 100), (100,), 10, (2.0,), (2.0,), 3, (1000, 3000), 5, 100)
FULL = Plan("full", (1, 10, 100, 1000), (100, 1000), 10, (2.0, 10.0, 25.0), (2.0, 25.0), 7, (1000, 3000, 10000), 10,
            1000)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/run.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="N up to 100, 3 overhead rounds, scale to 3,000 jobs (under 2 minutes)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"default: {RESULTS}")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    scrub_environment()
    started = time.perf_counter()
    record: dict[str, Any] = {"date": report.now(), "mode": plan.mode, "machine": report.machine(),
                              "plan": asdict(plan)}
    with emulator() as emu, tempfile.TemporaryDirectory(prefix="drs-bench-") as tmp:
        record["emulator_round_trip"] = keepalive_probe(emu.url)
        record["sections"] = run_sections(emu, Path(tmp), plan)
    record["seconds"] = round(time.perf_counter() - started, 1)
    record["machine"]["load_average_at_end"] = report.load_average()
    record["summary"] = summarize(record)
    record["notes"] = NOTES
    print(render(record))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record["summary"], separators=(",", ":")))
    return 0


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- running ------------------------------------------------------------------------------------


def run_sections(emu: EmulatorProcess, tmp: Path, plan: Plan) -> dict[str, Any]:
    say(f"2/6 converge: per-job baseline at full cadence in the background ({plan.converge_jobs} jobs, "
        f"steps of {', '.join(f'{t:g}' for t in plan.baseline_transitions)} s)")
    with converge.BaselineInBackground(plan.converge_jobs, plan.baseline_transitions) as background:
        rows = call_rows(emu, plan)
        convergence = converge_runs(emu, plan)
        batches = {n: engine_batch(emu, tmp, n, rows) for n in plan.engine_sizes}
    convergence += background.results()
    overhead, footprint = engine_runs(emu, tmp, plan, batches)
    say(f"5/6 scale: {', '.join(map(str, plan.scale_sizes))} jobs, {scale.LATENCY_MS:g} ms per request")
    costs = scale.run(emu, list(plan.scale_sizes))
    say(f"6/6 DRS API v3 against v5: {plan.version_jobs} jobs, steps of {VERSION_STEP_SECONDS:g} s")
    version_runs = versions.run(emu, plan.version_jobs, VERSION_STEP_SECONDS)
    emu.admin.reset()
    return {"calls": [r.as_dict() for r in rows], "converge": [c.as_dict() for c in convergence],
            "overhead": overhead.as_dict(), "footprint": footprint,
            "scale": {"latency_ms": scale.LATENCY_MS, "phases": [c.as_dict() for c in costs],
                      "growth": scale.growth(costs)},
            "versions": [v.as_dict() for v in version_runs]}


def call_rows(emu: EmulatorProcess, plan: Plan) -> list[CallRow]:
    rows: list[CallRow] = []
    for n in plan.sizes:
        say(f"1/6 API calls: {n} job(s), pulumi-drs in process, then the per-job baseline")
        rows += calls.ours_in_process(emu, n)
        rows.append(calls.baseline(emu, n))
    emu.admin.reset()
    return rows


def converge_runs(emu: EmulatorProcess, plan: Plan) -> list[Converge]:
    runs: list[Converge] = []
    for step in plan.ours_transitions:
        say(f"2/6 converge: pulumi-drs, {plan.converge_jobs} jobs, steps of {step:g} s")
        runs.append(converge.ours(emu, plan.converge_jobs, step))
    emu.admin.reset()
    return runs


def engine_batch(emu: EmulatorProcess, tmp: Path, n: int, rows: list[CallRow]) -> EngineStack:
    """A new stack's up, refresh and no-change preview of `n` jobs, counted into `rows`; the stack."""
    say(f"1/6 API calls through the pulumi engine: {n} jobs (up, refresh, preview)")
    stack, found = engine_bench.engine_calls(emu, tmp / f"batch-{n}", n)
    rows += found
    return stack


def engine_runs(emu: EmulatorProcess, tmp: Path, plan: Plan,
                batches: dict[int, EngineStack]) -> tuple[Overhead, dict[str, Any]]:
    jobs = min(batches)
    job_ids = batches[jobs].program_args["batches"]["batch"]["job_ids"]
    stacks = {engine_bench.BATCH: batches[jobs]}
    for kind in engine_bench.NOOP_PROVIDERS:
        stacks[kind] = engine_bench.noop_stack(emu, tmp / f"noop-{len(stacks)}", job_ids, kind)
    stacks.update(engine_bench.native_stacks(emu, tmp / "native", job_ids))
    say(f"3/6 engine overhead: {plan.overhead_rounds} rounds of up and preview over {', '.join(stacks)}")
    overhead = engine_bench.overhead(stacks, jobs, plan.overhead_rounds)
    say("4/6 footprint: state sizes and import time")
    footprint = {"batch": [engine_bench.footprint(stack, n) for n, stack in sorted(batches.items())],
                 "noop": engine_bench.footprint(stacks[engine_bench.NOOP], jobs),
                 "imports": engine_bench.import_times(plan.import_runs)}
    emu.admin.reset()
    return overhead, footprint


# --- verdicts and summary ---------------------------------------------------------------------------


def call_goal(row: dict[str, Any]) -> bool | None:
    """ceil(N/100) start calls, and at most ceil(N/100) status calls per poll round."""
    if row["path"] == BASELINE:
        return None
    k = pages(row["jobs"])
    starts, statuses, rounds = int(row["start_calls"]), int(row["status_calls"]), int(row["status_rounds"])
    if str(row["operation"]).startswith(("create", "up")):
        return starts == k and statuses <= k * max(1, rounds)
    return starts == 0 and statuses <= k


def converge_goal(run: dict[str, Any]) -> bool | None:
    if run["who"] != "pulumi-drs":
        return None
    return bool(run["converge_seconds"] < CONVERGE_GOAL_SLACK + POLL_CAP_SECONDS)


def summarize(record: dict[str, Any]) -> dict[str, Any]:
    sections = record["sections"]
    n = max(r["jobs"] for r in sections["calls"] if r["path"] == OURS_INPROCESS)
    mine = _row(sections["calls"], n, OURS_INPROCESS, "create")
    base = _row(sections["calls"], n, BASELINE, "create")
    ours_runs = [c for c in sections["converge"] if c["who"] == "pulumi-drs"]
    base_runs = [c for c in sections["converge"] if c["who"] != "pulumi-drs"]
    overhead, footprint = sections["overhead"], sections["footprint"]
    growth = sections["scale"]["growth"]
    return {
        "mode": record["mode"], "jobs": n,
        "start_calls": mine["start_calls"], "status_calls": mine["status_calls"],
        "status_rounds": mine["status_rounds"], "status_calls_per_round": mine["status_calls_per_round"],
        "refresh_status_calls": _row(sections["calls"], n, OURS_INPROCESS, "refresh")["status_calls"],
        "preview_status_calls": _row(sections["calls"], n, OURS_INPROCESS, "preview")["status_calls"],
        "baseline_start_calls": base["start_calls"], "baseline_status_calls": base["status_calls"],
        "baseline_status_rounds": base["status_rounds"],
        "converge_transition_seconds": ours_runs[0]["transition_seconds"],
        "converge_seconds": ours_runs[0]["converge_seconds"],
        "baseline_converge_seconds": base_runs[0]["converge_seconds"],
        "converge_seconds_by_step": {str(c["transition_seconds"]): c["converge_seconds"] for c in ours_runs},
        "baseline_converge_seconds_by_step": {str(c["transition_seconds"]): c["converge_seconds"] for c in base_runs},
        "poll_cap_seconds": POLL_CAP_SECONDS,
        "up_overhead_ratio": overhead["up_median_ratio"], "preview_overhead_ratio": overhead["preview_median_ratio"],
        "native_up_overhead_ratio": overhead["native_up_median_ratio"],
        "native_preview_overhead_ratio": overhead["native_preview_median_ratio"],
        "provider_pickle_bytes": footprint["batch"][0]["provider_pickle_bytes"],
        "state_bytes_per_job": footprint["batch"][-1]["state_bytes_per_job"],
        "import_ms": footprint["imports"]["import_ms"], "import_pulumi_ms": footprint["imports"]["import_pulumi_ms"],
        "emulator_reused_connection_ms": record["emulator_round_trip"]["reused_connection_ms"],
        "scale_wall_growth_per_job": {phase: g["wall_seconds"]["growth"] for phase, g in growth.items()},
        "scale_peak_growth_per_job": {phase: g["peak_bytes"]["growth"] for phase, g in growth.items()},
        "goals": {
            "calls": all(call_goal(r) is not False for r in sections["calls"]),
            "converge": all(converge_goal(c) is not False for c in sections["converge"]),
            "overhead": max(overhead["up_median_ratio"], overhead["preview_median_ratio"]) <= OVERHEAD_GOAL,
            "native_overhead": max(overhead["native_up_median_ratio"],
                                   overhead["native_preview_median_ratio"]) <= OVERHEAD_GOAL,
            "scale_linear": all(g["linear"] for g in growth.values()),
        },
        "seconds": record["seconds"],
    }


def _row(rows: list[dict[str, Any]], n: int, path: str, operation: str) -> dict[str, Any]:
    return next(r for r in rows if r["jobs"] == n and r["path"] == path and r["operation"].startswith(operation))


# --- rendering ------------------------------------------------------------------------------------


def render(record: dict[str, Any]) -> str:
    sections = record["sections"]
    machine = record["machine"]
    head = (f"pulumi-drs benchmark ({record['mode']}), {record['date']}: {machine['nproc']} cores, "
            f"{machine['memory_mib']} MiB, Python {machine['python']}, {machine['pulumi_cli']} "
            f"(SDK {machine['pulumi_sdk']}), load {machine['load_average_at_start'][0]:g} -> "
            f"{machine['load_average_at_end'][0]:g}, {record['seconds']:.0f} s")
    if machine["uncommitted"]:
        head += f"\nmeasured with uncommitted changes to: {', '.join(machine['uncommitted'])}"
    trip = record["emulator_round_trip"]
    head += (f"\nemulator round trip (admin GET): {trip['new_connection_ms']:g} ms on a new connection, "
             f"{trip['reused_connection_ms']:g} ms on a kept-alive one")
    if trip["reused_connection_ms"] > STALL_MS:
        head += (" -- every request after a connection's first waits ~40 ms for a delayed ACK (the emulator's "
                 "socket lacks TCP_NODELAY); wall times below include it, call counts do not depend on it")
    parts = [head, _calls_table(sections["calls"]), _converge_table(sections["converge"]),
             _overhead_table(sections["overhead"]), _footprint_table(sections["footprint"]),
             _scale_table(sections["scale"]), _versions_table(sections["versions"])]
    return "\n\n".join(parts)


def _versions_table(runs: list[dict[str, Any]]) -> str:
    body = []
    for run in runs:
        for step, ops in run["requests"].items():
            detail = ", ".join(f"{n} {op}" for op, n in sorted(ops.items()))
            seconds = [run["create_seconds"], run["converge_seconds"]] if step == "create" else ["", ""]
            body.append([run["version"], run["jobs"], step, sum(ops.values()), detail, *seconds])
    step = runs[0]["transition_seconds"] if runs else VERSION_STEP_SECONDS
    return report.table(
        f"6. DRS API v3 against v5, in process, emulator steps {step:g} s (requests by operation, from the request "
        "log; converge s: last job running -> create returns)",
        ["API", "N", "step", "requests", "by operation", "create s", "converge s"], body)


def _calls_table(rows: list[dict[str, Any]]) -> str:
    body = [[r["jobs"], r["path"], r["operation"], r["start_calls"], r["status_calls"], r["detail_calls"],
             r["status_rounds"], r["status_calls_per_round"], pages(r["jobs"]), call_goal(r), r["seconds"]]
            for r in rows]
    return report.table(
        f"1. DRS API calls, from the emulator's request log (emulator steps {calls.COUNT_TRANSITION_SECONDS:g} s; "
        f"baseline cadence and steps x{calls.BASELINE_SCALE:g}; {OURS_ENGINE}: Automation API)",
        ["N", "path", "operation", "start", "status", "detail", "rounds", "status/round", "ceil(N/100)", "goal",
         "seconds"], body)


def _converge_table(runs: list[dict[str, Any]]) -> str:
    body = [[c["who"], c["n"], c["transition_seconds"], c["poll"], c["create_seconds"], c["converge_seconds"],
             c["start_calls"], c["status_calls"], c["status_rounds"], converge_goal(c)] for c in runs]
    return report.table(
        f"2. Time to converge: last job running -> create returns (goal < {CONVERGE_GOAL_SLACK:g} s + poll cap "
        f"{POLL_CAP_SECONDS:g} s; 'running' from {converge.TIMELINE_SOURCE})",
        ["who", "N", "step s", "poll schedule", "create s", "converge s", "start", "status", "rounds", "goal"], body)


def _overhead_table(overhead: dict[str, Any]) -> str:
    seconds, ratios = overhead["seconds"], overhead["median_ratios"]
    body = [[op, _median(seconds[op][engine_bench.BATCH]), _median(seconds[op][engine_bench.NOOP]),
             _median(seconds[op][engine_bench.IMPORTING]), ratios[op]["batch/no-op"], ratios[op]["imports/no-op"],
             ratios[op]["batch/imports"], ratios[op]["batch/no-op"] <= OVERHEAD_GOAL] for op in engine_bench.OPERATIONS]
    dynamic = report.table(
        f"3. Engine overhead: no-change pulumi up/preview of one batch of {overhead['jobs']} jobs against one no-op "
        f"dynamic resource with the same job_ids; {overhead['rounds']} rounds, order rotating; medians "
        f"(goal: batch/no-op <= {OVERHEAD_GOAL})",
        ["operation", "batch s", "no-op s", "no-op+imports s", "batch/no-op", "imports/no-op", "batch/imports",
         "goal"], body)
    native = [[op, _median(seconds[op][engine_bench.NATIVE]), _median(seconds[op][engine_bench.NATIVE_NOOP]),
               ratios[op]["native/native no-op"], ratios[op]["native/native no-op"] <= OVERHEAD_GOAL]
              for op in engine_bench.OPERATIONS]
    return dynamic + "\n\n" + report.table(
        "3b. The native front door, in the same rounds: pulumi_drs_native.StartedJobBatch (plugin "
        "pulumi-resource-drs) against a no-op native resource served by the same plugin server "
        f"(pulumi-resource-drsnoop); medians (goal: native/no-op <= {OVERHEAD_GOAL})",
        ["operation", "native batch s", "native no-op s", "native/no-op", "goal"], native)


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _footprint_table(footprint: dict[str, Any]) -> str:
    body: list[list[object]] = []
    for entry in footprint["batch"]:
        n = entry["jobs"]
        body += [[f"StartedJobBatch, {n} jobs", "serialized provider (__provider, base64)",
                  entry["provider_pickle_bytes"], f"{entry['provider_copies_in_state']} copies in the state"],
                 [f"StartedJobBatch, {n} jobs", "resource state bytes", entry["resource_state_bytes"],
                  f"{entry['state_bytes_per_job']} bytes per job"]]
    noop = footprint["noop"]
    body.append([f"NoopBatch, {noop['jobs']} jobs", "resource state bytes", noop["resource_state_bytes"],
                 f"{noop['state_bytes_per_job']} bytes per job"])
    imports = footprint["imports"]
    body.append(["import", "import pulumi_drs after import pulumi (ms)", imports["import_ms"],
                 f"import pulumi alone: {imports['import_pulumi_ms']} ms; median of {imports['runs']} fresh runs"])
    return report.table("4. Footprint (pulumi stack export; fresh interpreters for imports)",
                        ["subject", "measure", "value", "note"], body)


def _scale_table(section: dict[str, Any]) -> str:
    body = [[p["jobs"], p["phase"], p["requests"], p["wall_seconds"], p["server_seconds"], p["cpu_seconds"],
             round(p["peak_bytes"] / 2**20, 2), round(p["wall_seconds"] / p["jobs"] * 1e6, 1),
             round(p["cpu_seconds"] / p["jobs"] * 1e6, 1)] for p in section["phases"]]
    rows = report.table(
        f"5. Scale, in process, emulator latency {section['latency_ms']:g} ms per request (server s: the emulator's "
        "own time, latency included; cpu s: this process; peak: tracemalloc)",
        ["N", "phase", "requests", "wall s", "server s", "cpu s", "peak MiB", "wall us/job", "cpu us/job"], body)
    growth = [[phase, g["wall_seconds"]["growth"], g["cpu_seconds"]["growth"], g["peak_bytes"]["growth"],
               g["wall_seconds"]["exponent"], g["cpu_seconds"]["exponent"], g["peak_bytes"]["exponent"], g["linear"]]
              for phase, g in section["growth"].items()]
    return rows + "\n\n" + report.table(
        f"   smallest -> largest N: per-job growth (1 = linear; goal: wall <= {scale.TIME_GROWTH_LIMIT}, "
        f"peak <= {scale.MEMORY_GROWTH_LIMIT}) and log-log exponent (1 = linear, 2 = quadratic)",
        ["phase", "wall x", "cpu x", "peak x", "wall exp", "cpu exp", "peak exp", "goal"], growth)


NOTES = [
    "Counts are DRS requests in the emulator's request log; admin calls are not logged.",
    "rounds = the most batch-status requests that named any one job; status/round = status / rounds.",
    f"The per-job baseline in section 1 runs with its 20 s/10 s cadence and the emulator's steps both x"
    f"{calls.BASELINE_SCALE:g}: the same calls in less time. Section 2 runs it at full cadence.",
    "Baseline parallelism is Terraform's default of 10 resources at a time.",
    "Section 2 reads 'running' from the emulator: actual_start_time in GET /_emulator/jobs, stamped with the "
    "scheduled step time; no side-thread polling is needed.",
    "Section 2's baseline runs (full cadence, mostly asleep) use an emulator of their own in a background thread "
    "while section 1 and pulumi-drs's converge runs go on; it is joined before the engine overhead is timed.",
    "Section 3's third stack is the no-op provider importing pulumi_drs.provider: imports/no-op is the cost of "
    "importing pulumi-drs in the engine's provider process, batch/imports the cost of its work.",
    "Section 5 sets the emulator's steps to 0 (one per status read), so create never sleeps in its poll loop.",
]

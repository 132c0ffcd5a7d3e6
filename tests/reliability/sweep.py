"""The crash-point sweep: an operation killed at every one of its DRS requests, then recovered as the
README says, and the promises checked after each.

For an operation (a create, an update that repairs drift, a destroy with stop_on_delete) through a
front door (dynamic or native), a first run counts the operation's DRS requests, N. Then, for every
k in 1..N and both kinds of point, a fresh stack is set up the same way and the operation started in
a child process group, and the CLI's whole process group is SIGKILLed:

- `held`: while the k-th request is held in the emulator (a 2 s delay before the work, so the work lands
  after the kill);
- `after`: as soon as the k-th request has been answered (the provider between requests, or waiting
  between polls).

Recovery is the README's: `pulumi cancel --yes`, `pulumi refresh --clear-pending-creates --yes`, then
the operation again. The promises: every job started exactly once (terminated exactly once for the
destroy), each repair sent once, the recorded statuses equal DRS's, a no-change preview, and no process
of the killed run left (the provider exits when its engine dies).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from drs_testing.e2e import batch_program, emulator_config
from drs_testing.engine import EngineStack, engine_bin, make_stack
from drs_testing.programs import Batch, Program, project_stack, write
from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess
from reliability.support import FAST_ENV, kill_session, providers_of, start_child, wait_until

RUNNING = "INCRE_TRANSFER_STARTED"
HELD_SECONDS = 2.0
DRS_PATH = "/jobs"
"""Every DRS job request, v3 and v5 (the fault rule's path and the request log's filter)."""
ENV = {**FAST_ENV, "PULUMI_DRS_READ_TIMEOUT": "30"}
"""A held request is waited on (not timed out and re-sent) until the kill."""
KINDS = ("held", "after")


def drs_requests(admin: EmulatorAdmin) -> list[dict[str, Any]]:
    return [r for r in admin.requests_log() if DRS_PATH in r["path"]]


# --- the two front doors --------------------------------------------------------------------------


class Door(Protocol):
    name: str

    def run(self, action: str, batch: dict[str, Any]) -> None: ...

    def start(self, action: str, batch: dict[str, Any]) -> subprocess.Popen[Any]:
        """The operation in a new process session (its pid is the session and process group ID)."""
        ...

    def recover(self, action: str, batch: dict[str, Any]) -> None: ...

    def statuses(self) -> dict[str, str] | None:
        """The batch's recorded job statuses (None: no batch in the stack)."""
        ...

    def no_change(self, batch: dict[str, Any]) -> dict[str, int]: ...


class _Stacked:
    """What both doors do the same way on their stack: recover, read the recorded statuses, preview."""

    statuses_output: str
    _stack: EngineStack | None

    def stack(self, batch: dict[str, Any]) -> EngineStack:
        raise NotImplementedError

    def recover(self, action: str, batch: dict[str, Any]) -> None:
        es = self.stack(batch)
        es.cli("cancel", "--yes", "--stack", "dev")
        es.cli("refresh", "--clear-pending-creates", "--yes", "--stack", "dev")
        getattr(es, action)()

    def statuses(self) -> dict[str, str] | None:
        assert self._stack is not None
        outputs = self._stack.stack.outputs()
        return outputs[self.statuses_output].value if self.statuses_output in outputs else None

    def no_change(self, batch: dict[str, Any]) -> dict[str, int]:
        return dict(self.stack(batch).preview().change_summary)

    def run(self, action: str, batch: dict[str, Any]) -> None:
        getattr(self.stack(batch), action)()


@dataclass
class Dynamic(_Stacked):
    """pulumi_drs.StartedJobBatch through the Automation API (the killable run in deploy_child.py)."""

    state_dir: Path
    emulator: EmulatorProcess
    name: str = "dynamic"
    statuses_output: str = "orders_statuses"
    _stack: EngineStack | None = None

    def _batches(self, batch: dict[str, Any]) -> dict[str, Any]:
        return {"orders": {"job_ids": batch["job_ids"], "wait": "incremental", "stop_on_delete": True}}

    def stack(self, batch: dict[str, Any]) -> EngineStack:
        if self._stack is None:
            self._stack = make_stack(self.state_dir, batch_program, emulator_config(self.emulator), env=ENV)
        self._stack.program_args["batches"] = self._batches(batch)
        return self._stack

    def start(self, action: str, batch: dict[str, Any]) -> subprocess.Popen[Any]:
        self.stack(batch)
        child = start_child(self.state_dir, action, emulator_config(self.emulator), self._batches(batch), ENV)
        return child.process


@dataclass
class Native(_Stacked):
    """drs:index:StartedJobBatch from a YAML project, through the CLI (the killable run a subprocess)."""

    state_dir: Path
    emulator: EmulatorProcess
    name: str = "native"
    statuses_output: str = "statuses"
    _stack: EngineStack | None = None
    project: Path = field(init=False)

    def __post_init__(self) -> None:
        self.project = self.state_dir / "project"

    def stack(self, batch: dict[str, Any]) -> EngineStack:
        program = Program([Batch("orders", {"jobIds": batch["job_ids"], "wait": "incremental",
                                            "stopOnDelete": True})], outputs={"statuses": "orders.jobStatuses"})
        if batch.get("empty"):
            program = Program([])
        write("yaml", program, self.project)
        if self._stack is None:
            self._stack = project_stack(self.project, self.state_dir / "state", emulator_config(self.emulator), env=ENV)
        return self._stack

    def start(self, action: str, batch: dict[str, Any]) -> subprocess.Popen[Any]:
        es = self.stack(batch)
        args = ["up", "--yes", "--skip-preview"] if action == "up" else ["destroy", "--yes", "--skip-preview"]
        cli = subprocess.Popen([str(engine_bin() / "pulumi"), *args, "--stack", "dev", "--non-interactive"],
                               cwd=self.project, env=es.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
        return cli


DOORS: dict[str, Callable[[Path, EmulatorProcess], Door]] = {"dynamic": Dynamic, "native": Native}


# --- the operations ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    name: str
    action: str
    prepare: Callable[[Door, EmulatorAdmin], dict[str, Any]]
    """Sets the stack and DRS up for the operation; returns the batch the operation runs with."""
    check: Callable[[Door, EmulatorAdmin, dict[str, Any]], None]


def _create_prepare(door: Door, admin: EmulatorAdmin) -> dict[str, Any]:
    return {"job_ids": [j["id"] for j in admin.create_jobs(3)]}


def _repair_prepare(door: Door, admin: EmulatorAdmin) -> dict[str, Any]:
    job_ids = [j["id"] for j in admin.create_jobs(3)]
    door.run("up", {"job_ids": job_ids})
    admin.set_status(job_ids[0], "PAUSING")  # resume
    admin.set_status(job_ids[1], "INCRE_TRANSFER_FAILED")  # retry
    added = admin.create_jobs(1)[0]["id"]  # start
    return {"job_ids": [*job_ids, added], "repaired": job_ids[:2]}


def _destroy_prepare(door: Door, admin: EmulatorAdmin) -> dict[str, Any]:
    job_ids = [j["id"] for j in admin.create_jobs(2)]
    door.run("up", {"job_ids": job_ids})
    return {"job_ids": job_ids, "empty": True}


def _converged(door: Door, admin: EmulatorAdmin, batch: dict[str, Any]) -> None:
    job_ids = batch["job_ids"]
    started = {j: admin.get_job(j)["start_count"] for j in job_ids}
    assert started == dict.fromkeys(job_ids, 1), f"start counts {started}"
    repairs = {j: admin.get_job(j)["retry_count"] for j in batch.get("repaired", [])}
    assert repairs == dict.fromkeys(batch.get("repaired", []), 1), f"resumes/retries {repairs}"
    live = {j: admin.get_job(j)["status"] for j in job_ids}
    assert door.statuses() == live == dict.fromkeys(job_ids, RUNNING), f"recorded {door.statuses()}, DRS {live}"
    assert door.no_change(batch) == {"same": 2}


def _released(door: Door, admin: EmulatorAdmin, batch: dict[str, Any]) -> None:
    job_ids = batch["job_ids"]
    terminated = {j: admin.get_job(j)["terminate_count"] for j in job_ids}
    assert terminated == dict.fromkeys(job_ids, 1), f"terminate counts {terminated}"
    assert door.statuses() is None


OPERATIONS = {
    "create": Operation("create", "up", _create_prepare, _converged),
    "repair": Operation("repair", "up", _repair_prepare, _converged),
    "destroy": Operation("destroy", "destroy", _destroy_prepare, _released),
}


# --- the sweep --------------------------------------------------------------------------------------


@dataclass
class Point:
    door: str
    operation: str
    k: int
    kind: str
    seconds: float = 0.0
    killed: bool = True
    """False: that run ended on its own (before its k-th request, its poll count differed, or just after it),
    so nothing was killed."""


WRITES = ("batch-starting", "batch-retry-task", "batch-jobs", "jobs/action", "jobs/batch-stop")


def count_requests(door: Door, admin: EmulatorAdmin, operation: Operation) -> list[str]:
    """The paths of the DRS requests of one uninterrupted run of the operation, in order (N of them)."""
    batch = operation.prepare(door, admin)
    admin.clear_requests()
    door.run(operation.action, batch)
    operation.check(door, admin, batch)
    return [r["path"] for r in drs_requests(admin)]


def first_write(paths: list[str]) -> int:
    """k of the operation's first request that changes jobs."""
    return next(index for index, path in enumerate(paths, 1) if path.endswith(WRITES))


def crash_at(door: Door, admin: EmulatorAdmin, operation: Operation, k: int, kind: str) -> bool:
    """Kill the operation at its k-th DRS request, recover, and check every promise. False when this run
    ended before its k-th request (how many status polls a run makes depends on timing) or on its own just
    after it: nothing killed, the promises checked all the same."""
    batch = operation.prepare(door, admin)
    admin.clear_requests()
    if kind == "held":
        admin.add_fault(DRS_PATH, "delay", delay_seconds=HELD_SECONDS, skip=k - 1)
    run = door.start(operation.action, batch)
    session = run.pid

    def reached() -> bool:
        if kind == "held":
            return not admin.session.get(f"{admin.url}/faults", timeout=5).json()["faults"]
        return len(drs_requests(admin)) >= k

    try:
        wait_until(lambda: reached() or run.poll() is not None, 120, f"request {k} to be {kind}")
        if not reached():
            admin.clear_faults()
            door.recover(operation.action, batch)
            operation.check(door, admin, batch)
            return False
        with contextlib.suppress(ProcessLookupError):  # a run may end on its own just after its k-th request
            os.killpg(session, signal.SIGKILL)
        killed = run.wait(10) == -signal.SIGKILL
        wait_until(lambda: providers_of(session) == [], 10, "the killed run's providers to exit")
    finally:
        kill_session(session)
    time.sleep(HELD_SECONDS + 0.5 if kind == "held" else 0.2)  # the held request's work lands
    admin.clear_faults()
    door.recover(operation.action, batch)
    operation.check(door, admin, batch)
    return killed


def report(points: list[Point], counts: Mapping[tuple[str, str], int], path: Path | None) -> str:
    """A one-line summary per door and operation; the JSON record written to `path`."""
    lines = []
    for (door, operation), n in sorted(counts.items()):
        tried = [p for p in points if p.door == door and p.operation == operation]
        killed = [p for p in tried if p.killed]
        seconds = sum(p.seconds for p in tried)
        lines.append(f"{door} {operation}: {n} requests, {len(tried)} points ({len(killed)} killed, "
                     f"{len(tried) - len(killed)} ended first), promises broken: 0, {seconds:.0f} s")
    if path is not None:
        path.write_text(json.dumps({"counts": {f"{d} {o}": n for (d, o), n in counts.items()},
                                    "points": [p.__dict__ for p in points]}, indent=2) + "\n")
    return "\n".join(lines)

"""Section 2: how long after DRS has the last job running does create return.

"Running" is read from the emulator, not inferred: `actual_start_time` of `GET /_emulator/jobs`, the
moment the job entered FULL_TRANSFER_STARTED. The emulator advances a job when it is observed but
stamps each step with its scheduled time (the previous step + transition_seconds), so the stamp is
when DRS made the job run, however late anyone looked. Both clocks are this machine's `time.time`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from typing import Any

from bench.baseline import TERRAFORM_PARALLELISM, Cadence, PerJobDriver
from bench.harness import (
    POLL_CAP_SECONDS,
    Calls,
    InProcessBatch,
    client_settings,
    emulator,
    new_job_ids,
    stack_config,
)
from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess

TIMELINE_SOURCE = "actual_start_time of GET /_emulator/jobs (the scheduled step time, stamped by the emulator)"


@dataclass(frozen=True)
class Converge:
    who: str
    n: int
    transition_seconds: float
    poll: str
    create_seconds: float
    """From the create call to its return."""
    converge_seconds: float
    """From the last job reaching a running status to create returning."""
    start_calls: int
    status_calls: int
    status_rounds: int

    def as_dict(self) -> dict[str, Any]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


def ours(emulator: EmulatorProcess, n: int, transition_seconds: float) -> Converge:
    admin = emulator.admin
    admin.settings(transition_seconds=transition_seconds, latency_ms=0)
    batch = InProcessBatch(stack_config(emulator))
    ids = new_job_ids(admin, n)
    inputs = batch.check(ids)
    poll = f"0.5 s x1.5, cap {POLL_CAP_SECONDS:g} s"
    return _timed(admin, ids, "pulumi-drs", transition_seconds, poll, lambda: batch.create(inputs))


def baseline(emulator: EmulatorProcess, n: int, transition_seconds: float) -> Converge:
    admin = emulator.admin
    admin.settings(transition_seconds=transition_seconds, latency_ms=0)
    ids = new_job_ids(admin, n)
    cadence = Cadence()
    driver = PerJobDriver(client_settings(emulator), cadence)
    poll = f"{cadence.initial_delay:g} s, then every {cadence.interval:g} s; parallelism {TERRAFORM_PARALLELISM}"
    return _timed(admin, ids, "per-job baseline", transition_seconds, poll, lambda: driver.create_all(ids))


def _timed(admin: EmulatorAdmin, ids: list[str], who: str, transition_seconds: float, poll: str,
           create: Callable[[], object]) -> Converge:
    admin.clear_requests()
    called = time.time()
    create()
    returned = time.time()
    calls = Calls.from_log(admin.requests_log(), returned - called)
    return Converge(who=who, n=len(ids), transition_seconds=transition_seconds, poll=poll,
                    create_seconds=returned - called, converge_seconds=returned - last_running(admin, ids),
                    start_calls=calls.start, status_calls=calls.status, status_rounds=calls.rounds)


def last_running(admin: EmulatorAdmin, ids: list[str]) -> float:
    """The epoch second at which the last of `ids` entered a running status."""
    wanted = set(ids)
    stamps = {job["id"]: job.get("actual_start_time") for job in admin.list_jobs() if job["id"] in wanted}
    missing = sorted(j for j in wanted if stamps.get(j) is None)
    if missing:
        raise RuntimeError(f"{len(missing)} job(s) never ran, e.g. {missing[0]}")
    return max(float(stamp) for stamp in stamps.values() if stamp is not None)


class BaselineInBackground:
    """The baseline's full-cadence runs on an emulator of their own, in a thread, while other work runs.

    They spend all but a few milliseconds asleep (20 s, then 10 s steps), so they cost the sections
    running beside them nothing measurable, and the quick run stays within its budget.
    """

    def __init__(self, n: int, transitions: tuple[float, ...]) -> None:
        self.n, self.transitions = n, transitions
        self._emulator = emulator()
        self._thread = threading.Thread(target=self._run, name="baseline-converge", daemon=True)
        self._runs: list[Converge] = []
        self._error: BaseException | None = None
        self._cleanup = ExitStack()

    def __enter__(self) -> BaselineInBackground:
        self._cleanup.enter_context(self._emulator)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._thread.join()
        self._cleanup.close()

    def _run(self) -> None:
        try:
            self._runs = [baseline(self._emulator, self.n, step) for step in self.transitions]
        except BaseException as error:  # handed to the main thread by results()
            self._error = error

    def results(self) -> list[Converge]:
        if self._error is not None:
            raise RuntimeError(f"the baseline's converge runs failed: {self._error}") from self._error
        return self._runs

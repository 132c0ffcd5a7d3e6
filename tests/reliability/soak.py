"""A randomized lifecycle soak of StartedJobBatch, shared by its two levels (the provider over gRPC, the real
engine): seeded steps that change the program, drift jobs in DRS, inject faults and run operations; the
promises checked after every step; and delta debugging that shortens a failing run.

A step is data (`Step`), so a run can be replayed: `Soak.run` proposes each step from a `random.Random(seed)`
and the state so far, `Soak.replay` runs a given list and skips the steps that no longer apply. DRS is
`SoakDrs`: the emulator in a thread of this process (per-item DRS.M01504 through `ThreadedEmulator.busy`) on
a SQLite file, so it can be killed and restarted with its jobs (at one address behind a `StableFront`, or at
a new one the level is pointed at). A `Level` runs
preview, up, refresh and destroy as its engine does and says what the state records. `soak` runs one seed
and, on a broken promise, raises with the seed and the shortest step list that still breaks it.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, Protocol

from drs_testing.e2e import AK, PROJECT_ID, SK
from pulumi_drs import plan
from pulumi_drs.emulator import EmulatorAdmin, EmulatorConfig
from pulumi_drs.emulator.items import DeleteItem
from pulumi_drs.inputs import Recorded
from pulumi_drs.semantics import NOT_FOUND, RELEASED, STARTED_KINDS, Kind, kind
from reliability.support import StableFront, ThreadedEmulator, wait_until

SEED_ENV, STEPS_ENV, ENGINE_STEPS_ENV = "DRS_SOAK_SEED", "DRS_SOAK_STEPS", "DRS_SOAK_ENGINE_STEPS"
SHRINK_ENV = "DRS_SOAK_SHRINK_SECONDS"
"""How long a failing run may be shortened (delta debugging replays it from a fresh DRS each try)."""
DEFAULT_SEED = 20261130
PASSWORD = "soak-pw-5c2e8a1f-never-shown"
SECRETS = (SK, PASSWORD)
ISSUED_TOKEN = re.compile(r"MII[A-Za-z0-9_\-]{20,}")
NAME = "soak"
"""The batch's resource name."""
INITIAL_JOBS = 6
"""Jobs in DRS at the start; the program lists the first three."""
LATER_MS = 24 * 3600 * 1000
PAST_MS = -LATER_MS
REQUEST_LEVEL = ("DRS answered HTTP", "DRS did not answer within", "the connection closed before",
                 "could not connect")
"""What a failure of a whole request says (it is about the request: no job to name)."""
CONFIGURATION, DELETED, RELEASE_COMPLETE = "CONFIGURATION", "DELETED", "RELEASE_RESOURCE_COMPLETE"
DRIFTS = {"PAUSING": 4, "INCRE_TRANSFER_FAILED": 2, "FULL_TRANSFER_FAILED": 1, CONFIGURATION: 4,
          RELEASE_COMPLETE: 1, DELETED: 1, "REBUILD_NODE_FAILED": 1}
"""Drift, as a job's new status in DRS (DELETED: deleted through DRS's delete path, so it vanishes)."""
FAULTS: dict[str, tuple[str, dict[str, Any]]] = {
    "HTTP 500": ("status", {"status": 500}),
    "HTTP 502": ("status", {"status": 502}),
    "HTTP 503": ("status", {"status": 503}),
    "HTTP 429 Retry-After": ("status", {"status": 429, "retry_after": 0.1}),
    "DRS.M01503": ("status", {"status": 400, "error_code": "DRS.M01503"}),
    "HTTP 500 after the work": ("status_after", {"status": 500}),
    "HTTP 503 after the work": ("status_after", {"status": 503}),
    "dropped before the work": ("drop_before", {}),
    "dropped after the work": ("drop_after", {}),
    "delay past the read timeout": ("delay", {}),
}
RETRY_TASK_FAULTS = ("HTTP 429 Retry-After", "DRS.M01503", "HTTP 500 after the work", "HTTP 503 after the work",
                     "dropped after the work", "delay past the read timeout")
"""A resume whose answer is lost before DRS did the work is never sent again (by design), and the up then
waits 30 s for the job to move: the soak injects only the faults whose request DRS processes or refuses."""
PATHS = {"batch-starting": 4, "batch-status": 4, "batch-detail": 1, "batch-retry-task": 1, "batch-jobs": 1}
WEIGHTS = {"up": 16, "preview": 7, "refresh": 7, "destroy": 3, "add": 6, "remove": 4, "wait": 3, "timeout": 2,
           "start_time": 3, "stop_on_delete": 2, "new_job": 2, "drift": 18, "fault": 16, "busy": 2, "restart": 1,
           "outage": 1}
"""How often each kind of step comes, against the others: about 40 % operations, 20 % program changes, 20 %
drift, 20 % faults and restarts."""
TIMEOUTS: dict[int | str, int] = {10: 10, "15s": 15, 20: 20, "1m": 60}
WAITS = ("accepted", "running", "incremental")
UPS = ("up", "killed_up")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def client_tuning(poll_cap: float, backoff: float, read_timeout: float, deadline: float) -> dict[str, str]:
    """The provider's settings for a soak: 4 tries `backoff` s apart and growing (to 5 times that), polls at most
    `poll_cap` s apart, a short read timeout, so a fault costs little time."""
    return {"PULUMI_DRS_POLL_INTERVAL_MAX": str(poll_cap), "PULUMI_DRS_BACKOFF_FACTOR": str(backoff),
            "PULUMI_DRS_BACKOFF_MAX": str(backoff * 5), "PULUMI_DRS_MAX_RETRIES": "3",
            "PULUMI_DRS_READ_TIMEOUT": str(read_timeout), "PULUMI_DRS_CONNECT_TIMEOUT": "0.5",
            "PULUMI_DRS_RETRY_DEADLINE_SECONDS": str(deadline)}


def job_id(slot: int) -> str:
    """The DRS ID of the soak's job number `slot`: the same in every run, so a step list replays."""
    return f"50a50000-50a5-4000-8000-{slot:07d}jb101"


def now_ms() -> int:
    return int(time.time() * 1000)


class Step(NamedTuple):
    """One step: an operation, a program change, a drift in DRS or a fault. `slot` names a job (`job_id`)."""

    kind: str
    slot: int | None = None
    arg: Any = None

    def __repr__(self) -> str:
        parts = [repr(self.kind)]
        if self.slot is not None or self.arg is not None:
            parts.append(repr(self.slot))
        if self.arg is not None:
            parts.append(repr(self.arg))
        return f"Step({', '.join(parts)})"


@dataclass
class Program:
    """The batch as the program declares it."""

    slots: list[int]
    wait: str = "running"
    timeout: int | str = 20
    start_time: int | None = None
    """Epoch milliseconds."""
    stop_on_delete: bool = False

    @property
    def job_ids(self) -> list[str]:
        return [job_id(slot) for slot in self.slots]

    def kwargs(self) -> dict[str, Any]:
        """The StartedJobBatch arguments (only what the program sets)."""
        out: dict[str, Any] = {"job_ids": self.job_ids, "wait": self.wait, "timeout": self.timeout}
        if self.start_time is not None:
            out["start_time"] = self.start_time
        if self.stop_on_delete:
            out["stop_on_delete"] = True
        return out

    def copy(self) -> Program:
        return replace(self, slots=list(self.slots))


@dataclass
class Outcome:
    """What an operation gave: success, the error (check failures as `property: reason` lines), whether the
    batch was to change (preview, up; None: not known), everything the level printed meanwhile, and for a
    failure whether `check` failed (before anything was applied); `variant` names how it ran, for the figures."""

    ok: bool
    text: str = ""
    changed: bool | None = None
    said: str = ""
    in_check: bool = False
    variant: str = ""


class Level(Protocol):
    """The provider as one engine drives it."""

    name: str

    def preview(self, program: Program) -> Outcome: ...

    def up(self, program: Program) -> Outcome: ...

    def refresh(self) -> Outcome: ...

    def destroy(self) -> Outcome: ...

    def killed_up(self, program: Program) -> Outcome: ...

    def point_at(self, url: str) -> None:
        """DRS now answers at `url` (restarted): the stack configuration's endpoint, as an operator sets it."""

    def recorded(self) -> Recorded | None:
        """The batch as the state records it (None: no batch)."""

    def state_text(self) -> str:
        """The state, as a user can read it."""

    def everything(self) -> str:
        """All the level printed and stored in the run, for the last secret scan."""

    def close(self) -> None: ...


class JobState(NamedTuple):
    status: str
    start_count: int
    retry_count: int
    terminate_count: int
    scheduled_start: float | None


Jobs = dict[str, JobState]


def status_of(jobs: Mapping[str, JobState], job: str) -> str:
    state = jobs.get(job)
    return state.status if state is not None else NOT_FOUND


def startable(status: str) -> bool:
    """`up` can bring the job where the batch wants it (start, resume, retry or wait)."""
    return plan.plan_job("", status).step is not plan.Step.FAIL


class SoakDrs:
    """The emulated DRS of a soak: steps on reads (one per read of a job), jobs kept in SQLite. With
    `stable_address`, a `StableFront` keeps one address across restarts (each relayed request costs a few
    ms more); without it a restarted DRS answers at a new address, which the level is pointed at."""

    def __init__(self, state_path: str, stable_address: bool) -> None:
        self.config = EmulatorConfig(access_key=AK, secret_key=SK, project_id=PROJECT_ID, password=PASSWORD,
                                     transition_seconds=0, reads_per_step=1, state_path=state_path)
        self.front = StableFront() if stable_address else None
        self.emulator: ThreadedEmulator | None = None
        self._url = ""

    def __enter__(self) -> SoakDrs:
        self.fresh()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        if self.front is not None:
            self.front.close()

    @property
    def url(self) -> str:
        """Where DRS answers (while it is down: where it answered, now refused)."""
        return self.front.url if self.front is not None else self._url

    def fresh(self) -> None:
        """A restarted emulator with no job, fault, busy rule or request."""
        self.stop()
        self.start()
        self.admin.reset()

    def start(self) -> None:
        self.emulator = ThreadedEmulator(self.config).__enter__()
        _without_nagle(self.emulator)
        self._url = self.emulator.url
        if self.front is not None:
            self.front.serve(self.emulator)  # type: ignore[arg-type]

    def stop(self) -> None:
        """Down: new connections are refused (or reset by the front), open ones closed; the jobs stay."""
        if self.front is not None:
            self.front.serve(None)
        if self.emulator is not None:
            self.emulator.__exit__(None, None, None)
            self.emulator = None

    @property
    def running(self) -> bool:
        return self.emulator is not None

    @property
    def admin(self) -> EmulatorAdmin:
        assert self.emulator is not None, "DRS is down"
        return self.emulator.admin

    def snapshot(self) -> Jobs:
        return {j["id"]: JobState(j["status"], j["start_count"], j["retry_count"], j["terminate_count"],
                                  j["scheduled_start"]) for j in self.admin.list_jobs()}

    def delays_pending(self) -> int:
        faults = self.admin.session.get(f"{self.admin.url}/faults", timeout=5).json()["faults"]
        return sum(f["remaining"] for f in faults if f["mode"] == "delay")

    def delete(self, job: str) -> None:
        """DRS's own delete path (batch-jobs `delete` of a released job): the job vanishes at its next read."""
        assert self.emulator is not None
        self.admin.set_status(job, RELEASE_COMPLETE)
        self.emulator.state.backend.batch_delete_jobs(PROJECT_ID, [DeleteItem(job, "delete")])

    def busy(self, job: str, times: int) -> None:
        assert self.emulator is not None
        self.emulator.busy([job], times)


def _without_nagle(emulator: ThreadedEmulator) -> None:
    """Answers leave at once. ThreadedEmulator binds its socket with protocol 0, so asyncio does not set
    TCP_NODELAY on its connections and each keep-alive answer waits ~40 ms for a delayed ACK (an answer is
    two writes); accepted sockets inherit the option from the listening one."""
    for server in emulator._server.servers:
        for sock in server.sockets:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


@dataclass
class Figures:
    """What a soak did, for docs/reliability.md."""

    level: str
    seed: int
    steps: int = 0
    skipped: int = 0
    operations: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    drifts: Counter[str] = field(default_factory=Counter)
    changes: Counter[str] = field(default_factory=Counter)
    violations: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"level": self.level, "seed": self.seed, "steps": self.steps, "skipped": self.skipped,
                "operations": dict(sorted(self.operations.items())), "faults": dict(sorted(self.faults.items())),
                "drifts": dict(sorted(self.drifts.items())), "changes": dict(sorted(self.changes.items())),
                "violations": self.violations, "seconds": round(self.seconds, 1)}


class Violation(AssertionError):
    """A broken promise, at the last of `steps` (the steps run so far)."""

    def __init__(self, promise: str, detail: str, steps: Sequence[Step]) -> None:
        super().__init__(f"step {len(steps) - 1} {steps[-1]!r}: {promise}: {detail}")
        self.promise, self.steps = promise, list(steps)


# --- the promises, checked after each operation ---------------------------------------------------------


@dataclass
class Observed:
    """One operation as the soak saw it: DRS before and after, the state before and after, what it gave."""

    op: str
    program: Program
    before: Jobs
    after: Jobs
    recorded_before: Recorded | None
    recorded_after: Recorded | None
    outcome: Outcome
    met_fault: bool
    """A fault rule, a busy job or an outage met the operation."""

    def allowed_writes(self) -> dict[str, set[str]]:
        """Per counter, the jobs that may get one more (never two) in this operation."""
        wanted = self.program.job_ids if self.op in UPS else []
        recorded = self.recorded_before
        stops = self.op == "destroy" and recorded is not None and recorded.inputs.effective("stop_on_delete")
        return {"start_count": {j for j in wanted if status_of(self.before, j) == CONFIGURATION},
                "retry_count": {j for j in wanted if kind(status_of(self.before, j)) in (Kind.PAUSED,
                                                                                      Kind.TRANSFER_FAILED)},
                "terminate_count": set(recorded.inputs.job_ids) if stops and recorded else set()}

    def culprits(self) -> list[str]:
        """The jobs a failure of this operation must name: listed, and that `up` cannot bring back; for a
        check, those new to the batch (one already in it is drift, which only `up` fails on)."""
        if self.op not in ("preview", *UPS):
            return []
        dead = [j for j in self.program.job_ids if not startable(status_of(self.before, j))]
        known = set(self.recorded_before.inputs.job_ids) if self.recorded_before else set()
        new = [j for j in dead if j not in known]
        return new if new or self.op == "preview" else dead

    def unfinished(self) -> list[str]:
        """After a failure once check passed: the jobs not where the operation was to bring them."""
        if self.outcome.in_check:
            return []
        if self.op in UPS:
            return [j for j in self.program.job_ids if kind(status_of(self.after, j)) not in STARTED_KINDS]
        recorded = self.recorded_before
        if self.op == "destroy" and recorded is not None and recorded.inputs.effective("stop_on_delete"):
            return [j for j in recorded.inputs.job_ids if status_of(self.after, j) not in RELEASED]
        return []

    def must_name(self) -> list[str]:
        """The jobs a failure is about: those `up` cannot bring back, or, when a whole request failed for good,
        every job it left unfinished. A start time in the past is about the start time only."""
        if self.past_start_time():
            return []
        if any(marker in self.outcome.text for marker in REQUEST_LEVEL):
            return self.unfinished()
        return self.culprits()

    def past_start_time(self) -> bool:
        start = self.program.start_time
        recorded = self.recorded_before.inputs.start_time if self.recorded_before else None
        return start is not None and str(start) != recorded and start < now_ms() - 60_000

    def expects_change(self) -> bool:
        assert self.recorded_before is not None
        had, wanted = self.recorded_before.inputs, self.program
        settings = (wanted.wait != had.effective("wait") or TIMEOUTS[wanted.timeout] != had.effective("timeout")
                    or wanted.stop_on_delete != had.effective("stop_on_delete"))
        kept = set(wanted.job_ids) & set(had.job_ids)
        drift = any(plan.is_drift(status_of(self.before, j)) for j in kept)
        return set(wanted.job_ids) != set(had.job_ids) or settings or drift


Problem = tuple[str, str]


def check_operation(o: Observed) -> list[Problem]:
    problems = writes_allowed(o) + diff_as_expected(o)
    return problems + (after_success(o) if o.outcome.ok else after_failure(o))


def writes_allowed(o: Observed) -> list[Problem]:
    """No start, resume/retry or terminate DRS did not need: at most one, for a job that needed it."""
    allowed, problems = o.allowed_writes(), []
    for job, now in o.after.items():
        was = o.before.get(job)
        for counter, may in allowed.items():
            delta = getattr(now, counter) - (getattr(was, counter) if was else 0)
            if delta > (1 if job in may else 0):
                problems.append((f"no {counter.split('_')[0]} that was not needed",
                                 f"job {job} ({status_of(o.before, job)} before {o.op}): {counter} +{delta}"))
    return problems


def diff_as_expected(o: Observed) -> list[Problem]:
    """With DRS answering, preview and up change the batch exactly when the program, a setting or a job's
    status (drift) says so."""
    if o.op not in ("preview", "up") or not o.outcome.ok or o.met_fault or o.recorded_before is None:
        return []
    if o.outcome.changed is None or o.outcome.changed == o.expects_change():
        return []
    return [("the diff shows what changed", f"expected change {o.expects_change()}, {o.op} said "
             f"{o.outcome.changed}; DRS before: {_statuses(o.before, o.program.job_ids)}")]


def after_success(o: Observed) -> list[Problem]:
    if o.op in UPS:
        return started_after_up(o)
    if o.op == "refresh":
        return refresh_records_drs(o)
    if o.op == "destroy":
        return destroyed(o)
    return state_unchanged(o)


def started_after_up(o: Observed) -> list[Problem]:
    """Every listed job started or scheduled; unless DRS could not be read at check and the batch did not
    change (as documented, the preview then goes on with the recorded statuses, and so does the up)."""
    unread = o.met_fault and o.outcome.changed is False
    problems = [("every listed job is started after up", f"job {j} is {status_of(o.after, j)}")
                for j in o.program.job_ids if kind(status_of(o.after, j)) not in STARTED_KINDS and not unread]
    recorded = set(o.recorded_after.inputs.job_ids) if o.recorded_after else None
    if recorded != set(o.program.job_ids):  # a new order alone is no change
        problems.append(("up records the program's jobs", f"recorded {recorded}, program {o.program.job_ids}"))
    return problems


def refresh_records_drs(o: Observed) -> list[Problem]:
    if o.recorded_before is None:
        return state_unchanged(o)
    wanted = {j: status_of(o.after, j) for j in o.recorded_before.inputs.job_ids}
    got = o.recorded_after.job_statuses if o.recorded_after else {}
    if set(got) != set(wanted) or not all(_same(got[j], wanted[j], o.after.get(j)) for j in wanted):
        return [("after refresh the recorded statuses are DRS's", f"recorded {got}, DRS {wanted}")]
    return []


def _same(recorded: str, live: str, job: JobState | None) -> bool:
    """Equal, or the one step DRS takes by the clock alone: a scheduled start whose time came between the
    refresh's read and ours."""
    if recorded == live:
        return True
    due = job is not None and (job.scheduled_start or math.inf) <= time.time()
    return due and (recorded, live) == ("WAITING_FOR_START", "STARTJOBING")


def destroyed(o: Observed) -> list[Problem]:
    problems = [] if o.recorded_after is None else [("destroy removes the batch", "the state still holds it")]
    if o.recorded_before is not None and o.recorded_before.inputs.effective("stop_on_delete"):
        problems += [("stop_on_delete releases every job", f"job {j} is {status_of(o.after, j)}")
                     for j in o.recorded_before.inputs.job_ids if status_of(o.after, j) not in RELEASED]
    return problems


def state_unchanged(o: Observed) -> list[Problem]:
    if _view(o.recorded_before) == _view(o.recorded_after):
        return []
    return [(f"a {'failed ' if not o.outcome.ok else ''}{o.op} changes no state",
             f"{_view(o.recorded_before)} -> {_view(o.recorded_after)}")]


def after_failure(o: Observed) -> list[Problem]:
    text = o.outcome.text
    problems: list[Problem] = []
    if not (o.met_fault or o.culprits() or o.past_start_time()):
        problems.append(("a failure has a cause (a fault, a job up cannot repair, a past start time)",
                         _tail(text)))
    missing = [j for j in o.must_name() if j not in text]
    job_level = not any(marker in text for marker in REQUEST_LEVEL) and not o.past_start_time()
    if job_level and o.op in UPS and not o.outcome.in_check and not any(j in text for j in o.program.job_ids):
        missing.append("any job")
    if missing:
        problems.append(("a failure names its jobs", f"{missing} not named in: {_tail(text)}"))
    return problems + ([] if o.op == "killed_up" else state_unchanged(o))


def leaks(text: str) -> list[str]:
    found = [f"{secret[:6]}..." for secret in SECRETS if secret in text]
    return found + (["an issued IAM token"] if ISSUED_TOKEN.search(text) else [])


def _view(recorded: Recorded | None) -> tuple[list[str], dict[str, str]] | None:
    return None if recorded is None else (list(recorded.inputs.job_ids), recorded.job_statuses)


def _statuses(jobs: Jobs, job_ids: Iterable[str]) -> dict[str, str]:
    return {j: status_of(jobs, j) for j in job_ids}


def _tail(text: str, limit: int = 2500) -> str:
    return text if len(text) <= limit else "..." + text[-limit:]


# --- the driver -------------------------------------------------------------------------------------------


class Soak:
    """One run: the program, DRS and the level, step after step, every promise checked after each."""

    def __init__(self, drs: SoakDrs, level: Level, weights: Mapping[str, int], figures: Figures,
                 delay_seconds: float) -> None:
        self.drs, self.level, self.weights, self.figures = drs, level, weights, figures
        self.delay_seconds = delay_seconds
        self.program = Program(slots=[0, 1, 2])
        self.slots: set[int] = set()
        self.resets: Counter[str] = Counter()
        """Per job, how often the soak put it back in CONFIGURATION: each allows one more start."""
        self.busy_left: dict[str, int] = {}
        self.down = False
        self.done: list[Step] = []
        for slot in range(INITIAL_JOBS):
            self._create(slot)
        self.jobs = drs.snapshot()

    def run(self, rng: random.Random, length: int) -> None:
        for _ in range(length):
            self.take(self.propose(rng))
        self.finish()

    def replay(self, steps: Iterable[Step]) -> None:
        for step in steps:
            self.take(step)
        self.finish()

    def take(self, step: Step) -> None:
        self.done.append(step)
        applied = getattr(self, f"_do_{step.kind}")(step)
        self.figures.steps += 1
        self.figures.skipped += not applied
        if self.drs.running:
            self.jobs = self.drs.snapshot()
        over = {j: (s.start_count, self.resets[j]) for j, s in self.jobs.items() if s.start_count > 1 + self.resets[j]}
        if over:
            self.violate("no job started twice for one time it was startable",
                         f"(start_count, times put back in CONFIGURATION): {over}")

    def finish(self) -> None:
        self.scan("the run", self.level.everything())

    def violate(self, promise: str, detail: str) -> None:
        self.figures.violations += 1
        raise Violation(promise, detail, self.done)

    def scan(self, where: str, *texts: str) -> None:
        found = [leak for text in texts for leak in leaks(text)]
        if found:
            self.violate("no secret in state, outputs or logs", f"{found} in {where}")

    # --- proposing a step from the state so far ------------------------------------------------------------

    def propose(self, rng: random.Random) -> Step:
        step_kind = rng.choices(list(self.weights), list(self.weights.values()))[0]
        proposer: Callable[[random.Random], Step] | None = getattr(self, f"_propose_{step_kind}", None)
        return proposer(rng) if proposer else Step(step_kind)

    def _propose_add(self, rng: random.Random) -> Step:
        candidates = sorted(self.slots - set(self.program.slots))
        if not candidates:
            return self._propose_new_job(rng)
        alive = [s for s in candidates if startable(status_of(self.jobs, job_id(s)))]
        return Step("add", rng.choice(alive if alive and rng.random() < 0.9 else candidates))

    def _propose_remove(self, rng: random.Random) -> Step:
        return Step("remove", rng.choice(self.program.slots))

    def _propose_wait(self, rng: random.Random) -> Step:
        return Step("wait", None, rng.choice([w for w in WAITS if w != self.program.wait]))

    def _propose_timeout(self, rng: random.Random) -> Step:
        return Step("timeout", None, rng.choice(list(TIMEOUTS)))

    def _propose_start_time(self, rng: random.Random) -> Step:
        offsets = [None, rng.randint(1000, 3000), LATER_MS, PAST_MS]
        return Step("start_time", None, rng.choices(offsets, [4, 4, 1, 1])[0])

    def _propose_stop_on_delete(self, rng: random.Random) -> Step:
        return Step("stop_on_delete", None, not self.program.stop_on_delete)

    def _propose_new_job(self, rng: random.Random) -> Step:
        return Step("new_job", max(self.slots) + 1)

    def _propose_drift(self, rng: random.Random) -> Step:
        return Step("drift", self._pick(rng), rng.choices(list(DRIFTS), list(DRIFTS.values()))[0])

    def _propose_killed_up(self, rng: random.Random) -> Step:
        startable_now = [s for s in sorted(self.slots - set(self.program.slots))
                         if status_of(self.jobs, job_id(s)) == CONFIGURATION]
        return Step("killed_up", rng.choice(startable_now) if startable_now else None)

    def _propose_busy(self, rng: random.Random) -> Step:
        return Step("busy", rng.choice(self.program.slots), rng.choice([1, 2, 4]))

    def _propose_fault(self, rng: random.Random) -> Step:
        path = rng.choices(list(PATHS), list(PATHS.values()))[0]
        name = rng.choice(RETRY_TASK_FAULTS if path == "batch-retry-task" else list(FAULTS))
        times = 1 if FAULTS[name][0] == "delay" else rng.choice([1, 1, 1, 2, 2, 3, 4])
        return Step("fault", None, (path, name, times))

    def _pick(self, rng: random.Random) -> int:
        return rng.choice(self.program.slots if rng.random() < 0.8 else sorted(self.slots))

    # --- program changes ---------------------------------------------------------------------------------

    def _do_add(self, step: Step) -> bool:
        slot = step.slot
        if slot is None or slot not in self.slots or slot in self.program.slots:
            return False
        if self.program.start_time is None and self._scheduled_later([job_id(slot)]):
            return False  # the up would wait for its far start: an operator sets a start time first
        return self._change(step, lambda p: p.slots.append(slot))

    def _do_remove(self, step: Step) -> bool:
        slot = step.slot
        if slot is None or slot not in self.program.slots or len(self.program.slots) == 1:
            return False
        return self._change(step, lambda p: p.slots.remove(slot))

    def _do_wait(self, step: Step) -> bool:
        return self._change(step, lambda p: setattr(p, "wait", step.arg))

    def _do_timeout(self, step: Step) -> bool:
        return self._change(step, lambda p: setattr(p, "timeout", step.arg))

    def _do_start_time(self, step: Step) -> bool:
        """A start `step.arg` ms from now (negative: in the past, which check refuses), or none."""
        if (step.arg is None or step.arg < 0) and self._scheduled_later(self.program.job_ids):
            return False
        return self._change(step, lambda p: setattr(p, "start_time", None if step.arg is None else now_ms() + step.arg))

    def _do_stop_on_delete(self, step: Step) -> bool:
        return self._change(step, lambda p: setattr(p, "stop_on_delete", step.arg))

    def _do_new_job(self, step: Step) -> bool:
        if self.down or step.slot is None or step.slot in self.slots:
            return False
        self._create(step.slot)
        return True

    def _change(self, step: Step, change: Callable[[Program], None]) -> bool:
        change(self.program)
        self.figures.changes[step.kind] += 1
        return True

    def _create(self, slot: int) -> None:
        self.drs.admin.create_jobs([{"id": job_id(slot)}])
        self.slots.add(slot)

    def _scheduled_later(self, job_ids: Iterable[str]) -> bool:
        soon = time.time() + 5
        return any(status_of(self.jobs, j) == "WAITING_FOR_START" and (self.jobs[j].scheduled_start or 0) > soon
                   for j in job_ids)

    # --- drift and faults in DRS ---------------------------------------------------------------------------

    def _do_drift(self, step: Step) -> bool:
        job = job_id(step.slot or 0)
        status = status_of(self.jobs, job)
        if self.down or step.slot not in self.slots or kind(status) in (Kind.GONE, Kind.RELEASING) \
                or status == step.arg:
            return False
        if step.arg == DELETED:
            self.drs.delete(job)
        else:
            self.drs.admin.set_status(job, step.arg)
        self.resets[job] += step.arg == CONFIGURATION
        self.figures.drifts[step.arg] += 1
        return True

    def _do_fault(self, step: Step) -> bool:
        if self.down:
            return False
        path, name, times = step.arg
        mode, options = FAULTS[name]
        if mode == "delay":
            options = {"delay_seconds": self.delay_seconds}
        self.drs.admin.add_fault(path, mode, times=times, **options)
        self.figures.faults[name] += 1
        return True

    def _do_busy(self, step: Step) -> bool:
        if self.down or step.slot not in self.slots:
            return False
        self.drs.busy(job_id(step.slot), step.arg)
        self.busy_left[job_id(step.slot)] = step.arg
        self.figures.faults["DRS.M01504 per item"] += 1
        return True

    def _do_restart(self, step: Step) -> bool:
        """DRS restarted: the jobs persist; fault and busy rules are gone, as is every open connection."""
        self.drs.stop()
        self._back_up()
        self.busy_left.clear()
        self.figures.faults["DRS restart"] += 1
        return True

    def _do_outage(self, step: Step) -> bool:
        """DRS down for the next operation (then restarted)."""
        if self.down:
            return False
        self.drs.stop()
        self.down = True
        self.busy_left.clear()
        self.figures.faults["DRS down for an operation"] += 1
        return True

    # --- operations ------------------------------------------------------------------------------------------

    def _do_preview(self, step: Step) -> bool:
        return self.operate("preview", lambda: self.level.preview(self.program.copy()))

    def _do_up(self, step: Step) -> bool:
        return self.operate("up", lambda: self.level.up(self.program.copy()))

    def _do_killed_up(self, step: Step) -> bool:
        """An up killed mid-start; with a slot, the up of a program that adds that job (so it has one to start)."""
        if step.slot in self.slots and step.slot not in self.program.slots:
            self.program.slots.append(step.slot)
        return self.operate("killed_up", lambda: self.level.killed_up(self.program.copy()))

    def _do_refresh(self, step: Step) -> bool:
        return self.operate("refresh", self.level.refresh)

    def _do_destroy(self, step: Step) -> bool:
        return self.operate("destroy", self.level.destroy)

    def operate(self, op: str, run: Callable[[], Outcome]) -> bool:
        before, recorded, program = self.jobs, self.level.recorded(), self.program.copy()
        delays = 0 if self.down else self.drs.delays_pending()
        if not self.down:
            self.drs.admin.clear_requests()
        outcome = run()
        met = self._settle(delays)
        seen = Observed(op, program, before, self.drs.snapshot(), recorded, self.level.recorded(), outcome, met)
        self.jobs = seen.after
        self.figures.operations[f"{op}{outcome.variant} {'ok' if outcome.ok else 'failed'}"] += 1
        for promise, detail in check_operation(seen):
            self.violate(promise, detail)
        self.scan(op, outcome.text, outcome.said, self.level.state_text())
        if not outcome.ok:
            self._remediate(seen)
        return True

    def _settle(self, delays_before: int) -> bool:
        """After an operation: DRS back up if it was down; every delayed request answered. Whether a fault,
        a busy rule or an outage met the operation."""
        if self.down:
            self._back_up()
            return True
        taken = delays_before - self.drs.delays_pending()
        admin = self.drs.admin
        wait_until(lambda: sum(r["fault"] == "delay" for r in admin.requests_log()) >= taken, 30,
                   "the delayed requests to be answered")
        log = admin.requests_log()
        busy = self._busy_met(log)
        return busy or any(r["fault"] for r in log)

    def _back_up(self) -> None:
        self.drs.start()
        self.level.point_at(self.drs.url)
        self.down = False

    def _busy_met(self, log: Sequence[Mapping[str, Any]]) -> bool:
        met = False
        for entry in log:
            if entry["path"].endswith("batch-starting") and entry["fault"] is None:
                for job in entry["job_ids"]:
                    if self.busy_left.get(job, 0) > 0:
                        self.busy_left[job] -= 1
                        met = True
        return met

    def _remediate(self, seen: Observed) -> None:
        """What an operator does after a failure: drop the named jobs `up` cannot bring back, fix a start
        time in the past; a program left with no job gets a new one."""
        named = [s for s in self.program.slots
                 if job_id(s) in seen.outcome.text and not startable(status_of(self.jobs, job_id(s)))]
        for slot in named:
            self.program.slots.remove(slot)
        if seen.past_start_time() and "start_time" in seen.outcome.text:
            later = self._scheduled_later(self.program.job_ids)
            self.program.start_time = now_ms() + LATER_MS if later else None
        if not self.program.slots and not self.down:
            slot = max(self.slots) + 1
            self._create(slot)
            self.program.slots.append(slot)
            self.jobs = self.drs.snapshot()


# --- running a seed, shortening a failure ---------------------------------------------------------------------


@dataclass
class Setup:
    """What a level needs to run: its name, step weights, a fresh level on a DRS (try number given), and
    the delay that outlasts its read timeout."""

    name: str
    weights: Mapping[str, int]
    make_level: Callable[[SoakDrs, int], Level]
    delay_seconds: float


def attempt(setup: Setup, drs: SoakDrs, figures: Figures, number: int, action: Callable[[Soak], None]) -> None:
    drs.fresh()
    level = setup.make_level(drs, number)
    try:
        action(Soak(drs, level, setup.weights, figures, setup.delay_seconds))
    finally:
        level.close()


def soak(setup: Setup, drs: SoakDrs, seed: int, length: int, shrink_seconds: float) -> Figures:
    """Run `length` steps from `seed`; on a broken promise, shorten the run and fail with both."""
    began = time.monotonic()
    figures = Figures(setup.name, seed)
    try:
        attempt(setup, drs, figures, 0, lambda s: s.run(random.Random(seed), length))
    except Violation as violation:
        raise AssertionError(explain(setup, drs, seed, length, violation, shrink_seconds)) from None
    figures.seconds = time.monotonic() - began
    return figures


def replays(setup: Setup, drs: SoakDrs, steps: Sequence[Step]) -> Figures:
    """Run a given step list from a fresh DRS (a kept regression); raises Violation."""
    figures = Figures(setup.name, 0)
    attempt(setup, drs, figures, 0, lambda s: s.replay(steps))
    return figures


def explain(setup: Setup, drs: SoakDrs, seed: int, length: int, violation: Violation, seconds: float) -> str:
    tries = [0]

    def still_fails(steps: list[Step]) -> bool:
        tries[0] += 1
        try:
            attempt(setup, drs, Figures(setup.name, seed), tries[0], lambda s: s.replay(steps))
        except Violation as again:
            return again.promise == violation.promise
        return False

    began = time.monotonic()
    shortest = shrink(violation.steps, still_fails, began + seconds)
    return (f"DRS soak ({setup.name}), seed {seed} ({SEED_ENV}={seed}), {length} steps: {violation}\n"
            f"Shortest failing step list ({len(shortest)} of {len(violation.steps)} steps, {tries[0]} replays in "
            f"{time.monotonic() - began:.0f} s; keep it as a regression with `replays`):\n{shortest!r}")


def shrink(steps: list[Step], still_fails: Callable[[list[Step]], bool], deadline: float) -> list[Step]:
    """The shortest failing list found by the deadline. A failure usually needs only the last few steps:
    first the shortest failing tail (4, 8, 16, ... steps), then delta debugging (ddmin) drops ever smaller
    chunks of it while the failure remains, until no single step can go. The last step is always kept."""
    *rest, last = steps
    tail = 4
    while tail < len(rest) and time.monotonic() < deadline:
        if still_fails([*rest[-tail:], last]):
            rest = rest[-tail:]
            break
        tail *= 2
    chunks = 2
    while rest and time.monotonic() < deadline:
        size = math.ceil(len(rest) / chunks)
        for start in range(0, len(rest), size):
            candidate = rest[:start] + rest[start + size:]
            if time.monotonic() < deadline and still_fails([*candidate, last]):
                rest, chunks = candidate, max(chunks - 1, 2)
                break
        else:
            if size == 1:
                break
            chunks = min(len(rest), chunks * 2)
    return [*rest, last]


def dump(figures: Figures) -> str:
    return json.dumps(figures.as_dict(), sort_keys=True)

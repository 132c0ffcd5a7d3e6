"""Bringing a batch's jobs where it wants them, and watching them get there: the I/O around `plan`.

Every poll round reads the statuses of the jobs not yet there, plans each again and sends what the
plans call for, in batches. So a job still CREATING when `up` begins is started once it reaches
CONFIGURATION, and a job DRS pauses during the wait is resumed. Guarantees: a job is sent at most one
start per run (a lost answer is reconciled by the API layer, never re-sent); a resume or retry is not
repeated while DRS still shows the status it was sent from; a job whose request DRS refused is read
again and, if it is already on its way, recorded as such rather than failed. Failures are collected
per job and raised together, with what to do, once the round's requests are sent.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from pulumi_drs import plan
from pulumi_drs.api.base import Act, DrsApi, Outcome, unique
from pulumi_drs.errors import DrsError
from pulumi_drs.plan import Goal, Step, Target
from pulumi_drs.semantics import RELEASE_FAILED, Kind, Meaning, explain, kind, means

FIRST_POLL_SECONDS = 0.5
"""The first pause between reads (never more than the poll cap); each next one is 1.5 times longer."""
POLL_GROWTH = 1.5
ACCEPT_GRACE_SECONDS = 30.0
"""After DRS accepts a resume or retry it may show the old status a while: that long, it is not a failure.
GUESS (no source gives the delay; docs/drs-semantics.md): DRS updates asynchronously, the Terraform
provider waits 20 s before its first status read."""
BUSY_TRIES = 4
"""Rounds a job refused with DRS.M01504 (another operation running) is asked again before it fails."""
MAX_REPAIRS = 3
"""Resumes or retries of one job in one run (each after DRS showed it moved on)."""
READ_TRIES = 3
"""Reads of a job DRS answered with neither a status nor a not-found code, before giving up."""

_ACT_BY_STEP = {Step.START: Act.START, Step.RESUME: Act.RESUME, Step.RETRY: Act.RETRY,
                Step.RETRY_RE_EDIT: Act.RETRY_RE_EDIT}


class ConvergeError(Exception):
    """Some jobs failed, or the timeout passed first; the message names each job and what to do."""

    def __init__(self, message: str, statuses: Mapping[str, str]) -> None:
        super().__init__(message)
        self.statuses = dict(statuses)


@dataclass
class Clock:
    """Time and sleep, injectable for tests; `poll_cap` bounds the pause between reads."""

    poll_cap: float = 3.0
    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    wall: Callable[[], float] = time.time
    """Epoch seconds, to compare with a start time."""


class Report(Protocol):
    """Progress of a wait; `pending` are the jobs not yet where the batch wants them."""

    def round(self, statuses: Mapping[str, str], pending: Sequence[str], elapsed: float, left: float) -> None: ...


class Silent:
    def round(self, statuses: Mapping[str, str], pending: Sequence[str], elapsed: float, left: float) -> None:
        pass


@dataclass
class Converged:
    statuses: dict[str, str]
    results: dict[str, Outcome] = field(default_factory=dict)
    """Per job, what DRS answered to a request sent in this run."""


def read_live(api: DrsApi, job_ids: Sequence[str], clock: Clock, tries: int = READ_TRIES) -> dict[str, str]:
    """Each job's status, NOT_FOUND for a documented not-found code (see `read_jobs`)."""
    return {j: status for j, (status, _allowed) in read_jobs(api, job_ids, clock, tries).items()}


def read_jobs(api: DrsApi, job_ids: Sequence[str], clock: Clock,
              tries: int = READ_TRIES) -> dict[str, tuple[str, tuple[str, ...] | None]]:
    """Each job's status and what DRS allows for it now (None: the API does not say). A job DRS answered
    with neither a status nor a not-found code is asked again (a transient per-item error is never
    recorded); if it persists, the error names it."""
    found: dict[str, tuple[str, tuple[str, ...] | None]] = {}
    unread: dict[str, str] = {}
    pending = unique(job_ids)
    for attempt in range(tries):
        if attempt:
            clock.sleep(min(FIRST_POLL_SECONDS * 2**attempt, clock.poll_cap))
        views = api.read_statuses(pending)
        for job_id in pending:
            view = views[job_id]
            status = plan.recorded_status(view.status, view.error_code)
            if status is None:
                unread[job_id] = explain(view.error_code, view.error_message)
            else:
                found[job_id] = (status, view.actions)
                unread.pop(job_id, None)
        pending = list(unread)
        if not pending:
            return {j: found[j] for j in unique(job_ids)}
    lines = "\n".join(f"  - job {j}: {why}" for j, why in unread.items())
    raise ConvergeError(f"DRS did not say the status of {len(unread)} job(s), {tries} times:\n{lines}\n"
                        "Nothing was recorded for them; run again later", {j: s for j, (s, _a) in found.items()})


class _Run:
    """One run of converging: what was sent, accepted and refused, per job."""

    def __init__(self, api: DrsApi, goal: Goal, start_time: str | None, clock: Clock) -> None:
        self.api, self.goal, self.start_time, self.clock = api, goal, start_time, clock
        self.statuses: dict[str, str] = {}
        self.allowed: dict[str, tuple[str, ...] | None] = {}
        self.task_types: dict[str, str | None] = {}
        self.started: set[str] = set()
        self.repaired: dict[str, tuple[str, float]] = {}
        """Jobs whose resume or retry DRS accepted: the status it was sent from, and when."""
        self.unconfirmed: set[str] = set()
        """Repaired jobs whose answer was lost (the request was inferred accepted): accepted only once DRS
        shows the job moved on, since a paused job looks the same before and after a resume."""
        self.repairs: Counter[str] = Counter()
        self.busy: Counter[str] = Counter()
        self.results: dict[str, Outcome] = {}
        self.failures: dict[str, str] = {}

    def pending(self) -> list[str]:
        return [j for j, s in self.statuses.items()
                if not plan.reached(self.goal, s, self.task_types.get(j), accepted=self._accepted_now(j, s))]

    def _accepted_now(self, job_id: str, status: str) -> bool:
        """DRS accepted a request for the job in this run: its answer said so, or the job moved on since."""
        since = self.repaired.get(job_id)
        moved = since is not None and (job_id not in self.unconfirmed or since[0] != status)
        return job_id in self.started or moved

    def act_round(self) -> None:
        """Plan every pending job, send what the plans call for, record answers and failures."""
        wanted: dict[Step, list[str]] = {}
        for job_id in self.pending():
            step = self._decide(job_id, self.statuses[job_id])
            if step is not None:
                wanted.setdefault(step, []).append(job_id)
        for step, job_ids in wanted.items():
            self._send(step, job_ids)

    def _decide(self, job_id: str, status: str) -> Step | None:
        """The step to send now, or None (nothing to send, or a failure recorded)."""
        p = plan.plan_job(job_id, status, self.allowed.get(job_id))
        since = self.repaired.get(job_id)
        if since is not None and since[0] == status:
            if self.clock.now() - since[1] < ACCEPT_GRACE_SECONDS:
                return None
            how = "its answer was lost" if job_id in self.unconfirmed else "DRS accepted it"
            self.failures[job_id] = (f"{status}: a resume or retry was sent {ACCEPT_GRACE_SECONDS:.0f} s ago ({how}) "
                                     "but DRS still shows this status: check the job in the DRS console")
            return None
        if p.step is Step.FAIL:
            self.failures[job_id] = f"{status}: {p.reason}"
        elif p.step is Step.START and job_id not in self.started:
            return Step.START
        elif p.step in (Step.RESUME, Step.RETRY, Step.RETRY_RE_EDIT):
            if self.repairs[job_id] < MAX_REPAIRS:
                return p.step
            self.failures[job_id] = f"{status}: resumed or retried {MAX_REPAIRS} times in this run; check it in DRS"
        return None

    def _send(self, step: Step, job_ids: list[str]) -> None:
        """Send one request for the jobs; then read the accepted ones (their new status) and the refused
        ones (they may already be on their way)."""
        outcomes = self.api.act(_ACT_BY_STEP[step], job_ids, self.start_time if step is Step.START else None)
        refused: dict[str, Outcome] = {}
        for job_id, outcome in outcomes.items():
            self.results[job_id] = outcome
            if outcome.accepted:
                self._accepted(step, job_id, outcome)
            elif means(outcome.error_code, Meaning.BUSY) and self.busy[job_id] + 1 < BUSY_TRIES:
                self.busy[job_id] += 1
            else:
                refused[job_id] = outcome
        accepted = [j for j, o in outcomes.items() if o.accepted]
        if accepted:
            self.read(accepted)
        if refused:
            self._check_refused(step, refused)

    def _accepted(self, step: Step, job_id: str, outcome: Outcome) -> None:
        if step is Step.START:
            self.started.add(job_id)
        else:
            self.repairs[job_id] += 1
            self.repaired[job_id] = (self.statuses[job_id], self.clock.now())
            if outcome.inferred:
                self.unconfirmed.add(job_id)

    def _check_refused(self, step: Step, refused: Mapping[str, Outcome]) -> None:
        """A refused job may already be on its way (started by another batch or a person): read it again."""
        self.read(list(refused))
        now = self.statuses
        for job_id, outcome in refused.items():
            if plan.plan_job(job_id, now[job_id], self.allowed.get(job_id)).step in (Step.NONE, Step.WAIT):
                self.results[job_id] = Outcome(job_id, True, note=f"DRS refused the {step.value} "
                                               f"({outcome.error_code}), but the job is already {now[job_id]}")
                continue
            self.failures[job_id] = (f"{now[job_id]}: DRS refused the {step.value}: "
                                     f"{explain(outcome.error_code, outcome.error_message)}")

    def read(self, job_ids: Sequence[str]) -> None:
        for job_id, (status, allowed) in read_jobs(self.api, job_ids, self.clock).items():
            self.statuses[job_id], self.allowed[job_id] = status, allowed

    def read_task_types(self) -> None:
        """Full-load-only jobs end in FULL_TRANSFER_COMPLETE: read the task type of those that are there."""
        wanted = [j for j, s in self.statuses.items()
                  if plan.needs_task_type(self.goal, s) and j not in self.task_types]
        if wanted:
            for job_id, detail in self.api.read_details(wanted).items():
                self.task_types[job_id] = detail.task_type


def converge(api: DrsApi, job_ids: Sequence[str], goal: Goal, *, start_time: str | None, timeout: float,
             clock: Clock, report: Report | None = None) -> Converged:
    """Start, resume or retry what needs it, and wait until every job reached `goal`; raises ConvergeError."""
    run = _Run(api, goal, start_time, clock)
    with _naming_jobs(run, job_ids):
        run.read(job_ids)
        _loop(run, run.act_round, timeout, report or Silent())
    return Converged(run.statuses, run.results)


def release(api: DrsApi, job_ids: Sequence[str], *, timeout: float, clock: Clock,
            report: Report | None = None) -> Converged:
    """Terminate every job not yet released, and wait until each is; raises ConvergeError."""
    run = _Run(api, Goal(Target.RELEASED), None, clock)
    with _naming_jobs(run, job_ids):
        run.read(job_ids)
    sent: set[str] = set()

    def terminate_round() -> None:
        pending = run.pending()
        for job_id in pending:
            if run.statuses[job_id] == RELEASE_FAILED:
                run.failures[job_id] = f"{RELEASE_FAILED}: stopping failed; check the job in the DRS console"
        live = [j for j in pending
                if j not in sent and j not in run.failures and kind(run.statuses[j]) is not Kind.RELEASING]
        if not live:
            return
        for job_id, outcome in api.act(Act.TERMINATE, live).items():
            run.results[job_id] = outcome
            if outcome.accepted:
                sent.add(job_id)
            elif not means(outcome.error_code, Meaning.BUSY):
                run.failures[job_id] = f"DRS refused to terminate: {explain(outcome.error_code, outcome.error_message)}"

    with _naming_jobs(run, job_ids):
        _loop(run, terminate_round, timeout, report or Silent())
    return Converged(run.statuses, run.results)


def wait_forward(api: DrsApi, forward_ids: Sequence[str], *, timeout: float, clock: Clock,
                 report: Report | None = None) -> None:
    """Wait until every DR forward job is INCRE_TRANSFER_STARTED with RPO and RTO under DR_MAX_LAG_SECONDS
    (a dual-active DR backward task starts only then); raises ConvergeError naming what is not yet true."""
    report = report or Silent()
    started = clock.now()
    deadline = started + timeout
    interval = min(FIRST_POLL_SECONDS, clock.poll_cap)
    while True:
        states = forward_states(api, forward_ids, clock)
        blockers = {s.job_id: plan.forward_blockers([s]) for s in states}
        blocked = {job_id: "; ".join(why) for job_id, why in blockers.items() if why}
        shown = {s.job_id: blocked.get(s.job_id, "ready") for s in states}
        report.round(shown, list(blocked), clock.now() - started, max(0.0, deadline - clock.now()))
        if not blocked:
            return
        if clock.now() + interval > deadline:
            lines = "\n".join(f"  - {why}" for why in blocked.values())
            raise ConvergeError(f"timed out after {timeout:.0f} s waiting for the DR forward jobs:\n{lines}\n"
                                "Nothing was started. Raise `timeout`, or run `pulumi up` again once they "
                                f"replicate with RPO and RTO under {plan.DR_MAX_LAG_SECONDS:g} s.", shown)
        clock.sleep(interval)
        interval = min(interval * POLL_GROWTH, clock.poll_cap)


def forward_states(api: DrsApi, forward_ids: Sequence[str], clock: Clock) -> list[plan.ForwardState]:
    statuses = read_live(api, forward_ids, clock)
    lags = api.read_lags(list(statuses))
    return [plan.ForwardState(j, statuses[j], lags[j].rpo_seconds, lags[j].rto_seconds) for j in statuses]


@contextmanager
def _naming_jobs(run: _Run, job_ids: Sequence[str]) -> Iterator[None]:
    """A request that failed for good (its retries used up) ends the run: the error keeps its cause and
    names every job not yet where the batch wants it."""
    try:
        yield
    except DrsError as exc:
        pending = set(run.pending())
        left = [j for j in unique(job_ids) if j not in run.statuses or j in pending]
        if not left:
            raise
        raise ConvergeError(interrupted_message(exc, left, run.statuses, run.goal.target), run.statuses) from exc


def _loop(run: _Run, act_round: Callable[[], None], timeout: float, report: Report) -> None:
    clock = run.clock
    started = clock.now()
    deadline = started + timeout
    interval = min(FIRST_POLL_SECONDS, clock.poll_cap)
    while True:
        act_round()
        run.read_task_types()
        pending = run.pending()
        report.round(run.statuses, pending, clock.now() - started, max(0.0, deadline - clock.now()))
        if run.failures:
            raise ConvergeError(failure_message(run.failures, run.goal.target), run.statuses)
        if not pending:
            return
        if clock.now() + interval > deadline:
            raise ConvergeError(timeout_message(pending, run.statuses, run.goal.target, timeout), run.statuses)
        clock.sleep(interval)
        interval = min(interval * POLL_GROWTH, clock.poll_cap)
        run.read(pending)


def failure_message(failures: Mapping[str, str], target: Target) -> str:
    lines = "\n".join(f"  - job {job_id}: {why}" for job_id, why in failures.items())
    hint = ("Fix the cause, then run `pulumi up` again: jobs already started are recorded, not started twice."
            if target is not Target.RELEASED else "Check the jobs in the DRS console, then run again.")
    verb = "could not be released" if target is Target.RELEASED else "could not be brought to " + target.value
    return f"{len(failures)} job(s) {verb}:\n{lines}\n{hint}"


def timeout_message(pending: Iterable[str], statuses: Mapping[str, str], target: Target, timeout: float) -> str:
    pending = list(pending)
    return (f"timed out after {timeout:.0f} s waiting for {len(pending)} job(s) to be {target.value}:\n"
            f"{_listed(pending, statuses)}\nRaise `timeout`, or run `pulumi up` again later: nothing is started twice.")


def interrupted_message(cause: DrsError, pending: Sequence[str], statuses: Mapping[str, str], target: Target) -> str:
    again = ("run it again once DRS answers" if target is Target.RELEASED else
             "run `pulumi up` again once DRS answers: jobs already started are recorded, not started twice")
    return f"{cause}\n{len(pending)} job(s) not yet {target.value}:\n{_listed(pending, statuses)}\nThen {again}."


def _listed(pending: Sequence[str], statuses: Mapping[str, str]) -> str:
    """One line per job with its last known status, the first 20."""
    shown = "\n".join(f"  - job {j}: {statuses.get(j, 'not read')}" for j in pending[:20])
    return shown + (f"\n  ... and {len(pending) - 20} more" if len(pending) > 20 else "")

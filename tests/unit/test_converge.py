"""Converging a batch against the emulator in process, on a fake clock: every poll round plans again.

Time is the test's: `converge` sleeps through `Clock.sleep`, which advances the fake time and runs the
test's `at_sleep` hooks, so drift "during the wait" happens at a chosen poll round, never by sleeping.
The emulator takes one queued status step per status read (`reads_per_step=1`).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from pulumi_drs.api import DrsApi, connect
from pulumi_drs.api.base import Act, Outcome
from pulumi_drs.converge import (
    ACCEPT_GRACE_SECONDS,
    Clock,
    ConvergeError,
    converge,
    read_live,
    release,
    wait_forward,
)
from pulumi_drs.emulator import DEFAULT_ACCESS_KEY, DEFAULT_PROJECT_ID, DEFAULT_SECRET_KEY, EmulatorAdmin
from pulumi_drs.emulator.exceptions import OperationInProgress
from pulumi_drs.emulator.inprocess import InProcessEmulator
from pulumi_drs.emulator.items import Outcome as EmulatedOutcome
from pulumi_drs.plan import Goal, Target
from pulumi_drs.progress import ProgressLines
from pulumi_drs.settings import Settings

RUNNING = "INCRE_TRANSFER_STARTED"
FIRST_RUNNING = "FULL_TRANSFER_STARTED"
"""Where a started job is one status read after STARTJOBING: a `running` wait ends there."""
GOAL = Goal(Target.RUNNING)


@dataclass
class FakeTime:
    """The converge clock: `now` moves only when converge sleeps; hooks run at chosen sleeps."""

    now: float = 1_800_000_000.0
    sleeps: list[float] = field(default_factory=list)
    at_sleep: dict[int, Callable[[], None]] = field(default_factory=dict)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        hook = self.at_sleep.get(len(self.sleeps))
        if hook is not None:
            hook()

    def clock(self) -> Clock:
        return Clock(poll_cap=2.0, now=lambda: self.now, sleep=self.sleep, wall=lambda: self.now)


@dataclass
class World:
    emu: InProcessEmulator
    api: DrsApi
    time: FakeTime

    @property
    def admin(self) -> EmulatorAdmin:
        return self.emu.admin

    def jobs(self, n: int = 1, **spec: Any) -> list[str]:
        return [j["id"] for j in self.admin.create_jobs(n, **spec)]

    def count(self, job_id: str, key: str = "start_count") -> int:
        return int(self.admin.get_job(job_id)[key])

    def starts_sent(self) -> list[list[str]]:
        return [r["job_ids"] for r in self.admin.requests_log() if r["path"].endswith("batch-starting")]


@pytest.fixture
def world() -> Iterator[World]:
    fake = FakeTime()
    with InProcessEmulator(clock=lambda: fake.now) as emu:
        emu.admin.settings(transition_seconds=0, reads_per_step=1)
        settings = Settings(endpoint=emu.url, project_id=DEFAULT_PROJECT_ID, access_key=DEFAULT_ACCESS_KEY,
                            secret_key=DEFAULT_SECRET_KEY, backoff_factor=0, max_retries=2)
        api = connect(settings, session=emu.session())
        yield World(emu, api, fake)
        api.close()


def run(world: World, job_ids: Sequence[str], goal: Goal = GOAL, timeout: float = 600,
        start_time: str | None = None, api: DrsApi | None = None) -> dict[str, str]:
    return converge(api or world.api, job_ids, goal, start_time=start_time, timeout=timeout,
                    clock=world.time.clock()).statuses


def test_each_job_is_started_once_and_waited_to_running(world: World) -> None:
    jobs = world.jobs(3)
    assert run(world, jobs) == {j: FIRST_RUNNING for j in jobs}
    assert world.starts_sent() == [jobs]
    assert [world.count(j) for j in jobs] == [1, 1, 1]


def test_a_job_creating_when_up_begins_is_started_once_it_reaches_configuration(world: World) -> None:
    [job] = world.jobs(status="CREATING")
    world.time.at_sleep[2] = lambda: world.admin.set_status(job, "CONFIGURATION")
    assert run(world, [job]) == {job: FIRST_RUNNING}
    assert world.count(job) == 1 and world.starts_sent() == [[job]]


def test_waiting_for_start_without_a_start_time_is_waited_through(world: World) -> None:
    [job] = world.jobs(status="WAITING_FOR_START")
    world.time.at_sleep[3] = lambda: world.admin.set_status(job, RUNNING)
    assert run(world, [job]) == {job: RUNNING}
    assert len(world.time.sleeps) == 3 and world.starts_sent() == []


def test_waiting_for_start_counts_as_started_when_the_batch_has_a_start_time(world: World) -> None:
    [job] = world.jobs(status="WAITING_FOR_START")
    assert run(world, [job], Goal(Target.RUNNING, has_start_time=True)) == {job: "WAITING_FOR_START"}
    assert world.time.sleeps == []


def test_a_job_paused_during_the_wait_is_resumed_once(world: World) -> None:
    [job] = world.jobs()
    world.time.at_sleep[1] = lambda: world.admin.set_status(job, "PAUSING")
    assert run(world, [job], Goal(Target.INCREMENTAL)) == {job: RUNNING}
    assert (world.count(job), world.count(job, "retry_count")) == (1, 1)


def test_a_job_that_drops_back_to_configuration_is_not_started_a_second_time(world: World) -> None:
    [job] = world.jobs()
    world.time.at_sleep[1] = lambda: world.admin.set_status(job, "CONFIGURATION")
    with pytest.raises(ConvergeError, match=rf"(?s)timed out .*{job}: CONFIGURATION"):
        run(world, [job], Goal(Target.INCREMENTAL), timeout=20)
    assert world.count(job) == 1 and world.starts_sent() == [[job]]


class Lagging:
    """The real client, and DRS showing a job's old status after it accepted a request (`after` sets it)."""

    def __init__(self, api: DrsApi, after: Callable[[], None]) -> None:
        self.api, self.after = api, after
        self.version = api.version

    def __getattr__(self, name: str) -> Any:
        return getattr(self.api, name)

    def act(self, act: Act, job_ids: Sequence[str], start_time: str | None = None) -> dict[str, Outcome]:
        outcome = self.api.act(act, job_ids, start_time)
        self.after()
        return outcome


class Racing:
    """The real client, and someone else starting the job just before our start reaches DRS."""

    def __init__(self, api: DrsApi, other: Callable[[], None]) -> None:
        self.api, self.other = api, other
        self.version = api.version

    def __getattr__(self, name: str) -> Any:
        return getattr(self.api, name)

    def act(self, act: Act, job_ids: Sequence[str], start_time: str | None = None) -> dict[str, Outcome]:
        if act is Act.START:
            self.other()
        return self.api.act(act, job_ids, start_time)


def test_a_start_refused_because_someone_else_started_the_job_is_recorded_as_started(world: World) -> None:
    jobs = world.jobs(2)
    racing = Racing(world.api, lambda: world.api.act(Act.START, [jobs[1]]))
    result = converge(racing, jobs, GOAL, start_time=None, timeout=600, clock=world.time.clock())  # type: ignore[arg-type]
    assert result.statuses == {j: FIRST_RUNNING for j in jobs}
    assert [world.count(j) for j in jobs] == [1, 1]
    assert result.results[jobs[1]].accepted and "already" in (result.results[jobs[1]].note or "")


def test_a_refused_start_of_a_job_that_is_not_on_its_way_fails_naming_it(world: World) -> None:
    jobs = world.jobs(2)
    racing = Racing(world.api, lambda: world.admin.set_status(jobs[1], "RELEASE_RESOURCE_COMPLETE"))
    with pytest.raises(ConvergeError) as failure:
        converge(racing, jobs, GOAL, start_time=None, timeout=600, clock=world.time.clock())  # type: ignore[arg-type]
    text = str(failure.value)
    assert text.startswith("1 job(s) could not be brought to running:")
    assert f"job {jobs[1]}: RELEASE_RESOURCE_COMPLETE" in text and jobs[0] not in text.split("\n", 1)[1]


def test_a_retried_job_still_showing_its_old_failure_gets_the_grace_then_runs(world: World) -> None:
    [job] = world.jobs(status="INCRE_TRANSFER_FAILED")
    lag = Lagging(world.api, lambda: world.admin.set_status(job, "INCRE_TRANSFER_FAILED"))
    world.time.at_sleep[4] = lambda: world.admin.set_status(job, RUNNING)
    assert converge(lag, [job], GOAL, start_time=None, timeout=600,  # type: ignore[arg-type]
                    clock=world.time.clock()).statuses == {job: RUNNING}
    assert world.count(job, "retry_count") == 1 and sum(world.time.sleeps) < ACCEPT_GRACE_SECONDS


def test_a_retried_job_still_failed_after_the_grace_fails_without_a_second_retry(world: World) -> None:
    [job] = world.jobs(status="INCRE_TRANSFER_FAILED")
    world.admin.settings(hold_statuses=["STARTJOBING"])
    lag = Lagging(world.api, lambda: world.admin.set_status(job, "INCRE_TRANSFER_FAILED"))
    with pytest.raises(ConvergeError, match="still shows this status"):
        converge(lag, [job], GOAL, start_time=None, timeout=600, clock=world.time.clock())  # type: ignore[arg-type]
    assert world.count(job, "retry_count") == 1
    assert ACCEPT_GRACE_SECONDS <= sum(world.time.sleeps) < ACCEPT_GRACE_SECONDS + 3


def test_a_start_job_failed_is_never_sent_a_start_and_fails_with_advice(world: World) -> None:
    [job] = world.jobs(status="START_JOB_FAILED")
    with pytest.raises(ConvergeError, match=rf"(?s)job {job}: START_JOB_FAILED: DRS could not start the job"):
        run(world, [job])
    assert world.starts_sent() == []


def test_a_job_that_fails_while_starting_fails_at_once_naming_it(world: World) -> None:
    [job] = world.jobs(fail_start=True)
    with pytest.raises(ConvergeError, match=rf"job {job}: START_JOB_FAILED"):
        run(world, [job])
    assert world.count(job) == 1 and sum(world.time.sleeps) < 5


def test_timeout_names_the_pending_jobs_without_sleeping_for_real(world: World) -> None:
    world.admin.settings(hold_statuses=["STARTJOBING"])
    [job] = world.jobs()
    with pytest.raises(ConvergeError, match=rf"(?s)timed out after 10 s .*{job}: STARTJOBING"):
        run(world, [job], timeout=10)
    assert 5 < sum(world.time.sleeps) <= 10 and max(world.time.sleeps) <= 2.0


def test_an_unknown_status_is_waited_on_and_named(world: World) -> None:
    [job] = world.jobs(status="SOMETHING_NEW")
    with pytest.raises(ConvergeError, match=rf"{job}: SOMETHING_NEW"):
        run(world, [job], timeout=10)
    assert sum(world.time.sleeps) > 5


def test_an_unknown_failure_status_fails_fast_naming_it(world: World) -> None:
    [job] = world.jobs(status="SOMETHING_NEW_FAILED")
    with pytest.raises(ConvergeError, match=rf"job {job}: SOMETHING_NEW_FAILED: DRS reports SOMETHING_NEW_FAILED"):
        run(world, [job])
    assert world.time.sleeps == []


def test_maintenance_of_a_started_job_counts_as_started(world: World) -> None:
    jobs = world.jobs(2, status="REBUILD_NODE_STARTED")
    assert run(world, jobs) == {j: "REBUILD_NODE_STARTED" for j in jobs}
    assert world.starts_sent() == []


def test_a_full_load_only_job_is_done_at_full_transfer_complete_for_an_incremental_wait(world: World) -> None:
    [full] = world.jobs(task_type="FULL_TRANS")
    [both] = world.jobs()
    statuses = run(world, [full, both], Goal(Target.INCREMENTAL))
    assert statuses == {full: "FULL_TRANSFER_COMPLETE", both: RUNNING}


def test_a_transient_read_problem_is_asked_again_and_never_recorded(world: World) -> None:
    [job] = world.jobs(status=RUNNING)
    world.admin.add_fault("batch-status", "status", status=200, times=2)  # an answer without the job's item
    assert run(world, [job]) == {job: RUNNING}
    world.admin.add_fault("batch-status", "status", status=200, times=0)
    with pytest.raises(ConvergeError, match=rf"(?s)did not say the status of 1 job\(s\), 3 times.*{job}"):
        run(world, [job])


def test_release_terminates_and_waits_until_released(world: World) -> None:
    world.admin.settings(hold_statuses=["RELEASE_RESOURCE_STARTED"])
    jobs = world.jobs(2, status=RUNNING)
    world.time.at_sleep[3] = lambda: world.admin.step(jobs)
    statuses = release(world.api, jobs, timeout=600, clock=world.time.clock()).statuses
    assert statuses == {j: "RELEASE_RESOURCE_COMPLETE" for j in jobs}
    assert len(world.time.sleeps) == 3 and [world.count(j, "terminate_count") for j in jobs] == [1, 1]


def test_release_of_a_busy_job_asks_again_next_round(world: World) -> None:
    world.admin.settings(hold_statuses=["STARTJOBING"])
    [job] = world.jobs()
    world.api.act(Act.START, [job])
    world.time.at_sleep[2] = lambda: world.admin.set_status(job, RUNNING)
    assert release(world.api, [job], timeout=600, clock=world.time.clock()).statuses == {
        job: "RELEASE_RESOURCE_COMPLETE"}
    assert world.count(job, "terminate_count") == 1


def test_the_forward_wait_ends_when_rpo_and_rto_are_under_60_seconds(world: World) -> None:
    [forward] = world.jobs(status=RUNNING, rpo=75, rto=5)
    world.time.at_sleep[2] = lambda: world.admin.update_job(forward, rpo=5)
    wait_forward(world.api, [forward], timeout=600, clock=world.time.clock())
    assert len(world.time.sleeps) == 2


def test_the_forward_wait_times_out_naming_what_is_not_yet_true(world: World) -> None:
    [forward] = world.jobs(status="FULL_TRANSFER_STARTED")
    with pytest.raises(ConvergeError, match=rf"forward job {forward} is FULL_TRANSFER_STARTED, not "
                                            "INCRE_TRANSFER_STARTED"):
        wait_forward(world.api, [forward], timeout=10, clock=world.time.clock())


def test_progress_lines_name_the_batch_and_come_at_least_every_30_seconds(world: World) -> None:
    world.admin.settings(hold_statuses=["STARTJOBING"])
    jobs = world.jobs(2)
    out = io.StringIO()
    report = ProgressLines("orders", "running", out=out, clock=lambda: world.time.now)
    world.time.at_sleep[40] = lambda: world.admin.step(jobs)
    converge(world.api, jobs, GOAL, start_time=None, timeout=600, clock=world.time.clock(), report=report)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("pulumi-drs: orders: 0/2 job(s) running; waiting for 2 STARTJOBING (0 s elapsed")
    assert lines[-1].startswith("pulumi-drs: orders: 2/2 job(s) running (")
    assert len(lines) >= sum(world.time.sleeps) // 30


def test_a_wait_under_five_seconds_prints_one_line() -> None:
    out = io.StringIO()
    now = [0.0]
    report = ProgressLines("orders", "running", out=out, clock=lambda: now[0])
    for elapsed, pending in ((0.0, ["a"]), (1.0, ["a"]), (2.5, [])):
        now[0] = elapsed
        report.round({"a": "STARTJOBING" if pending else RUNNING}, pending, elapsed, 600 - elapsed)
    assert out.getvalue().count("\n") == 1


# --- exact waits, counts and messages (mutation testing: docs/test-strength.md) ----------------------------


def test_a_failure_carries_every_status_read(world: World) -> None:
    [running] = world.jobs(status=RUNNING)
    [failed] = world.jobs(status="START_JOB_FAILED")
    with pytest.raises(ConvergeError) as failure:
        run(world, [running, failed])
    assert failure.value.statuses == {running: RUNNING, failed: "START_JOB_FAILED"}


def test_a_job_missing_from_answers_is_asked_again_after_pauses_that_double(world: World) -> None:
    [job] = world.jobs(status=RUNNING)
    world.admin.add_fault("batch-status", "status", status=200, times=3)  # answers without the job's item
    clock = Clock(poll_cap=10.0, now=lambda: world.time.now, sleep=world.time.sleep, wall=lambda: world.time.now)
    assert read_live(world.api, [job], clock, tries=4) == {job: RUNNING}
    assert world.time.sleeps == [1.0, 2.0, 4.0]


def test_the_pause_between_reads_of_a_missing_job_stops_growing_at_the_poll_cap(world: World) -> None:
    [job] = world.jobs(status=RUNNING)
    world.admin.add_fault("batch-status", "status", status=200, times=2)
    assert read_live(world.api, [job], world.time.clock()) == {job: RUNNING}
    assert world.time.sleeps == [1.0, 2.0]


def test_jobs_drs_keeps_leaving_out_fail_with_exactly_what_is_known(world: World) -> None:
    jobs = world.jobs(2, status=RUNNING)
    world.admin.add_fault("batch-status", "status", status=200, times=0)
    with pytest.raises(ConvergeError) as failure:
        read_live(world.api, jobs, world.time.clock(), tries=2)
    assert str(failure.value) == (f"DRS did not say the status of 2 job(s), 2 times:\n  - job {jobs[0]}: DRS's answer "
                                  f"did not include this job\n  - job {jobs[1]}: DRS's answer did not include this "
                                  "job\nNothing was recorded for them; run again later")
    assert failure.value.statuses == {} and world.time.sleeps == [1.0]


def test_a_start_drs_accepted_but_does_not_show_yet_times_out_and_is_never_sent_again(world: World) -> None:
    """DRS shows CONFIGURATION for over a minute after accepting the start: that is a wait, not a failed
    resume (no 30 s grace applies to a start), and no second start."""
    [job] = world.jobs()
    world.admin.settings(hold_statuses=["STARTJOBING"])
    lag = Lagging(world.api, lambda: world.admin.set_status(job, "CONFIGURATION"))
    with pytest.raises(ConvergeError) as failure:
        converge(lag, [job], GOAL, start_time=None, timeout=60, clock=world.time.clock())  # type: ignore[arg-type]
    assert str(failure.value).startswith(f"timed out after 60 s waiting for 1 job(s) to be running:\n  - job {job}: "
                                         "CONFIGURATION\n")
    assert world.count(job) == 1 and world.starts_sent() == [[job]]


def test_a_start_accepted_is_enough_for_an_accepted_wait_even_before_drs_shows_it(world: World) -> None:
    [job] = world.jobs()
    lag = Lagging(world.api, lambda: world.admin.set_status(job, "CONFIGURATION"))
    result = converge(lag, [job], Goal(Target.ACCEPTED), start_time=None, timeout=60,  # type: ignore[arg-type]
                      clock=world.time.clock())
    assert result.statuses == {job: "CONFIGURATION"} and world.time.sleeps == []
    assert result.results[job].accepted and world.count(job) == 1


def test_a_resume_accepted_is_enough_for_an_accepted_wait_even_before_drs_shows_it(world: World) -> None:
    [job] = world.jobs(status="PAUSING")
    lag = Lagging(world.api, lambda: world.admin.set_status(job, "PAUSING"))
    result = converge(lag, [job], Goal(Target.ACCEPTED), start_time=None, timeout=60,  # type: ignore[arg-type]
                      clock=world.time.clock())
    assert result.statuses == {job: "PAUSING"} and world.time.sleeps == []
    assert world.count(job, "retry_count") == 1


def test_the_retry_grace_ends_exactly_30_seconds_after_drs_accepted_it(world: World) -> None:
    [job] = world.jobs(status="INCRE_TRANSFER_FAILED")
    lag = Lagging(world.api, lambda: world.admin.set_status(job, "INCRE_TRANSFER_FAILED"))
    accepted_at = world.time.now

    def at_the_grace() -> None:
        world.time.now = accepted_at + ACCEPT_GRACE_SECONDS

    world.time.at_sleep[1] = at_the_grace
    with pytest.raises(ConvergeError) as failure:
        converge(lag, [job], GOAL, start_time=None, timeout=600, clock=world.time.clock())  # type: ignore[arg-type]
    assert str(failure.value).split("\n")[1] == (
        f"  - job {job}: INCRE_TRANSFER_FAILED: a resume or retry was sent 30 s ago (DRS accepted it) but DRS still "
        "shows this status: check the job in the DRS console")
    assert world.time.now == accepted_at + ACCEPT_GRACE_SECONDS and len(world.time.sleeps) == 1


def test_a_job_that_keeps_pausing_is_resumed_three_times_then_fails_naming_it(world: World) -> None:
    """After each accepted resume DRS shows the job paused again (in the other spelling, so it is seen to
    have moved): three resumes, then a failure instead of a fourth."""
    [job] = world.jobs(status="PAUSING")
    again = Racing(world.api, lambda: None)
    original = again.act

    def act(act: Act, job_ids: Sequence[str], start_time: str | None = None) -> dict[str, Outcome]:
        was = world.admin.get_job(job)["status"]
        outcome = original(act, job_ids, start_time)
        world.admin.set_status(job, "PAUSEING" if was == "PAUSING" else "PAUSING")
        return outcome

    again.act = act  # type: ignore[method-assign]
    with pytest.raises(ConvergeError) as failure:
        converge(again, [job], Goal(Target.INCREMENTAL), start_time=None, timeout=600,  # type: ignore[arg-type]
                 clock=world.time.clock())
    assert str(failure.value) == (
        f"1 job(s) could not be brought to incremental:\n  - job {job}: PAUSEING: resumed or retried 3 times in "
        "this run; check it in DRS\nFix the cause, then run `pulumi up` again: jobs already started are recorded, "
        "not started twice.")
    assert world.count(job, "retry_count") == 3


def test_refused_starts_are_each_checked_the_one_on_its_way_recorded_the_released_one_failed(world: World) -> None:
    ready, elsewhere, released = world.jobs(3)

    def meanwhile() -> None:
        world.api.act(Act.START, [elsewhere])
        world.admin.set_status(released, "RELEASE_RESOURCE_COMPLETE")

    racing = Racing(world.api, meanwhile)
    with pytest.raises(ConvergeError) as failure:
        converge(racing, [ready, elsewhere, released], GOAL, start_time=None, timeout=600,  # type: ignore[arg-type]
                 clock=world.time.clock())
    [line] = [x for x in str(failure.value).splitlines() if x.startswith("  - ")]
    refusal = world.admin.get_job(released)
    assert line == (f"  - job {released}: RELEASE_RESOURCE_COMPLETE: DRS refused the start: DRS.M05004: "
                    f"Task {released} has been deleted or its resources released (RELEASE_RESOURCE_COMPLETE). Remove "
                    "it from job_ids (a released job cannot be started again).")
    assert refusal["start_count"] == 0 and world.count(elsewhere) == 1


@dataclass
class Rounds:
    """A progress report that keeps what each poll round said."""

    said: list[tuple[dict[str, str], list[str], float, float]] = field(default_factory=list)

    def round(self, statuses: Mapping[str, str], pending: Sequence[str], elapsed: float, left: float) -> None:
        self.said.append((dict(statuses), list(pending), elapsed, left))


def test_each_poll_round_reports_statuses_pending_jobs_time_spent_and_time_left(world: World) -> None:
    world.admin.settings(hold_statuses=["STARTJOBING"])
    [job] = world.jobs()
    world.time.at_sleep[2] = lambda: world.admin.step([job])
    rounds = Rounds()
    converge(world.api, [job], GOAL, start_time=None, timeout=10, clock=world.time.clock(), report=rounds)
    assert rounds.said == [({job: "STARTJOBING"}, [job], 0.0, 10.0), ({job: "STARTJOBING"}, [job], 0.5, 9.5),
                           ({job: RUNNING}, [], 1.25, 8.75)]


def test_a_wait_that_ends_exactly_at_the_deadline_polls_until_then(world: World) -> None:
    world.admin.settings(hold_statuses=["STARTJOBING"])
    [job] = world.jobs()
    rounds = Rounds()
    with pytest.raises(ConvergeError, match="timed out after 1 s"):
        converge(world.api, [job], GOAL, start_time=None, timeout=1.25, clock=world.time.clock(), report=rounds)
    assert world.time.sleeps == [0.5, 0.75] and rounds.said[-1][2:] == (1.25, 0.0)


@pytest.mark.parametrize(("count", "more"), [(20, ""), (21, "\n  ... and 1 more")])
def test_a_timeout_lists_the_first_20_jobs_and_counts_the_rest(world: World, count: int, more: str) -> None:
    world.admin.settings(hold_statuses=["STARTJOBING"])
    jobs = world.jobs(count)
    with pytest.raises(ConvergeError) as failure:
        run(world, jobs, timeout=10)
    listed = "\n".join(f"  - job {j}: STARTJOBING" for j in jobs[:20])
    assert str(failure.value) == (f"timed out after 10 s waiting for {count} job(s) to be running:\n{listed}{more}\n"
                                  "Raise `timeout`, or run `pulumi up` again later: nothing is started twice.")


def test_a_request_that_fails_for_good_names_every_job_not_yet_there(world: World) -> None:
    [running] = world.jobs(status=RUNNING)
    [ready] = world.jobs()
    world.admin.add_fault("batch-starting", "status", status=503, times=0)
    with pytest.raises(ConvergeError) as failure:
        run(world, [running, ready])
    text = str(failure.value)
    assert text.startswith("batch-starting: DRS answered HTTP 503")
    assert text.endswith(f"\n1 job(s) not yet running:\n  - job {ready}: CONFIGURATION\nThen run `pulumi up` again "
                         "once DRS answers: jobs already started are recorded, not started twice.")
    assert failure.value.statuses == {running: RUNNING, ready: "CONFIGURATION"}


def test_a_release_whose_first_read_fails_for_good_names_the_jobs_as_not_read(world: World) -> None:
    [job] = world.jobs(status=RUNNING)
    world.admin.add_fault("batch-status", "status", status=503, times=0)
    with pytest.raises(ConvergeError) as failure:
        release(world.api, [job], timeout=60, clock=world.time.clock())
    assert str(failure.value).endswith(f"\n1 job(s) not yet released:\n  - job {job}: not read\nThen run it again "
                                       "once DRS answers.")


def test_release_records_what_drs_answered_and_terminates_a_lagging_job_once(world: World) -> None:
    """DRS accepts the terminate but shows the job running for two more reads."""
    [job] = world.jobs(status=RUNNING)
    lag = Lagging(world.api, lambda: world.admin.set_status(job, RUNNING))
    world.time.at_sleep[2] = lambda: world.admin.set_status(job, "RELEASE_RESOURCE_COMPLETE")
    result = release(lag, [job], timeout=60, clock=world.time.clock())  # type: ignore[arg-type]
    assert result.statuses == {job: "RELEASE_RESOURCE_COMPLETE"}
    assert result.results == {job: Outcome(job, True)}
    assert world.count(job, "terminate_count") == 1


def test_a_job_whose_release_failed_fails_with_what_to_do(world: World) -> None:
    [job] = world.jobs(status="RELEASE_RESOURCE_FAILED")
    with pytest.raises(ConvergeError) as failure:
        release(world.api, [job], timeout=60, clock=world.time.clock())
    assert str(failure.value) == (f"1 job(s) could not be released:\n  - job {job}: RELEASE_RESOURCE_FAILED: "
                                  "stopping failed; check the job in the DRS console\nCheck the jobs in the DRS "
                                  "console, then run again.")
    assert world.count(job, "terminate_count") == 0


def test_a_terminate_drs_refuses_fails_with_its_code_message_and_advice(world: World) -> None:
    [job] = world.jobs(status="CREATE_FAILED")
    with pytest.raises(ConvergeError) as failure:
        release(world.api, [job], timeout=60, clock=world.time.clock())
    assert str(failure.value).split("\n")[1] == (
        f"  - job {job}: DRS refused to terminate: DRS.M00304: Task {job} is already stopped (CREATE_FAILED). Check "
        "the job in the DRS console, then run `pulumi up` again.")


def test_the_forward_wait_reports_each_forward_job_ready_or_what_keeps_it(world: World) -> None:
    [ready] = world.jobs(status=RUNNING)
    [lagging] = world.jobs(status=RUNNING, rpo=75, rto=80)
    world.time.at_sleep[1] = lambda: world.admin.update_job(lagging, rpo=1, rto=1)
    rounds = Rounds()
    wait_forward(world.api, [ready, lagging], timeout=10, clock=world.time.clock(), report=rounds)
    blocked = f"forward job {lagging} has RPO 75 s, not under 60 s; forward job {lagging} has RTO 80 s, not under 60 s"
    assert rounds.said == [({ready: "ready", lagging: blocked}, [lagging], 0.0, 10.0),
                           ({ready: "ready", lagging: "ready"}, [], 0.5, 9.5)]


def test_the_forward_wait_times_out_at_its_deadline_naming_each_forward_job(world: World) -> None:
    [first] = world.jobs(status="FULL_TRANSFER_STARTED")
    [second] = world.jobs(status=RUNNING, rpo=61)
    rounds = Rounds()
    with pytest.raises(ConvergeError) as failure:
        wait_forward(world.api, [first, second], timeout=1.25, clock=world.time.clock(), report=rounds)
    assert [(elapsed, left) for _s, _p, elapsed, left in rounds.said] == [(0.0, 1.25), (0.5, 0.75), (1.25, 0.0)]
    assert str(failure.value) == (
        f"timed out after 1 s waiting for the DR forward jobs:\n  - forward job {first} is FULL_TRANSFER_STARTED, not "
        f"INCRE_TRANSFER_STARTED\n  - forward job {second} has RPO 61 s, not under 60 s\nNothing was started. Raise "
        "`timeout`, or run `pulumi up` again once they replicate with RPO and RTO under 60 s.")
    assert world.time.sleeps == [0.5, 0.75]
    assert failure.value.statuses == {first: f"forward job {first} is FULL_TRANSFER_STARTED, not "
                                             "INCRE_TRANSFER_STARTED",
                                      second: f"forward job {second} has RPO 61 s, not under 60 s"}


def test_the_forward_wait_asks_again_when_drs_leaves_a_forward_job_out(world: World) -> None:
    [forward] = world.jobs(status=RUNNING)
    world.admin.add_fault("batch-status", "status", status=200)
    wait_forward(world.api, [forward], timeout=10, clock=world.time.clock())
    assert world.time.sleeps == [1.0]


def busy_at_first(world: World, monkeypatch: pytest.MonkeyPatch, times: int) -> None:
    """The emulator answers its first `times` resumes or retries per item with DRS.M01504, as it answers a
    terminate while another operation runs on the job; then as usual."""
    backend = world.emu.state.backend
    real = backend.batch_restore_task
    left = [times]

    def batch_restore_task(project_id: str, items: Sequence[Any]) -> list[EmulatedOutcome]:
        if left[0] <= 0:
            return real(project_id, items)
        left[0] -= 1
        return [EmulatedOutcome(i.job_id, OperationInProgress(f"Task {i.job_id} is busy; try again later."))
                for i in items]

    monkeypatch.setattr(backend, "batch_restore_task", batch_restore_task)


def test_a_resume_drs_answers_busy_three_times_is_asked_again_until_accepted(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    [job] = world.jobs(status="PAUSING")
    busy_at_first(world, monkeypatch, 3)
    assert run(world, [job], Goal(Target.INCREMENTAL)) == {job: RUNNING}
    assert world.count(job, "retry_count") == 1 and len(world.time.sleeps) == 3


def test_a_resume_drs_answers_busy_four_times_fails_naming_the_code(world: World,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    [job] = world.jobs(status="PAUSING")
    busy_at_first(world, monkeypatch, 4)
    with pytest.raises(ConvergeError) as failure:
        run(world, [job], Goal(Target.INCREMENTAL))
    assert str(failure.value).split("\n")[1] == (
        f"  - job {job}: PAUSING: DRS refused the resume: DRS.M01504: Task {job} is busy; try again later. Wait "
        "until the other operation ends, then run `pulumi up` again.")
    assert world.count(job, "retry_count") == 0


def test_with_api_v5_a_job_drs_allows_nothing_useful_for_fails_quoting_what_drs_allows(world: World) -> None:
    settings = Settings(endpoint=world.emu.url, project_id=DEFAULT_PROJECT_ID, access_key=DEFAULT_ACCESS_KEY,
                        secret_key=DEFAULT_SECRET_KEY, backoff_factor=0, max_retries=2, api_version="v5")
    api = connect(settings, session=world.emu.session())
    [job] = world.jobs(status="REBUILD_NODE_FAILED")
    with pytest.raises(ConvergeError) as failure:
        run(world, [job], api=api)
    assert str(failure.value).split("\n")[1] == (
        f"  - job {job}: REBUILD_NODE_FAILED: `pulumi up` needs START or RETRY, but DRS allows only FREE_RESOURCE for "
        "this job now: DRS could not recover the job's replication node: check the job in the DRS console and "
        "contact Huawei Cloud support if it stays there; `pulumi up` cannot repair this")


def test_a_resume_whose_answer_was_lost_is_not_taken_as_accepted_until_drs_shows_it(world: World) -> None:
    """The resume never reached DRS (the connection dropped before): for a wait that ends at "accepted", the
    job is not accepted while DRS still shows it paused, and after the grace the failure says why."""
    [job] = world.jobs(status="PAUSING")
    world.admin.add_fault("batch-retry-task", "drop_before")
    with pytest.raises(ConvergeError) as failure:
        run(world, [job], Goal(Target.ACCEPTED))
    assert str(failure.value).split("\n")[1] == (
        f"  - job {job}: PAUSING: a resume or retry was sent 30 s ago (its answer was lost) but DRS still shows this "
        "status: check the job in the DRS console")
    assert world.count(job, "retry_count") == 0 and sum(world.time.sleeps) >= ACCEPT_GRACE_SECONDS


def test_a_release_whose_terminate_fails_for_good_names_the_jobs_not_yet_released(world: World) -> None:
    [job] = world.jobs(status=RUNNING)
    world.admin.add_fault("batch-jobs", "status", status=503, times=0)
    with pytest.raises(ConvergeError) as failure:
        release(world.api, [job], timeout=60, clock=world.time.clock())
    assert str(failure.value).startswith("batch-jobs: DRS answered HTTP 503")
    assert str(failure.value).endswith(f"\n1 job(s) not yet released:\n  - job {job}: {RUNNING}\nThen run it again "
                                       "once DRS answers.")


def test_a_per_item_error_in_place_of_a_status_is_asked_again_then_named_with_its_code(world: World) -> None:
    """DRS may answer an item of batch-status with an error code and message instead of a status (SDK
    QueryJobStatusResp); the emulator never does, so its answers are rewritten on their way here."""
    [job] = world.jobs(status=RUNNING)
    session = world.emu.session()

    def busy_item(response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        if (response.request.path_url or "").endswith("/batch-status"):
            item = {"id": job, "error_code": "DRS.M01504", "error_message": "Task is busy."}
            response._content = json.dumps({"count": 1, "results": [item]}).encode()

    session.hooks["response"].append(busy_item)
    settings = Settings(endpoint=world.emu.url, project_id=DEFAULT_PROJECT_ID, access_key=DEFAULT_ACCESS_KEY,
                        secret_key=DEFAULT_SECRET_KEY, backoff_factor=0, max_retries=2)
    with pytest.raises(ConvergeError) as failure:
        read_live(connect(settings, session=session), [job], world.time.clock())
    assert str(failure.value) == (f"DRS did not say the status of 1 job(s), 3 times:\n  - job {job}: DRS.M01504: Task "
                                  "is busy. Wait until the other operation ends, then run `pulumi up` again.\nNothing "
                                  "was recorded for them; run again later")


# --- API v5, actions answered asynchronously (202 with a query per job) ------------------------------------


def v5_answering_asynchronously(world: World) -> DrsApi:
    world.admin.settings(v5_action_answer="async")
    settings = Settings(endpoint=world.emu.url, project_id=DEFAULT_PROJECT_ID, access_key=DEFAULT_ACCESS_KEY,
                        secret_key=DEFAULT_SECRET_KEY, backoff_factor=0, max_retries=2, api_version="v5")
    return connect(settings, session=world.emu.session())


def test_with_v5_answering_asynchronously_each_job_is_started_once_and_waited_to_running(world: World) -> None:
    api = v5_answering_asynchronously(world)
    jobs = world.jobs(2)
    assert run(world, jobs, api=api) == {j: FIRST_RUNNING for j in jobs}
    assert [world.count(j) for j in jobs] == [1, 1]
    assert [r["job_ids"] for r in world.admin.requests_log() if r["path"].endswith("/jobs/action")] == [jobs]


def test_with_v5_answering_asynchronously_a_start_drs_refuses_fails_naming_the_job_and_the_code(world: World) -> None:
    api = v5_answering_asynchronously(world)
    [parent] = world.jobs()
    world.jobs(parent_id=parent)
    with pytest.raises(ConvergeError) as failure:
        run(world, [parent], api=api)
    line = str(failure.value).split("\n")[1]
    assert line.startswith(f"  - job {parent}: CONFIGURATION: DRS refused the start: DRS.M00307: DRS accepted the "
                           f"request for job {parent} (query "), line
    assert line.endswith("then reported it failed: Task " + parent + " is a parent task; start its subtasks. List "
                         "the parent task's subtasks in job_ids instead of the parent."), line
    assert world.count(parent) == 0


def test_with_v5_answering_asynchronously_a_job_that_then_fails_to_start_fails_naming_it(world: World) -> None:
    api = v5_answering_asynchronously(world)
    [job] = world.jobs(fail_start=True)
    with pytest.raises(ConvergeError, match=rf"job {job}: START_JOB_FAILED: .*DRS could not start the job"):
        run(world, [job], api=api)
    assert world.count(job) == 1

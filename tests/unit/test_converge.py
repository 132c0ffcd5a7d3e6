"""Converging a batch against the emulator in process, on a fake clock: every poll round plans again.

Time is the test's: `converge` sleeps through `Clock.sleep`, which advances the fake time and runs the
test's `at_sleep` hooks, so drift "during the wait" happens at a chosen poll round, never by sleeping.
The emulator takes one queued status step per status read (`reads_per_step=1`).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from pulumi_drs.api import DrsApi, connect
from pulumi_drs.api.base import Act, Outcome
from pulumi_drs.converge import ACCEPT_GRACE_SECONDS, Clock, ConvergeError, converge, release, wait_forward
from pulumi_drs.emulator import DEFAULT_ACCESS_KEY, DEFAULT_PROJECT_ID, DEFAULT_SECRET_KEY, EmulatorAdmin
from pulumi_drs.emulator.inprocess import InProcessEmulator
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
    lag = Racing(world.api, lambda: None)
    original = lag.act

    def act(act: Act, job_ids: Sequence[str], start_time: str | None = None) -> dict[str, Outcome]:
        outcome = original(act, job_ids, start_time)
        world.admin.set_status(job, "INCRE_TRANSFER_FAILED")  # DRS still shows the old status a while
        return outcome

    lag.act = act  # type: ignore[method-assign]
    world.time.at_sleep[4] = lambda: world.admin.set_status(job, RUNNING)
    assert converge(lag, [job], GOAL, start_time=None, timeout=600,  # type: ignore[arg-type]
                    clock=world.time.clock()).statuses == {job: RUNNING}
    assert world.count(job, "retry_count") == 1 and sum(world.time.sleeps) < ACCEPT_GRACE_SECONDS


def test_a_retried_job_still_failed_after_the_grace_fails_without_a_second_retry(world: World) -> None:
    [job] = world.jobs(status="INCRE_TRANSFER_FAILED")
    world.admin.settings(hold_statuses=["STARTJOBING"])
    lag = Racing(world.api, lambda: None)
    original = lag.act

    def act(act: Act, job_ids: Sequence[str], start_time: str | None = None) -> dict[str, Outcome]:
        outcome = original(act, job_ids, start_time)
        world.admin.set_status(job, "INCRE_TRANSFER_FAILED")
        return outcome

    lag.act = act  # type: ignore[method-assign]
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

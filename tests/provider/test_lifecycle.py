"""lifecycle's steps called with a Context as a front door builds one, against the emulator: what a step
says and shows, and what it records, where neither door's tests pin it down."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import pytest
from pulumi.output import Unknown

from drs_testing.e2e import AK, PROJECT_ID, SK
from drs_testing.provider_steps import new_jobs
from pulumi_drs import lifecycle
from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess
from pulumi_drs.inputs import BatchInputs
from pulumi_drs.lifecycle import BatchError, CheckMemo, Context
from pulumi_drs.settings import ProviderConfig

RUNNING = "INCRE_TRANSFER_STARTED"
GHOSTS = ["0badc0de-0000-4000-8000-0000000jb101", "0badc0de-0000-4000-8000-0000000jb102"]


@dataclass
class Seen:
    said: list[str] = field(default_factory=list)
    goals: list[str] = field(default_factory=list)
    rounds: list[Sequence[str]] = field(default_factory=list)

    def progress(self, goal: str) -> Seen:
        self.goals.append(goal)
        return self

    def round(self, statuses: Mapping[str, str], pending: Sequence[str], elapsed: float, left: float) -> None:
        self.rounds.append(list(pending))


@pytest.fixture
def seen() -> Seen:
    return Seen()


@pytest.fixture
def ctx(emulator: EmulatorProcess, seen: Seen, monkeypatch: pytest.MonkeyPatch) -> Context:
    monkeypatch.setenv("PULUMI_DRS_POLL_INTERVAL_MAX", "0.05")
    config = ProviderConfig.read({"drs:endpoint": emulator.url, "drs:projectId": PROJECT_ID, "drs:accessKey": AK,
                                  "drs:secretKey": SK})
    return Context(config=config, memo=CheckMemo(), say=seen.said.append, progress=seen.progress)


def recorded(statuses: dict[str, str], **inputs: object) -> dict[str, object]:
    return {"job_ids": list(statuses), **inputs, "results": [], "count": len(statuses), "job_statuses": statuses}


def test_jobs_dropped_from_the_batch_are_each_named(ctx: Context, seen: Seen, admin: EmulatorAdmin) -> None:
    kept, one, two = new_jobs(admin, 3, status=RUNNING)
    lifecycle.update(ctx, recorded({kept: RUNNING, one: RUNNING, two: RUNNING}), {"job_ids": [kept]})
    assert seen.said == [f"2 job(s) dropped from the batch and left running: {', '.join(sorted([one, two]))}"]


def test_an_update_reads_drs_when_the_recorded_status_was_drift_even_if_check_saw_none(
        ctx: Context, admin: EmulatorAdmin) -> None:
    """Check read DRS and found the job running again (no `drift`); the recorded PAUSING is stale: the update
    records what DRS says now, not the stale status."""
    job = new_jobs(admin, status=RUNNING)[0]
    ctx.memo.note(BatchInputs(job_ids=[job]), read=True)
    outs = lifecycle.update(ctx, recorded({job: "PAUSING"}), {"job_ids": [job], "wait": "incremental"})
    assert outs["job_statuses"] == {job: RUNNING}


def test_a_planned_count_is_unknown_while_a_job_id_is(ctx: Context) -> None:
    planned = lifecycle.planned_outputs({"job_ids": ["a", Unknown()]})  # type: ignore[no-untyped-call]
    assert isinstance(planned["count"], Unknown)
    assert isinstance(lifecycle.planned_outputs({"job_ids": Unknown()})["count"],  # type: ignore[no-untyped-call]
                      Unknown)
    assert lifecycle.planned_outputs({"job_ids": ["a", "b"]})["count"] == 2


def test_an_import_of_jobs_drs_does_not_know_names_each_and_records_nothing(ctx: Context) -> None:
    with pytest.raises(BatchError) as err:
        lifecycle.read(ctx, ",".join(GHOSTS), {}, importing=True)
    assert str(err.value) == (f"DRS knows no job {', '.join(GHOSTS)} in this project: check the job IDs (and the "
                              "region and project) given as the ID; nothing was recorded")


def test_a_delete_that_stops_the_jobs_shows_the_wait_for_their_release(ctx: Context, seen: Seen,
                                                                       admin: EmulatorAdmin) -> None:
    job = new_jobs(admin, status=RUNNING)[0]
    lifecycle.delete(ctx, recorded({job: RUNNING}, stop_on_delete=True))
    assert seen.goals == ["released"] and seen.rounds and seen.rounds[-1] == []


def test_a_batch_id_depends_only_on_its_set_of_jobs_and_never_changes_between_versions() -> None:
    jobs = ["bbbbbbbb-0000-4000-8000-00000000b101", "aaaaaaaa-0000-4000-8000-00000000a101"]
    assert lifecycle.batch_id(BatchInputs(job_ids=jobs)) == "drsbatch-04e5c5ee7ca7ceb9"
    assert lifecycle.batch_id(BatchInputs(job_ids=jobs[::-1])) == "drsbatch-04e5c5ee7ca7ceb9"


def test_check_and_read_pause_between_reads_through_the_doors_sleep_no_longer_than_the_poll_setting(
        ctx: Context, admin: EmulatorAdmin) -> None:
    """A pause before asking DRS again goes through the front door's sleep (the native one ends at Cancel)
    and lasts at most `poll_interval_max` (0.05 s here)."""
    slept: list[float] = []
    paced = replace(ctx, sleep=slept.append)
    [job] = new_jobs(admin, status=RUNNING)
    admin.add_fault("batch-status", "status", status=200)  # one answer without the job's item
    assert lifecycle.check(paced, {}, {"job_ids": [job]})[1] == []
    assert slept == [0.05]
    admin.add_fault("batch-status", "status", status=200)
    outs, _inputs = lifecycle.read(paced, job, {})
    assert outs["job_statuses"] == {job: RUNNING} and slept == [0.05, 0.05]

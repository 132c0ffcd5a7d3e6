"""wait_for's decisions, with a scripted DRS and a fake clock."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from pulumi_drs import wire
from pulumi_drs.reconcile import ACCEPT_GRACE_SECONDS, Poller, WaitFailed, WaitTarget, wait_for

JOB = "aaaaaaaa-0000-4000-8000-00000000a101"


class ScriptedDrs:
    """Answers batch-status from a script of statuses, one per read, the last one repeated."""

    def __init__(self, script: list[str]) -> None:
        self.script = script
        self.reads = 0

    def job_statuses(self, job_ids: Sequence[str]) -> dict[str, wire.JobStatusResult]:
        status = self.script[min(self.reads, len(self.script) - 1)]
        self.reads += 1
        return {j: wire.JobStatusResult(id=j, status=status) for j in job_ids}


def fake_poller() -> tuple[Poller, list[float]]:
    now = [0.0]
    return Poller(cap_seconds=2.0, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s)), now


def test_a_retried_job_still_showing_its_old_failure_is_given_time() -> None:
    drs = ScriptedDrs(["INCRE_TRANSFER_FAILED", "INCRE_TRANSFER_FAILED", "STARTJOBING", "INCRE_TRANSFER_STARTED"])
    poller, _ = fake_poller()
    final = wait_for(drs, {JOB: "INCRE_TRANSFER_FAILED"}, WaitTarget.RUNNING, 600, poller,  # type: ignore[arg-type]
                     acted_from={JOB: "INCRE_TRANSFER_FAILED"})
    assert final == {JOB: "INCRE_TRANSFER_STARTED"}


def test_the_old_failure_counts_once_the_grace_has_passed() -> None:
    drs = ScriptedDrs(["INCRE_TRANSFER_FAILED"])
    poller, now = fake_poller()
    with pytest.raises(WaitFailed, match="INCRE_TRANSFER_FAILED"):
        wait_for(drs, {JOB: "INCRE_TRANSFER_FAILED"}, WaitTarget.RUNNING, 600, poller,  # type: ignore[arg-type]
                 acted_from={JOB: "INCRE_TRANSFER_FAILED"})
    assert ACCEPT_GRACE_SECONDS <= now[0] < ACCEPT_GRACE_SECONDS + 3


def test_a_new_failure_fails_at_once() -> None:
    drs = ScriptedDrs(["START_JOB_FAILED"])
    poller, now = fake_poller()
    with pytest.raises(WaitFailed, match=f"job {JOB}: START_JOB_FAILED"):
        wait_for(drs, {JOB: "STARTJOBING"}, WaitTarget.RUNNING, 600, poller,  # type: ignore[arg-type]
                 acted_from={JOB: "CONFIGURATION"})
    assert now[0] < 1


def test_incremental_waits_past_the_full_phase() -> None:
    drs = ScriptedDrs(["FULL_TRANSFER_STARTED", "FULL_TRANSFER_COMPLETE", "INCRE_TRANSFER_STARTED"])
    poller, _ = fake_poller()
    final = wait_for(drs, {JOB: "STARTJOBING"}, WaitTarget.INCREMENTAL, 600, poller)  # type: ignore[arg-type]
    assert final == {JOB: "INCRE_TRANSFER_STARTED"} and drs.reads >= 3

"""The pure decisions, as tables: what up does for a status, when a job is where the batch wants it."""

from __future__ import annotations

import pytest

from pulumi_drs import plan
from pulumi_drs.plan import ForwardState, Goal, Step, Target
from pulumi_drs.semantics import NOT_FOUND

RUNNING = Goal(Target.RUNNING)
SCHEDULED = Goal(Target.RUNNING, has_start_time=True)
INCREMENTAL = Goal(Target.INCREMENTAL)
ACCEPTED = Goal(Target.ACCEPTED)
RELEASED = Goal(Target.RELEASED)


@pytest.mark.parametrize(("status", "step"), [
    ("CONFIGURATION", Step.START),
    ("CREATING", Step.WAIT),
    ("STARTJOBING", Step.NONE),
    ("WAITING_FOR_START", Step.NONE),
    ("INCRE_TRANSFER_STARTED", Step.NONE),
    ("PAUSING", Step.RESUME),
    ("FULL_TRANSFER_FAILED", Step.RETRY),
    ("CHILD_TRANSFER_FAILED", Step.RETRY_RE_EDIT),
    ("START_JOB_FAILED", Step.FAIL),
    ("RELEASE_RESOURCE_COMPLETE", Step.FAIL),
    (NOT_FOUND, Step.FAIL),
    ("NODE_UPGRADE_FAILED", Step.FAIL),
    ("SOMETHING_NEW", Step.WAIT),
])
def test_plan_job(status: str, step: Step) -> None:
    p = plan.plan_job("j", status)
    assert p.step is step
    assert bool(p.reason) == (step is Step.FAIL)


@pytest.mark.parametrize(("status", "drift"), [
    ("INCRE_TRANSFER_STARTED", False), ("FULL_TRANSFER_COMPLETE", False), ("STARTJOBING", False),
    ("WAITING_FOR_START", False), ("REBUILD_NODE_STARTED", False), ("SOMETHING_NEW", False), (None, False),
    ("PAUSING", True), ("CONFIGURATION", True), ("INCRE_TRANSFER_FAILED", True), (NOT_FOUND, True),
    ("REBUILD_NODE_FAILED", True), ("RELEASE_RESOURCE_COMPLETE", True),
])
def test_is_drift(status: str | None, drift: bool) -> None:
    assert plan.is_drift(status) is drift


@pytest.mark.parametrize(("goal", "status", "task_type", "accepted", "done"), [
    (RUNNING, "INCRE_TRANSFER_STARTED", None, False, True),
    (RUNNING, "FULL_TRANSFER_STARTED", None, False, True),
    (RUNNING, "NODE_UPGRADE_START", None, False, True),
    (RUNNING, "STARTJOBING", None, True, False),
    (RUNNING, "WAITING_FOR_START", None, True, False),  # no start time: waited through
    (SCHEDULED, "WAITING_FOR_START", None, True, True),
    (RUNNING, "PAUSING", None, False, False),
    (INCREMENTAL, "FULL_TRANSFER_COMPLETE", "FULL_INCR_TRANS", False, False),
    (INCREMENTAL, "FULL_TRANSFER_COMPLETE", "FULL_TRANS", False, True),
    (INCREMENTAL, "FULL_TRANSFER_COMPLETE", None, False, False),
    (INCREMENTAL, "INCRE_TRANSFER_STARTED", None, False, True),
    (ACCEPTED, "CONFIGURATION", None, True, True),
    (ACCEPTED, "CONFIGURATION", None, False, False),
    (ACCEPTED, "STARTJOBING", None, False, True),
    (ACCEPTED, "PAUSING", None, False, False),
    (RELEASED, "RELEASE_RESOURCE_STARTED", None, False, False),
    (RELEASED, "RELEASE_RESOURCE_COMPLETE", None, False, True),
    (RELEASED, NOT_FOUND, None, False, True),
    (RELEASED, "DELETED", None, False, True),
])
def test_reached(goal: Goal, status: str, task_type: str | None, accepted: bool, done: bool) -> None:
    assert plan.reached(goal, status, task_type, accepted) is done


def test_only_an_incremental_wait_reads_the_task_type_of_a_full_phase_job() -> None:
    assert plan.needs_task_type(INCREMENTAL, "FULL_TRANSFER_COMPLETE")
    assert not plan.needs_task_type(RUNNING, "FULL_TRANSFER_COMPLETE")
    assert not plan.needs_task_type(INCREMENTAL, "INCRE_TRANSFER_STARTED")


@pytest.mark.parametrize(("status", "code", "recorded"), [
    ("PAUSING", None, "PAUSING"),
    (None, "DRS.M05003", NOT_FOUND),
    (None, "DRS.M05004", NOT_FOUND),
    (None, "DRS.M00289", NOT_FOUND),
    (None, "DRS.M01504", None),  # a transient per-item error is never recorded as a status
    (None, "DRS.M00004", None),
    (None, None, None),
])
def test_recorded_status(status: str | None, code: str | None, recorded: str | None) -> None:
    assert plan.recorded_status(status, code) == recorded


def test_a_parent_task_is_named_with_its_subtasks() -> None:
    problems = plan.start_blockers({"p": ["c1", "c2"], "plain": []})
    assert problems == ["job p is a parent task; DRS starts only its subtasks: list them in job_ids instead of "
                        "it: c1, c2"]


@pytest.mark.parametrize(("state", "blocked"), [
    (ForwardState("f", "INCRE_TRANSFER_STARTED", 59.9, 0.0), []),
    (ForwardState("f", "INCRE_TRANSFER_STARTED", 60.0, 0.0), ["forward job f has RPO 60 s, not under 60 s"]),
    (ForwardState("f", "INCRE_TRANSFER_STARTED", 1.0, 60.0), ["forward job f has RTO 60 s, not under 60 s"]),
    (ForwardState("f", "INCRE_TRANSFER_STARTED", None, 1.0), ["forward job f has RPO unknown, not under 60 s"]),
    (ForwardState("f", "FULL_TRANSFER_STARTED", 1.0, 1.0),
     ["forward job f is FULL_TRANSFER_STARTED, not INCRE_TRANSFER_STARTED"]),
])
def test_forward_blockers(state: ForwardState, blocked: list[str]) -> None:
    assert plan.forward_blockers([state]) == blocked


@pytest.mark.parametrize(("status", "allowed", "step"), [
    ("CONFIGURATION", ("START", "DELETE"), Step.START),
    ("PAUSING", ("RETRY",), Step.RESUME),
    ("CHILD_TRANSFER_FAILED", ("RETRY", "RESET"), Step.RETRY_RE_EDIT),
    ("START_JOB_FAILED", ("START",), Step.START),  # DRS says a start is possible: v5 follows DRS
    ("INCRE_TRANSFER_FAILED", ("RESET",), Step.FAIL),
    ("CONFIGURATION", (), Step.FAIL),
    ("INCRE_TRANSFER_STARTED", ("PAUSE",), Step.NONE),  # nothing to do: what DRS allows does not matter
    (NOT_FOUND, ("START",), Step.FAIL),
])
def test_with_api_v5_what_drs_allows_decides(status: str, allowed: tuple[str, ...], step: Step) -> None:
    assert plan.plan_job("j", status, allowed).step is step


def test_when_nothing_allowed_fits_the_message_quotes_what_drs_allows() -> None:
    reason = plan.plan_job("j", "INCRE_TRANSFER_FAILED", ("RESET", "DELETE")).reason
    assert "needs RETRY, but DRS allows only DELETE, RESET for this job now" in reason


# --- exact plans (mutation testing: docs/test-strength.md) ----------------------------------------------


@pytest.mark.parametrize(("status", "allowed", "expected"), [
    ("PAUSING", ("RETRY",), plan.JobPlan("j", "PAUSING", Step.RESUME)),
    ("CONFIGURATION", ("START",), plan.JobPlan("j", "CONFIGURATION", Step.START)),
    ("START_JOB_FAILED", ("START",), plan.JobPlan("j", "START_JOB_FAILED", Step.START)),
    ("START_JOB_FAILED", ("RETRY",), plan.JobPlan("j", "START_JOB_FAILED", Step.RETRY)),
    ("REBUILD_NODE_FAILED", ("RETRY", "DELETE"), plan.JobPlan("j", "REBUILD_NODE_FAILED", Step.RETRY)),
])
def test_a_plan_that_follows_what_drs_allows_names_the_job_and_its_status(
        status: str, allowed: tuple[str, ...], expected: plan.JobPlan) -> None:
    assert plan.plan_job("j", status, allowed) == expected


def test_a_configured_job_for_which_drs_allows_only_a_retry_is_not_started() -> None:
    assert plan.plan_job("j", "CONFIGURATION", ("RETRY",)) == plan.JobPlan(
        "j", "CONFIGURATION", Step.FAIL,
        "`pulumi up` needs START, but DRS allows only RETRY for this job now: check it in the DRS console")


def test_a_failed_job_drs_allows_nothing_for_says_start_or_retry_and_the_advice() -> None:
    advice = plan.plan_job("j", "START_JOB_FAILED").reason
    assert plan.plan_job("j", "START_JOB_FAILED", ("RESET",)) == plan.JobPlan(
        "j", "START_JOB_FAILED", Step.FAIL,
        f"`pulumi up` needs START or RETRY, but DRS allows only RESET for this job now: {advice}")


def test_a_job_drs_allows_no_action_for_says_so() -> None:
    assert plan.plan_job("j", "INCRE_TRANSFER_FAILED", ()).reason == (
        "`pulumi up` needs RETRY, but DRS allows only no action for this job now: check it in the DRS console")


def test_a_table_plan_of_a_job_that_needs_no_person_carries_no_reason() -> None:
    assert [plan.plan_job("j", s) for s in ("CONFIGURATION", "PAUSING", "CREATING")] == [
        plan.JobPlan("j", "CONFIGURATION", Step.START), plan.JobPlan("j", "PAUSING", Step.RESUME),
        plan.JobPlan("j", "CREATING", Step.WAIT)]


def test_reached_without_accepted_means_nothing_was_accepted_in_this_run() -> None:
    assert plan.reached(ACCEPTED, "CONFIGURATION") is False
    assert plan.reached(ACCEPTED, "CONFIGURATION", accepted=True) is True


def test_an_unreadable_forward_job_is_named_unreadable() -> None:
    assert plan.forward_blockers([ForwardState("f", None, None, None)]) == [
        "forward job f is unreadable, not INCRE_TRANSFER_STARTED"]

"""The provider's lifecycle branches, called directly with an in-memory DRS (see fake_client)."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import Unknown

from drs_testing.fake_client import FakeDrsClient, FakeJob
from pulumi_drs import provider as provider_module
from pulumi_drs import wire
from pulumi_drs.provider import BatchError, StartedJobBatchProvider
from pulumi_drs.reconcile import Poller

A = "aaaaaaaa-0000-4000-8000-00000000a101"
B = "bbbbbbbb-0000-4000-8000-00000000b101"
C = "cccccccc-0000-4000-8000-00000000c101"
FWD = "ffffffff-0000-4000-8000-00000000f101"


@pytest.fixture
def drs(monkeypatch: pytest.MonkeyPatch) -> FakeDrsClient:
    fake = FakeDrsClient()
    monkeypatch.setattr(provider_module, "_client", lambda inputs: fake)
    monkeypatch.setattr("pulumi_drs.reconcile.FIRST_POLL_SECONDS", 0.001)
    return fake


@pytest.fixture
def prov() -> StartedJobBatchProvider:
    return StartedJobBatchProvider()


def outs(job_ids: list[str], statuses: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {"job_ids": job_ids, "wait": "running", "timeout": 3600, "stop_on_delete": False,
            "results": [], "count": len(job_ids), "job_statuses": statuses, **extra}


def news(job_ids: list[str], **extra: Any) -> dict[str, Any]:
    return {"job_ids": job_ids, "wait": "running", "timeout": 3600, "stop_on_delete": False, **extra}


RUNNING = "INCRE_TRANSFER_STARTED"

DIFF_CASES = [
    ("nothing changed", outs([A, B], {A: RUNNING, B: RUNNING}), news([A, B]), False),
    ("order changed only", outs([A, B], {A: RUNNING, B: RUNNING}), news([B, A]), False),
    ("job added", outs([A], {A: RUNNING}), news([A, B]), True),
    ("job removed", outs([A, B], {A: RUNNING, B: RUNNING}), news([A]), True),
    ("job paused", outs([A, B], {A: RUNNING, B: "PAUSING"}), news([A, B]), True),
    ("job paused, old spelling", outs([A], {A: "PAUSEING"}), news([A]), True),
    ("job failed", outs([A], {A: "INCRE_TRANSFER_FAILED"}), news([A]), True),
    ("job vanished", outs([A], {A: "NOT_FOUND"}), news([A]), True),
    ("job released", outs([A], {A: "RELEASE_RESOURCE_COMPLETE"}), news([A]), True),
    ("job reset to configuration", outs([A], {A: "CONFIGURATION"}), news([A]), True),
    ("job still starting is not drift", outs([A], {A: "STARTJOBING"}), news([A]), False),
    ("scheduled job is not drift", outs([A], {A: "WAITING_FOR_START"}), news([A]), False),
    ("full phase complete is not drift", outs([A], {A: "FULL_TRANSFER_COMPLETE"}), news([A]), False),
    ("unknown status string is not drift", outs([A], {A: "SOMETHING_NEW"}), news([A]), False),
    ("start_time change after start", outs([A], {A: RUNNING}, start_time="1900000000000"),
     news([A], start_time="1900000001000"), False),
    ("wait changed", outs([A], {A: RUNNING}), news([A], wait="accepted"), True),
    ("timeout changed", outs([A], {A: RUNNING}), news([A], timeout=60), True),
    ("stop_on_delete changed", outs([A], {A: RUNNING}), news([A], stop_on_delete=True), True),
    ("language changed", outs([A], {A: RUNNING}), news([A], language="zh-cn"), True),
]


@pytest.mark.parametrize(("case", "olds", "new", "changes"), DIFF_CASES, ids=[c[0] for c in DIFF_CASES])
def test_diff(prov: StartedJobBatchProvider, case: str, olds: dict[str, Any], new: dict[str, Any],
              changes: bool) -> None:
    result = prov.diff("drsbatch-x", olds, new)
    assert result.changes is changes, case
    assert not result.replaces


def test_diff_with_unknown_job_ids_is_unknown(prov: StartedJobBatchProvider) -> None:
    result = prov.diff("drsbatch-x", outs([A], {A: RUNNING}), news([A, Unknown()]))  # type: ignore[list-item]
    assert result.changes is None and not result.replaces


def test_check_with_unknown_inputs_asks_drs_nothing(prov: StartedJobBatchProvider, drs: FakeDrsClient) -> None:
    result = prov.check({}, {"job_ids": Unknown()})
    inputs, failures = result.inputs, result.failures
    assert failures == [] and isinstance(inputs["job_ids"], Unknown)
    assert drs.calls == []


def test_check_reports_each_job_drs_cannot_start(prov: StartedJobBatchProvider, drs: FakeDrsClient) -> None:
    drs.jobs[A] = FakeJob(status=RUNNING)
    drs.jobs[B] = FakeJob(status="RELEASE_RESOURCE_COMPLETE")
    drs.jobs[FWD] = FakeJob(status="FULL_TRANSFER_STARTED")
    drs.jobs["dddddddd-0000-4000-8000-00000000d101"] = FakeJob(detail={"children": ["x"]})
    drs.jobs["eeeeeeee-0000-4000-8000-00000000e101"] = FakeJob(detail={
        "job_direction": "down", "db_use_type": "cloudDataGuard", "master_job_id": FWD})
    ids = [A, B, C, "dddddddd-0000-4000-8000-00000000d101", "eeeeeeee-0000-4000-8000-00000000e101"]
    failures = prov.check({}, {"job_ids": ids}).failures
    reasons = [f.reason for f in failures]
    assert all(f.property == "job_ids" for f in failures)
    assert len(reasons) == 4, reasons
    assert any(B in r and "RELEASE_RESOURCE_COMPLETE" in r and "remove it from job_ids" in r for r in reasons)
    assert any(C in r and "does not know this job" in r for r in reasons)
    assert any("parent task" in r for r in reasons)
    assert any("forward task" in r and "FULL_TRANSFER_STARTED" in r for r in reasons)
    assert "start" not in drs.kinds()


def test_check_dr_backward_task_needs_low_rpo(prov: StartedJobBatchProvider, drs: FakeDrsClient) -> None:
    drs.jobs[FWD] = FakeJob(status=RUNNING, delay="75")
    drs.jobs[A] = FakeJob(detail={"job_direction": "down", "db_use_type": "cloudDataGuard", "master_job_id": FWD})
    reasons = [f.reason for f in prov.check({}, {"job_ids": [A]}).failures]
    assert len(reasons) == 1 and "RPO 75.0 s" in reasons[0]
    drs.jobs[FWD].delay = "3"
    assert prov.check({}, {"job_ids": [A]}).failures == []


def test_create_starts_only_jobs_that_need_it(prov: StartedJobBatchProvider, drs: FakeDrsClient) -> None:
    drs.jobs[A] = FakeJob()
    drs.jobs[B] = FakeJob(status=RUNNING)
    result = prov.create(news([A, B]))
    assert drs.jobs[A].start_count == 1 and drs.jobs[B].start_count == 0
    assert ("start", (A,)) in drs.calls
    assert result.outs["job_statuses"] == {A: RUNNING, B: RUNNING}
    assert result.outs["results"] == [{"id": A, "status": "success"}]
    assert result.id.startswith("drsbatch-")


def test_create_adopts_running_jobs_without_a_start_call(prov: StartedJobBatchProvider, drs: FakeDrsClient) -> None:
    drs.jobs[A] = FakeJob(status=RUNNING)
    prov.create(news([A]))
    assert "start" not in drs.kinds()


def test_create_with_accepted_does_not_wait(prov: StartedJobBatchProvider, drs: FakeDrsClient) -> None:
    drs.steps_to_run = 1000
    drs.jobs[A] = FakeJob()
    result = prov.create(news([A], wait="accepted"))
    assert result.outs["job_statuses"] == {A: "STARTJOBING"}


def test_create_lists_every_failure_and_a_rerun_starts_nothing_twice(prov: StartedJobBatchProvider,
                                                                     drs: FakeDrsClient) -> None:
    drs.jobs[A] = FakeJob()
    drs.jobs[B] = FakeJob(status="INCRE_TRANSFER_STARTED")
    drs.jobs[C] = FakeJob(status="CHANGE_JOB_STARTED")
    # C is busy: DRS refuses its start with DRS.M00304 only if asked, and we never ask (no action).
    drs.jobs["dddddddd-0000-4000-8000-00000000d101"] = FakeJob(fail_start=True)
    with pytest.raises(BatchError) as err:
        prov.create(news([A, B, "dddddddd-0000-4000-8000-00000000d101"]))
    assert "START_JOB_FAILED" in str(err.value) and "dddddddd" in str(err.value)
    drs.jobs["dddddddd-0000-4000-8000-00000000d101"].fail_start = False
    prov.create(news([A, B, "dddddddd-0000-4000-8000-00000000d101"]))
    assert drs.jobs[A].start_count == 1
    assert drs.jobs["dddddddd-0000-4000-8000-00000000d101"].start_count == 2  # failed start, then a real one


def test_create_reports_refused_starts_with_the_drs_code(prov: StartedJobBatchProvider, drs: FakeDrsClient,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    drs.jobs[A] = FakeJob()
    original = drs.start_jobs

    def refuse(jobs: Any) -> Any:
        results = original(jobs)
        results[0].status, results[0].error_code, results[0].error_msg = "failed", "DRS.M01504", "busy"
        return results

    monkeypatch.setattr(drs, "start_jobs", refuse)
    with pytest.raises(BatchError, match=r"DRS\.M01504"):
        prov.create(news([A]))


def test_create_times_out_naming_the_pending_jobs(prov: StartedJobBatchProvider, drs: FakeDrsClient,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    drs.steps_to_run = 10**9
    drs.jobs[A] = FakeJob()
    now = [0.0]
    poller = Poller(cap_seconds=5.0, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    monkeypatch.setattr(provider_module, "_poller", lambda settings: poller)
    with pytest.raises(BatchError, match=rf"(?s)timed out after 10 s .*{A}: STARTJOBING"):
        prov.create(news([A], timeout=10))
    assert 5.0 < now[0] <= 10.0  # it polled on a backoff until the deadline, without sleeping for real


def test_update_of_settings_only_calls_no_api(prov: StartedJobBatchProvider, drs: FakeDrsClient) -> None:
    result = prov.update("drsbatch-x", outs([A], {A: RUNNING}), news([A], timeout=60))
    assert drs.calls == []
    assert result.outs is not None and result.outs["timeout"] == 60 and result.outs["job_statuses"] == {A: RUNNING}


def test_update_starts_added_jobs_and_repairs_drift(prov: StartedJobBatchProvider, drs: FakeDrsClient) -> None:
    drs.jobs[A] = FakeJob(status="PAUSING")
    drs.jobs[B] = FakeJob()
    drs.jobs[C] = FakeJob(status="INCRE_TRANSFER_FAILED")
    result = prov.update("drsbatch-x", outs([A, C], {A: "PAUSING", C: "INCRE_TRANSFER_FAILED"}), news([A, B, C]))
    assert ("retry", (A, C)) in drs.calls and ("start", (B,)) in drs.calls
    assert result.outs is not None and set(result.outs["job_statuses"].values()) == {RUNNING}


def test_update_of_a_released_job_says_what_to_do(prov: StartedJobBatchProvider, drs: FakeDrsClient) -> None:
    drs.jobs[A] = FakeJob(status="RELEASE_RESOURCE_COMPLETE")
    with pytest.raises(BatchError, match="remove it from job_ids"):
        prov.update("drsbatch-x", outs([A], {A: "RELEASE_RESOURCE_COMPLETE"}), news([A]))


def test_update_removing_a_job_stops_nothing(prov: StartedJobBatchProvider, drs: FakeDrsClient) -> None:
    result = prov.update("drsbatch-x", outs([A, B], {A: RUNNING, B: RUNNING}), news([A]))
    assert drs.calls == []
    assert result.outs is not None and result.outs["job_ids"] == [A]


def test_read_records_live_status_and_drops_drifted_jobs_from_inputs(prov: StartedJobBatchProvider,
                                                                    drs: FakeDrsClient) -> None:
    drs.jobs[A] = FakeJob(status=RUNNING)
    drs.jobs[B] = FakeJob(status="PAUSING")
    result = prov.read("drsbatch-x", outs([A, B, C], {A: RUNNING, B: RUNNING, C: RUNNING}))
    assert result.outs["job_statuses"] == {A: RUNNING, B: "PAUSING", C: "NOT_FOUND"}
    assert result.inputs is not None and result.inputs["job_ids"] == [A]
    assert "results" not in result.inputs and "job_statuses" not in result.inputs


def test_read_by_id_of_job_ids(prov: StartedJobBatchProvider, drs: FakeDrsClient) -> None:
    drs.jobs[A] = FakeJob(status=RUNNING)
    result = prov.read(f"{A},{B}", {})
    assert result.outs["job_statuses"] == {A: RUNNING, B: "NOT_FOUND"}


def test_delete_stops_nothing_by_default(prov: StartedJobBatchProvider, drs: FakeDrsClient,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    prov.delete("drsbatch-x", outs([A], {A: RUNNING}))
    assert drs.calls == []
    assert "keep running" in capsys.readouterr().err


def test_delete_with_stop_on_delete_terminates_and_waits(prov: StartedJobBatchProvider, drs: FakeDrsClient) -> None:
    drs.jobs[A] = FakeJob(status=RUNNING)
    drs.jobs[B] = FakeJob(status="RELEASE_RESOURCE_COMPLETE")
    prov.delete("drsbatch-x", outs([A, B], {A: RUNNING, B: RUNNING}, stop_on_delete=True))
    assert ("terminate", (A,)) in drs.calls
    assert drs.jobs[A].status == "RELEASE_RESOURCE_COMPLETE"


def test_provider_instance_holds_nothing_and_pickles_by_reference() -> None:
    from pulumi.dynamic.dynamic import serialize_provider

    prov = StartedJobBatchProvider()
    assert vars(prov) == {}
    import base64

    blob = base64.b64decode(serialize_provider(prov))
    assert len(blob) < 200
    assert b"pulumi_drs.provider" in blob


def test_a_busy_job_is_asked_again_and_started_once(prov: StartedJobBatchProvider, drs: FakeDrsClient,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    drs.jobs[A] = FakeJob()
    drs.jobs[B] = FakeJob()
    original, refusals = drs.start_jobs, [1]

    def busy_once(jobs: Any) -> Any:
        if refusals and any(j.job_id == B for j in jobs):
            refusals.pop()
            others = original([j for j in jobs if j.job_id != B])
            return [*others, wire.StartJobResult(id=B, status="failed", error_code="DRS.M01504", error_msg="busy")]
        return original(jobs)

    monkeypatch.setattr(drs, "start_jobs", busy_once)
    result = prov.create(news([A, B]))
    assert result.outs["job_statuses"] == {A: RUNNING, B: RUNNING}
    assert (drs.jobs[A].start_count, drs.jobs[B].start_count) == (1, 1)

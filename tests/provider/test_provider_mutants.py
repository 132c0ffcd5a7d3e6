"""The provider's steps where mutation testing (docs/test-strength.md) found them untested: what check says
of settings, forward jobs and drift, how diff words drift, how create shares its timeout with the DR forward
wait, which start time is sent, what read accepts as an ID, and that no configured secret reaches an error.

As in test_provider_steps.py: each step is called in this process as the engine calls it, DRS is the
emulator subprocess over HTTP, statuses move only per read, by `hold_statuses` or by an admin call, and
waits run on fake time (`ScriptedClock`, installed as converge's `Clock`), so nothing here sleeps.
"""

from __future__ import annotations

import time

import pytest

from drs_testing.e2e import SK, calls, start_counts
from drs_testing.provider_steps import ScriptedClock, configure, lines, new_jobs, recorded, stack_config
from pulumi_drs import lifecycle
from pulumi_drs.api.base import Outcome
from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess
from pulumi_drs.provider import BatchError, StartedJobBatchProvider

RUNNING = "INCRE_TRANSFER_STARTED"
NAME = "orders"
OTHER_PROJECT = "0123456789abcdef0123456789abcdef"


def job_id(n: int) -> str:
    return f"{n:08d}-0000-4000-8000-00000000a101"


# --- check ------------------------------------------------------------------------------------------


def test_check_keeps_a_start_time_that_passed_unchanged(prov: StartedJobBatchProvider, admin: EmulatorAdmin) -> None:
    [job] = new_jobs(admin, status=RUNNING)
    passed = str(int((time.time() - 86_400) * 1000))
    result = prov.check(recorded({job: RUNNING}, start_time=passed), {"job_ids": [job], "start_time": passed})
    assert result.failures == []
    assert result.inputs["start_time"] == passed


def test_check_of_an_existing_batch_with_its_endpoint_spelled_out_reports_drift_not_failure(
        emulator: EmulatorProcess, prov: StartedJobBatchProvider, admin: EmulatorAdmin) -> None:
    [job] = new_jobs(admin, status=RUNNING)
    admin.set_status(job, "RELEASE_RESOURCE_COMPLETE")
    result = prov.check(recorded({job: RUNNING}, endpoint=emulator.url), {"job_ids": [job], "endpoint": emulator.url})
    assert result.failures == []
    assert result.inputs["drift"] == {job: "RELEASE_RESOURCE_COMPLETE"}


def test_check_of_a_batch_moved_to_another_endpoint_fails_a_job_that_cannot_start(
        emulator: EmulatorProcess, prov: StartedJobBatchProvider, admin: EmulatorAdmin) -> None:
    """The same emulator under another name is another place for check: its jobs are new to the batch."""
    [job] = new_jobs(admin, status=RUNNING)
    admin.set_status(job, "RELEASE_RESOURCE_COMPLETE")
    elsewhere = emulator.url.replace("127.0.0.1", "localhost")
    result = prov.check(recorded({job: RUNNING}, endpoint=emulator.url), {"job_ids": [job], "endpoint": elsewhere})
    assert [(f.property, f.reason.split(":")[0]) for f in result.failures] == [("job_ids", f"job {job}")]
    assert "drift" not in result.inputs


@pytest.mark.parametrize("step", ["check", "read"])
def test_check_and_read_ask_again_when_drs_leaves_a_job_out_of_one_answer(
        prov: StartedJobBatchProvider, admin: EmulatorAdmin, monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    """Both pause on the provider's clock before they ask again."""
    clock = ScriptedClock().install(monkeypatch)
    [job] = new_jobs(admin, status=RUNNING)
    admin.add_fault("batch-status", "status", status=200)  # one answer without the job's item
    if step == "check":
        assert prov.check({}, {"job_ids": [job]}).failures == []
    else:
        assert prov.read(job, {}).outs["job_statuses"] == {job: RUNNING}
    assert len(calls(admin, "batch-status")) == 2 and clock.t == 1.0


def test_check_asks_again_when_drs_leaves_a_forward_job_out_of_one_answer(
        prov: StartedJobBatchProvider, admin: EmulatorAdmin, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    clock = ScriptedClock().install(monkeypatch)
    [forward] = new_jobs(admin, status=RUNNING)
    backward = admin.create_jobs([{"forward_job_id": forward}])[0]["id"]
    admin.add_fault("batch-status", "delay", delay_seconds=0)  # the batch's own read is answered as usual
    admin.add_fault("batch-status", "status", status=200)  # the forward job's first read lacks its item
    result = prov.check({}, {"job_ids": [backward], "forward_job_ids": [forward]})
    assert result.failures == [] and lines(capsys.readouterr().err) == []
    assert len(calls(admin, "batch-status")) == 3 and clock.t == 1.0


def test_check_of_an_existing_batch_fails_when_drs_never_says_a_jobs_status(
        prov: StartedJobBatchProvider, admin: EmulatorAdmin, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only an unreachable DRS lets the preview go on with the recorded statuses; a DRS that answers without
    the job is no reason to skip the check."""
    ScriptedClock().install(monkeypatch)
    [job] = new_jobs(admin, status=RUNNING)
    admin.add_fault("batch-status", "status", status=200, times=0)
    failures = prov.check(recorded({job: RUNNING}), {"job_ids": [job]}).failures
    assert [(f.property, f.reason) for f in failures] == [(
        "job_ids", f"cannot check the jobs with DRS: DRS did not say the status of 1 job(s), 3 times:\n  - job {job}: "
                   "DRS's answer did not include this job\nNothing was recorded for them; run again later")]


def test_check_names_every_dual_active_job_in_one_line(prov: StartedJobBatchProvider, admin: EmulatorAdmin,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    [forward] = new_jobs(admin, status=RUNNING)
    first, second = (j["id"] for j in admin.create_jobs([{"forward_job_id": forward}] * 2))
    assert prov.check({}, {"job_ids": [first, second], "resource_name": NAME}).failures == []
    assert lines(capsys.readouterr().err) == [
        f"pulumi-drs: {NAME}: job(s) {first}, {second} are dual-active DR tasks: if they are backward tasks, set "
        "forward_job_ids so `pulumi up` waits for the forward jobs (DRS refuses the start before)"]


def test_check_fails_on_the_region_when_drs_is_unknown_there(emulator: EmulatorProcess,
                                                             prov: StartedJobBatchProvider) -> None:
    configure(prov, stack_config(emulator, **{"drs:endpoint": None}))
    failures = prov.check({}, {"job_ids": [job_id(1)], "region": "eu-nowhere-1"}).failures
    assert [f.property for f in failures] == ["region"]
    assert failures[0].reason.startswith("cannot check the jobs with DRS: DRS is not known in region 'eu-nowhere-1'")


def test_check_fails_on_the_project_when_drs_says_it_is_not_this_regions(prov: StartedJobBatchProvider,
                                                                           admin: EmulatorAdmin) -> None:
    [job] = new_jobs(admin, status=RUNNING)
    failures = prov.check({}, {"job_ids": [job], "project_id": OTHER_PROJECT}).failures
    assert [f.property for f in failures] == ["project_id"]
    assert "DRS.M00261" in failures[0].reason


def test_check_reads_drs_again_once_it_is_reachable_and_diff_uses_what_it_read(
        emulator: EmulatorProcess, prov: StartedJobBatchProvider, admin: EmulatorAdmin,
        capsys: pytest.CaptureFixture[str]) -> None:
    [job] = new_jobs(admin, status=RUNNING)
    olds = recorded({job: "PAUSING"})  # recorded drift; DRS shows the job running
    configure(prov, stack_config(emulator, **{"drs:endpoint": "http://127.0.0.1:9"}))
    assert prov.check(olds, {"job_ids": [job]}).failures == []  # unreachable: the preview goes on
    configure(prov, stack_config(emulator))
    news = prov.check(olds, {"job_ids": [job]}).inputs
    capsys.readouterr()
    assert prov.diff("drsbatch-x", olds, news).changes is False
    assert lines(capsys.readouterr().err) == []


# --- diff -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("drifted", [20, 21])
def test_diff_names_at_most_20_drifted_jobs_and_says_how_many_there_are(
        prov: StartedJobBatchProvider, capsys: pytest.CaptureFixture[str], drifted: int) -> None:
    ids = [job_id(n) for n in range(drifted)]
    news = {"job_ids": ids, "resource_name": NAME, "drift": dict.fromkeys(ids, "PAUSING")}
    assert prov.diff("drsbatch-x", recorded(dict.fromkeys(ids, RUNNING), resource_name=NAME), news).changes is True
    said = lines(capsys.readouterr().err)
    header = [f"pulumi-drs: {NAME}: 21 jobs drifted; the first 20:"] if drifted > 20 else []
    assert said == header + [f"pulumi-drs: {NAME}: job {j} drifted: {RUNNING} => PAUSING; `pulumi up` will resume it"
                             for j in ids[:20]]


def test_diff_words_each_kind_of_drift(prov: StartedJobBatchProvider, capsys: pytest.CaptureFixture[str]) -> None:
    released, subtask, unrecorded = job_id(1), job_id(2), job_id(3)
    olds = recorded({released: RUNNING, subtask: RUNNING, unrecorded: RUNNING}, resource_name=NAME)
    del olds["job_statuses"][unrecorded]
    drift = {released: "RELEASE_RESOURCE_COMPLETE", subtask: "CHILD_TRANSFER_FAILED", unrecorded: "PAUSING"}
    news = {"job_ids": list(drift), "resource_name": NAME, "drift": drift}
    assert prov.diff("drsbatch-x", olds, news).changes is True
    assert lines(capsys.readouterr().err) == [
        f"pulumi-drs: {NAME}: job {released} drifted: {RUNNING} => RELEASE_RESOURCE_COMPLETE; `pulumi up` cannot "
        "repair it: the job is stopped: it cannot be started again: remove it from job_ids, or create a new DRS "
        "job and list that one",
        f"pulumi-drs: {NAME}: job {subtask} drifted: {RUNNING} => CHILD_TRANSFER_FAILED; `pulumi up` will retry re "
        "edit it",
        f"pulumi-drs: {NAME}: job {unrecorded} drifted: not recorded => PAUSING; `pulumi up` will resume it"]


# --- create -----------------------------------------------------------------------------------------


def test_create_waits_for_the_forward_job_then_starts_the_backward_one_once(
        prov: StartedJobBatchProvider, admin: EmulatorAdmin, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    clock = ScriptedClock().install(monkeypatch)
    [forward] = new_jobs(admin, status=RUNNING, rpo=75)
    backward = admin.create_jobs([{"forward_job_id": forward}])[0]["id"]
    clock.at(2.0, lambda: admin.update_job(forward, rpo=3))

    result = prov.create({"job_ids": [backward], "forward_job_ids": [forward], "resource_name": NAME,
                          "timeout": 60})

    assert result.outs["job_statuses"] == {backward: "FULL_TRANSFER_STARTED"}
    assert start_counts(admin, [backward]) == {backward: 1}
    assert lines(capsys.readouterr().err)[0] == (
        f"pulumi-drs: {NAME}: 0/1 job(s) ready (DR forward); waiting for 1 forward job {forward} has RPO 75 s, not "
        "under 60 s (0 s elapsed, 1 min 00 s left)")


def test_create_gives_the_jobs_only_the_time_the_forward_wait_left(
        prov: StartedJobBatchProvider, admin: EmulatorAdmin, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = ScriptedClock().install(monkeypatch, poll_cap=0.25)
    [forward] = new_jobs(admin, status=RUNNING, rpo=75)
    backward = admin.create_jobs([{"forward_job_id": forward}])[0]["id"]
    admin.settings(hold_statuses=["STARTJOBING"])
    clock.at(9.75, lambda: admin.update_job(forward, rpo=3))

    with pytest.raises(BatchError) as err:
        prov.create({"job_ids": [backward], "forward_job_ids": [forward], "timeout": 10})

    assert str(err.value).startswith(f"timed out after 0 s waiting for 1 job(s) to be running:\n  - job {backward}: "
                                     "STARTJOBING\n")
    assert clock.t == 10.0 and start_counts(admin, [backward]) == {backward: 1}


def test_create_with_a_start_time_is_done_once_drs_scheduled_the_jobs(
        prov: StartedJobBatchProvider, admin: EmulatorAdmin, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = ScriptedClock().install(monkeypatch)
    [job] = new_jobs(admin)
    start_ms = int((time.time() + 3600) * 1000)
    result = prov.create({"job_ids": [job], "start_time": str(start_ms), "timeout": 60})
    assert result.outs["job_statuses"] == {job: "WAITING_FOR_START"} and clock.t == 0.0
    assert admin.get_job(job)["scheduled_start"] == start_ms / 1000


def test_a_start_time_equal_to_now_has_passed_and_is_not_sent(
        prov: StartedJobBatchProvider, admin: EmulatorAdmin, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The provider's clock says exactly the start time; DRS's (real) clock is an hour earlier and would
    schedule the job if the time were sent."""
    now_ms = int(time.time() + 3600) * 1000
    ScriptedClock(wall_seconds=now_ms / 1000).install(monkeypatch)
    [job] = new_jobs(admin)
    prov.create({"job_ids": [job], "start_time": str(now_ms), "resource_name": NAME, "timeout": 60})
    assert admin.get_job(job)["scheduled_start"] is None
    assert (f"pulumi-drs: {NAME}: start_time {now_ms} has passed: any job that needs a start is started now"
            in lines(capsys.readouterr().err))


def test_a_result_records_the_refusal_code_and_message_or_the_note() -> None:
    job = job_id(1)
    assert lifecycle._result(Outcome(job, False, "DRS.M01504", "busy")) == {
        "id": job, "status": "failed", "error_code": "DRS.M01504", "error_msg": "busy"}
    assert lifecycle._result(Outcome(job, True, note="already started")) == {
        "id": job, "status": "success", "error_msg": "already started"}


# --- read -------------------------------------------------------------------------------------------


def test_read_by_the_id_of_one_job(prov: StartedJobBatchProvider, admin: EmulatorAdmin) -> None:
    [job] = new_jobs(admin, status=RUNNING)
    result = prov.read(job, {})
    assert (result.inputs, result.outs["job_statuses"]) == ({"job_ids": [job]}, {job: RUNNING})


def test_an_id_with_a_comma_is_a_list_of_job_ids_whatever_it_starts_with(prov: StartedJobBatchProvider,
                                                                         admin: EmulatorAdmin) -> None:
    [job] = new_jobs(admin, status=RUNNING)
    result = prov.read(f"drsbatch-x,{job}", {})
    assert result.outs["job_statuses"] == {"drsbatch-x": "NOT_FOUND", job: RUNNING}


def test_read_of_a_batch_id_without_job_ids_says_exactly_what_to_pass(prov: StartedJobBatchProvider) -> None:
    with pytest.raises(BatchError) as err:
        prov.read("drsbatch-0123456789abcdef", {})
    assert str(err.value) == ("cannot read batch 'drsbatch-0123456789abcdef' without job_ids: pass job_ids to "
                              "StartedJobBatch.get, or use a comma-separated list of job IDs as the ID")


def test_no_configured_secret_reaches_an_error_of_a_step(prov: StartedJobBatchProvider,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The secret key is set in the stack configuration only, the password in the environment only."""
    monkeypatch.setenv("HW_PASSWORD", "env-only-password-value")
    for secret in (SK, "env-only-password-value"):
        with pytest.raises(BatchError) as err:
            prov.read(f"drsbatch-{secret}", {})
        assert str(err.value).startswith("cannot read batch 'drsbatch-***' without job_ids")

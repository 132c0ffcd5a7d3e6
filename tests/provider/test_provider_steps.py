"""Each lifecycle step of `StartedJobBatchProvider`, called directly in this process as the engine calls
it, with DRS = the emulator subprocess over HTTP.

Statuses move only as a test says: per status read (`reads_per_step`), never past `hold_statuses`, or
by an admin `step`/`set_status`. Waits that need time to pass run on a `ScriptedClock`: converge's
`Clock` (the documented injection point, built by the provider's `_connect`) is replaced by one whose
`sleep` advances fake time at once and runs what the test scheduled for that moment, inside the
provider's own wait; so those tests are deterministic and never sleep.
"""

from __future__ import annotations

import base64
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import Unknown

from drs_testing.e2e import AK, PROJECT_ID, SK, calls, start_counts
from drs_testing.provider_steps import ScriptedClock, configured, lines, new_jobs, recorded, stack_config
from pulumi_drs.api import connect
from pulumi_drs.api.base import Act
from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess
from pulumi_drs.inputs import INPUT_KEYS
from pulumi_drs.provider import BatchError, StartedJobBatchProvider
from pulumi_drs.settings import Settings

RUNNING = "INCRE_TRANSFER_STARTED"
FULL = "FULL_TRANSFER_STARTED"
GHOST = "0badc0de-0000-4000-8000-0000000jb101"
"""Well formed; the emulator never knows it."""
NAME = "orders"


# --- diff --------------------------------------------------------------------------------------------

A = "aaaaaaaa-0000-4000-8000-00000000a101"
B = "bbbbbbbb-0000-4000-8000-00000000b101"

DIFF_CASES: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    ("nothing changed", recorded({A: RUNNING, B: RUNNING}), {"job_ids": [A, B]}, False),
    ("order changed only", recorded({A: RUNNING, B: RUNNING}), {"job_ids": [B, A]}, False),
    ("job added", recorded({A: RUNNING}), {"job_ids": [A, B]}, True),
    ("job removed", recorded({A: RUNNING, B: RUNNING}), {"job_ids": [A]}, True),
    ("wait running recorded, now left out", recorded({A: RUNNING}, wait="running"), {"job_ids": [A]}, False),
    ("wait left out, now running", recorded({A: RUNNING}), {"job_ids": [A], "wait": "running"}, False),
    ("wait changed", recorded({A: RUNNING}), {"job_ids": [A], "wait": "accepted"}, True),
    ("timeout the default, now left out", recorded({A: RUNNING}, timeout=3600), {"job_ids": [A]}, False),
    ("timeout changed", recorded({A: RUNNING}, timeout=3600), {"job_ids": [A], "timeout": 60}, True),
    ("stop_on_delete false, now left out", recorded({A: RUNNING}, stop_on_delete=False), {"job_ids": [A]}, False),
    ("stop_on_delete changed", recorded({A: RUNNING}), {"job_ids": [A], "stop_on_delete": True}, True),
    ("language changed", recorded({A: RUNNING}), {"job_ids": [A], "language": "zh-cn"}, True),
    ("endpoint changed", recorded({A: RUNNING}), {"job_ids": [A], "endpoint": "https://drs.example.com"}, True),
    ("start_time changed after the start", recorded({A: RUNNING}, start_time="1900000000000"),
     {"job_ids": [A], "start_time": "1900000001000"}, False),
    ("resource name changed", recorded({A: RUNNING}, resource_name="a"), {"job_ids": [A], "resource_name": "b"},
     False),
    ("a job check read drifted", recorded({A: RUNNING, B: RUNNING}),
     {"job_ids": [A, B], "drift": {B: "PAUSING"}}, True),
]


@pytest.mark.parametrize(("case", "olds", "news", "changes"), DIFF_CASES, ids=[c[0] for c in DIFF_CASES])
def test_diff_changes_on_membership_effective_settings_and_drift_check_read(
        prov: StartedJobBatchProvider, admin: EmulatorAdmin, case: str, olds: dict[str, Any],
        news: dict[str, Any], changes: bool) -> None:
    result = prov.diff("drsbatch-x", olds, news)
    assert result.changes is changes, case
    assert result.replaces == []
    assert admin.requests_log() == []


def test_diff_uses_the_statuses_check_read_in_this_process(prov: StartedJobBatchProvider, admin: EmulatorAdmin,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    paused, recovered = new_jobs(admin, 2, status=RUNNING)
    admin.set_status(paused, "PAUSING")
    olds = recorded({paused: RUNNING, recovered: "PAUSING"}, resource_name=NAME)
    news = prov.check(olds, {"job_ids": [paused, recovered], "resource_name": NAME}).inputs
    capsys.readouterr()

    assert prov.diff("drsbatch-x", olds, news).changes is True
    assert lines(capsys.readouterr().err) == [
        f"pulumi-drs: {NAME}: job {paused} drifted: {RUNNING} => PAUSING; `pulumi up` will resume it"]

    admin.set_status(paused, RUNNING)
    news = prov.check(olds, {"job_ids": [paused, recovered], "resource_name": NAME}).inputs
    capsys.readouterr()
    assert prov.diff("drsbatch-x", olds, news).changes is False  # the live statuses win over the recorded ones
    assert lines(capsys.readouterr().err) == []


RECORDED_DRIFT = {"PAUSING": True, "PAUSEING": True, "INCRE_TRANSFER_FAILED": True, "CONFIGURATION": True,
                  "REBUILD_NODE_FAILED": True, "RELEASE_RESOURCE_COMPLETE": True, "NOT_FOUND": True,
                  "STARTJOBING": False, "WAITING_FOR_START": False, "FULL_TRANSFER_COMPLETE": False,
                  "REBUILD_NODE_STARTED": False, "SOMETHING_NEW": False}


@pytest.mark.parametrize(("status", "changes"), RECORDED_DRIFT.items(), ids=list(RECORDED_DRIFT))
def test_diff_after_a_check_that_could_not_read_drs_uses_the_recorded_statuses_and_says_so(
        unreachable: StartedJobBatchProvider, capsys: pytest.CaptureFixture[str], status: str,
        changes: bool) -> None:
    olds = recorded({A: RUNNING, B: status}, resource_name=NAME)
    news = unreachable.check(olds, {"job_ids": [A, B], "resource_name": NAME}).inputs
    capsys.readouterr()

    assert unreachable.diff("drsbatch-x", olds, news).changes is changes

    said = lines(capsys.readouterr().err)
    assert said[0] == (f"pulumi-drs: {NAME}: DRS was not read in this preview: drift is shown as recorded by the "
                       "last update or refresh")
    assert len(said) == (2 if changes else 1)
    if changes:
        assert said[1].startswith(f"pulumi-drs: {NAME}: job {B} is {status} (as last recorded); `pulumi up` ")


@pytest.mark.parametrize("news", [{"job_ids": [A, Unknown()]}, {"job_ids": Unknown()},
                                  {"job_ids": [A], "wait": Unknown()}], ids=["one job id", "job_ids", "wait"])
def test_diff_with_unknown_inputs_is_unknown(prov: StartedJobBatchProvider, news: dict[str, Any]) -> None:
    result = prov.diff("drsbatch-x", recorded({A: RUNNING}), news)
    assert result.changes is None
    assert result.replaces == []


# --- check -------------------------------------------------------------------------------------------


def test_check_with_unknown_inputs_asks_drs_nothing(prov: StartedJobBatchProvider, admin: EmulatorAdmin) -> None:
    job = new_jobs(admin)[0]
    admin.clear_requests()

    for news in ({"job_ids": Unknown()}, {"job_ids": [job, Unknown()]}, {"job_ids": [job], "region": Unknown()}):
        result = prov.check({}, news)
        assert result.failures == []
        assert "drift" not in result.inputs
    assert admin.requests_log() == []


def test_check_fails_naming_each_new_job_drs_cannot_start_and_starts_nothing(
        prov: StartedJobBatchProvider, admin: EmulatorAdmin) -> None:
    ok, released, failed, parent = new_jobs(admin, 4)
    admin.set_status(released, "RELEASE_RESOURCE_COMPLETE")
    admin.set_status(failed, "START_JOB_FAILED")
    children = [j["id"] for j in admin.create_jobs([{"parent_id": parent}, {"parent_id": parent}])]

    failures = prov.check({}, {"job_ids": [ok, released, GHOST, failed, parent]}).failures

    assert [f.property for f in failures] == ["job_ids"] * 4
    reasons = {next(j for j in (released, GHOST, failed, parent) if j in f.reason): f.reason for f in failures}
    assert reasons[released] == (f"job {released}: the job is stopped: it cannot be started again: remove it from "
                                 "job_ids, or create a new DRS job and list that one "
                                 "(status RELEASE_RESOURCE_COMPLETE)")
    assert reasons[GHOST].startswith(f"job {GHOST}: DRS does not know this job")
    assert reasons[failed].startswith(f"job {failed}: DRS could not start the job and documents no call that starts "
                                      "it again")
    assert reasons[failed].endswith("(status START_JOB_FAILED)")
    assert reasons[parent] == (f"job {parent} is a parent task; DRS starts only its subtasks: list them in job_ids "
                               f"instead of it: {', '.join(children)}")
    assert all(ok not in f.reason for f in failures)
    assert calls(admin, "batch-starting") == []
    assert start_counts(admin, [ok, released, failed, parent]) == {ok: 0, released: 0, failed: 0, parent: 0}


DRIFTED = {"paused": "PAUSING", "back in configuration": "CONFIGURATION", "transfer failed": "INCRE_TRANSFER_FAILED",
           "node rebuild failed": "REBUILD_NODE_FAILED", "released": "RELEASE_RESOURCE_COMPLETE"}


def test_check_of_an_existing_batch_puts_drifted_jobs_in_drift_instead_of_failing(
        prov: StartedJobBatchProvider, admin: EmulatorAdmin) -> None:
    running, starting, *drifted = new_jobs(admin, 2 + len(DRIFTED), status=RUNNING)
    admin.set_status(starting, "STARTJOBING")
    for job_id, status in zip(drifted, DRIFTED.values(), strict=True):
        admin.set_status(job_id, status)
    job_ids = [running, starting, *drifted]
    olds = recorded(dict.fromkeys(job_ids, RUNNING))

    result = prov.check(olds, {"job_ids": job_ids})

    assert result.failures == []
    assert result.inputs["drift"] == dict(zip(drifted, DRIFTED.values(), strict=True))
    assert calls(admin, "batch-starting") == [] and calls(admin, "batch-retry-task") == []


def test_check_of_an_existing_batch_with_nothing_drifted_adds_no_drift(prov: StartedJobBatchProvider,
                                                                       admin: EmulatorAdmin) -> None:
    job_ids = new_jobs(admin, 2, status=RUNNING)
    result = prov.check(recorded(dict.fromkeys(job_ids, "PAUSING")), {"job_ids": job_ids})
    assert result.failures == []
    assert "drift" not in result.inputs


@pytest.fixture
def closed_endpoint() -> Iterator[str]:
    """A URL nobody answers at: a port this test holds bound and never listens on (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def unreachable(emulator: EmulatorProcess, prov: StartedJobBatchProvider, closed_endpoint: str
                ) -> StartedJobBatchProvider:
    """The provider configured with a `drs:endpoint` where DRS cannot be reached."""
    prov.configure(ConfigureRequest(Config(stack_config(emulator, **{"drs:endpoint": closed_endpoint}), "drs-e2e")))
    return prov


def test_check_with_drs_unreachable_goes_on_for_an_existing_batch_and_fails_a_new_one(
        unreachable: StartedJobBatchProvider, capsys: pytest.CaptureFixture[str]) -> None:
    prov = unreachable
    olds = recorded({A: "PAUSING"}, resource_name=NAME)
    news = {"job_ids": [A], "resource_name": NAME}

    existing = prov.check(olds, news)

    assert existing.failures == []
    assert "drift" not in existing.inputs
    said = lines(capsys.readouterr().err)
    assert len(said) == 1
    assert said[0].startswith(f"pulumi-drs: {NAME}: could not reach DRS to check the jobs (")
    assert "could not connect" in said[0]
    assert said[0].endswith("the preview goes on with the statuses recorded at the last update or refresh")
    assert prov.diff("drsbatch-x", olds, existing.inputs).changes is True  # the recorded PAUSING
    assert "DRS was not read in this preview" in capsys.readouterr().err

    new = prov.check({}, news)

    assert [f.property for f in new.failures] == ["endpoint"]
    assert new.failures[0].reason.startswith("cannot check the jobs with DRS: ")
    assert "could not connect" in new.failures[0].reason
    assert "check drs:endpoint/HW_DRS_ENDPOINT" in new.failures[0].reason


def test_check_of_an_existing_batch_moved_to_another_endpoint_fails_when_drs_is_unreachable(
        emulator: EmulatorProcess, prov: StartedJobBatchProvider, closed_endpoint: str) -> None:
    olds = recorded({A: RUNNING}, endpoint=emulator.url)
    failures = prov.check(olds, {"job_ids": [A], "endpoint": closed_endpoint}).failures
    assert [f.property for f in failures] == ["endpoint"]
    assert "could not connect" in failures[0].reason


def test_check_warns_about_dual_active_jobs_without_forward_job_ids(
        prov: StartedJobBatchProvider, admin: EmulatorAdmin, capsys: pytest.CaptureFixture[str]) -> None:
    forward = new_jobs(admin, status=RUNNING)[0]
    backward = admin.create_jobs([{"forward_job_id": forward}])[0]["id"]

    result = prov.check({}, {"job_ids": [backward], "resource_name": NAME})

    assert result.failures == []
    assert lines(capsys.readouterr().err) == [
        f"pulumi-drs: {NAME}: job(s) {backward} are dual-active DR tasks: if they are backward tasks, set "
        "forward_job_ids so `pulumi up` waits for the forward jobs (DRS refuses the start before)"]
    assert calls(admin, "batch-starting") == []


def test_check_says_up_will_wait_for_forward_jobs_not_yet_ready(
        prov: StartedJobBatchProvider, admin: EmulatorAdmin, capsys: pytest.CaptureFixture[str]) -> None:
    configuring = new_jobs(admin)[0]
    lagging = admin.create_jobs([{"status": RUNNING, "rpo": 75}])[0]["id"]
    backward = admin.create_jobs([{"forward_job_id": lagging}])[0]["id"]

    result = prov.check({}, {"job_ids": [backward], "forward_job_ids": [configuring, lagging],
                             "resource_name": NAME})

    assert result.failures == []
    assert lines(capsys.readouterr().err) == [
        f"pulumi-drs: {NAME}: `pulumi up` will wait before starting: forward job {configuring} is CONFIGURATION, "
        f"not {RUNNING}; forward job {lagging} has RPO 75 s, not under 60 s"]

    admin.update_job(lagging, rpo=3)
    admin.set_status(configuring, RUNNING)
    assert prov.check({}, {"job_ids": [backward], "forward_job_ids": [configuring, lagging]}).failures == []
    assert lines(capsys.readouterr().err) == []  # ready: nothing to say
    assert calls(admin, "batch-starting") == []


# --- create ------------------------------------------------------------------------------------------


def test_create_starts_only_the_jobs_that_need_it(prov: StartedJobBatchProvider, admin: EmulatorAdmin) -> None:
    configured_job = new_jobs(admin)[0]
    running = new_jobs(admin, status=RUNNING)[0]

    result = prov.create({"job_ids": [configured_job, running]})

    assert start_counts(admin, [configured_job, running]) == {configured_job: 1, running: 0}
    assert [r["job_ids"] for r in calls(admin, "batch-starting")] == [[configured_job]]
    assert result.outs["job_statuses"] == {configured_job: admin.get_job(configured_job)["status"], running: RUNNING}
    assert result.outs["job_statuses"][configured_job] in (FULL, RUNNING)
    assert result.outs["results"] == [{"id": configured_job, "status": "success"}]
    assert result.outs["count"] == 2
    assert result.id.startswith("drsbatch-") and len(result.id) == len("drsbatch-") + 16
    assert prov.create({"job_ids": [running, configured_job]}).id == result.id  # the same jobs, the same ID


def test_create_adopts_running_jobs_without_a_start_call(prov: StartedJobBatchProvider, admin: EmulatorAdmin) -> None:
    job_ids = new_jobs(admin, 2, status=RUNNING)

    result = prov.create({"job_ids": job_ids})

    assert result.outs["job_statuses"] == dict.fromkeys(job_ids, RUNNING)
    assert result.outs["results"] == []
    assert calls(admin, "batch-starting") == []


def test_create_with_wait_accepted_returns_while_drs_is_still_starting(prov: StartedJobBatchProvider,
                                                                       admin: EmulatorAdmin) -> None:
    admin.settings(hold_statuses=["STARTJOBING"])
    job = new_jobs(admin)[0]

    result = prov.create({"job_ids": [job], "wait": "accepted"})

    assert result.outs["job_statuses"] == {job: "STARTJOBING"}
    assert admin.get_job(job)["status"] == "STARTJOBING"
    assert start_counts(admin, [job]) == {job: 1}


def test_a_job_still_creating_is_started_once_when_it_reaches_configuration(
        prov: StartedJobBatchProvider, admin: EmulatorAdmin, monkeypatch: pytest.MonkeyPatch) -> None:
    """The emulator has no CREATING -> CONFIGURATION step: the job is set to CONFIGURATION after 1 s of the
    provider's (scripted) wait, after it read the job CREATING at least twice."""
    job = new_jobs(admin, status="CREATING")[0]
    clock = ScriptedClock().install(monkeypatch)
    clock.at(1.0, lambda: admin.set_status(job, "CONFIGURATION"))

    result = prov.create({"job_ids": [job]})

    assert clock.ran, "the job was never waited for"
    log = [r["path"].rsplit("/", 1)[1] for r in admin.requests_log() if job in r["job_ids"]]
    first_start = log.index("batch-starting")
    assert log[:first_start].count("batch-status") >= 2
    assert log.count("batch-starting") == 1
    assert start_counts(admin, [job]) == {job: 1}
    assert result.outs["job_statuses"][job] in (FULL, RUNNING)


def test_a_job_is_sent_one_start_per_run_even_while_drs_still_shows_it_configured(
        prov: StartedJobBatchProvider, admin: EmulatorAdmin, monkeypatch: pytest.MonkeyPatch) -> None:
    """DRS accepted the start but shows CONFIGURATION again for a while (its status lags): the provider waits
    instead of starting the job a second time."""
    admin.settings(hold_statuses=["STARTJOBING"])
    job = new_jobs(admin)[0]
    clock = ScriptedClock().install(monkeypatch)
    clock.at(1.0, lambda: admin.set_status(job, "CONFIGURATION"))
    clock.at(3.0, lambda: admin.set_status(job, RUNNING))

    result = prov.create({"job_ids": [job]})

    assert len(clock.ran) == 2  # a status read followed each: the provider saw CONFIGURATION after the start
    assert [r["job_ids"] for r in calls(admin, "batch-starting")] == [[job]]
    assert start_counts(admin, [job]) == {job: 1}
    assert result.outs["job_statuses"] == {job: RUNNING}


def test_a_job_waiting_for_start_is_waited_through_when_the_batch_has_no_start_time(
        prov: StartedJobBatchProvider, admin: EmulatorAdmin, monkeypatch: pytest.MonkeyPatch) -> None:
    job = new_jobs(admin, status="WAITING_FOR_START")[0]
    clock = ScriptedClock().install(monkeypatch)
    clock.at(2.0, lambda: admin.set_status(job, RUNNING))

    result = prov.create({"job_ids": [job]})

    assert clock.ran, "create returned while the job was still waiting for its start time"
    assert result.outs["job_statuses"] == {job: RUNNING}
    assert calls(admin, "batch-starting") == []


def test_a_job_waiting_for_start_counts_as_started_when_the_batch_has_a_start_time(
        prov: StartedJobBatchProvider, admin: EmulatorAdmin) -> None:
    job = new_jobs(admin)[0]
    start_ms = int((time.time() + 3600) * 1000)

    result = prov.create({"job_ids": [job], "start_time": str(start_ms)})

    assert result.outs["job_statuses"] == {job: "WAITING_FOR_START"}
    assert result.outs["results"] == [{"id": job, "status": "success"}]
    assert admin.get_job(job)["scheduled_start"] == start_ms / 1000
    assert start_counts(admin, [job]) == {job: 1}


def start_elsewhere(emulator: EmulatorProcess, job_id: str) -> None:
    """Another DRS client (a person, another stack) starts the job."""
    with closing(connect(Settings.resolve(config=stack_config(emulator), env={}))) as api:
        assert api.act(Act.START, [job_id])[job_id].accepted


def test_a_refused_start_of_a_job_started_meanwhile_is_recorded_as_started(
        emulator: EmulatorProcess, prov: StartedJobBatchProvider, admin: EmulatorAdmin) -> None:
    """The provider's start is held 2 s in the gateway (a delay fault, before any work) while another client,
    as soon as the held request is in, starts the job: the held request is processed second and refused
    (DRS.M00304). The log proves the order: the other start is logged first, the delayed one second."""
    job = new_jobs(admin)[0]
    admin.settings(hold_statuses=["STARTJOBING"])
    admin.add_fault("batch-starting", "delay", delay_seconds=2, times=1)
    errors: list[BaseException] = []

    def other_client() -> None:
        try:
            deadline = time.monotonic() + 30
            while admin.session.get(f"{admin.url}/faults", timeout=5).json()["faults"]:
                assert time.monotonic() < deadline, "the provider's start never reached DRS"
                time.sleep(0.02)
            start_elsewhere(emulator, job)
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)

    other = threading.Thread(target=other_client)
    other.start()
    result = prov.create({"job_ids": [job], "wait": "accepted"})
    other.join()

    assert errors == []
    assert [r["fault"] for r in calls(admin, "batch-starting")] == [None, "delay"]
    assert start_counts(admin, [job]) == {job: 1}
    assert result.outs["results"] == [{"id": job, "status": "success", "error_msg": (
        "DRS refused the start (DRS.M00304), but the job is already STARTJOBING")}]
    assert result.outs["job_statuses"] == {job: "STARTJOBING"}


def test_create_lists_every_failure_and_a_rerun_starts_nothing_twice(prov: StartedJobBatchProvider,
                                                                     admin: EmulatorAdmin) -> None:
    ok, parent = new_jobs(admin, 2)
    running = new_jobs(admin, status=RUNNING)[0]
    failed = new_jobs(admin, status="START_JOB_FAILED")[0]
    admin.create_jobs([{"parent_id": parent}])
    job_ids = [ok, running, failed, parent]

    with pytest.raises(BatchError) as first:
        prov.create({"job_ids": job_ids})

    text = str(first.value)
    assert text.startswith("2 job(s) could not be brought to running:\n")
    assert f"\n  - job {failed}: START_JOB_FAILED: DRS could not start the job" in text
    assert f"\n  - job {parent}: CONFIGURATION: DRS refused the start: DRS.M00307: " in text
    assert "List the parent task's subtasks in job_ids instead of the parent." in text
    assert ok not in text and running not in text
    assert text.endswith("Fix the cause, then run `pulumi up` again: jobs already started are recorded, not "
                         "started twice.")
    assert start_counts(admin, job_ids) == {ok: 1, running: 0, failed: 0, parent: 0}
    admin.clear_requests()

    with pytest.raises(BatchError) as rerun:
        prov.create({"job_ids": job_ids})

    assert f"job {failed}: START_JOB_FAILED" in str(rerun.value) and f"job {parent}: " in str(rerun.value)
    assert [r["job_ids"] for r in calls(admin, "batch-starting")] == [[parent]]  # ok is not started again
    assert start_counts(admin, job_ids) == {ok: 1, running: 0, failed: 0, parent: 0}


def test_create_times_out_naming_the_pending_jobs(prov: StartedJobBatchProvider, admin: EmulatorAdmin,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    admin.settings(hold_statuses=["STARTJOBING"])
    stuck = new_jobs(admin)[0]
    running = new_jobs(admin, status=RUNNING)[0]
    clock = ScriptedClock().install(monkeypatch)

    with pytest.raises(BatchError) as err:
        prov.create({"job_ids": [stuck, running], "timeout": 10})

    assert str(err.value) == (f"timed out after 10 s waiting for 1 job(s) to be running:\n  - job {stuck}: "
                              "STARTJOBING\nRaise `timeout`, or run `pulumi up` again later: nothing is started twice.")
    assert 9.0 < clock.t <= 10.0  # it polled until the deadline, on fake time
    assert start_counts(admin, [stuck]) == {stuck: 1}


def test_progress_lines_name_the_batch_and_count_the_jobs(prov: StartedJobBatchProvider, admin: EmulatorAdmin,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    admin.settings(hold_statuses=["STARTJOBING"])
    first, second = new_jobs(admin, 2)
    clock = ScriptedClock().install(monkeypatch)
    clock.at(6.0, lambda: admin.step([first]))
    clock.at(9.0, lambda: admin.step([second]))

    prov.create({"job_ids": [first, second], "resource_name": NAME, "timeout": 60})

    said = lines(capsys.readouterr().err)
    pattern = r"pulumi-drs: orders: (\d)/2 job\(s\) running(; waiting for [^(]+)? \((\d+) s elapsed, [^)]+ left\)"
    parsed = [re.fullmatch(pattern, line) for line in said]
    assert all(parsed), said
    assert [(m[1], m[2], int(m[3])) for m in parsed if m] == [("0", "; waiting for 2 STARTJOBING", 0),
                                                              ("1", "; waiting for 1 STARTJOBING", 6), ("2", None, 9)]


# --- update ------------------------------------------------------------------------------------------


def test_update_of_settings_only_calls_no_drs_api(prov: StartedJobBatchProvider, admin: EmulatorAdmin) -> None:
    job = new_jobs(admin, status=RUNNING)[0]
    admin.clear_requests()

    result = prov.update("drsbatch-x", recorded({job: RUNNING}, timeout=3600), {"job_ids": [job], "timeout": 60})

    assert admin.requests_log() == []
    assert result.outs == {"job_ids": [job], "timeout": 60, "results": [{"id": job, "status": "success"}],
                           "count": 1, "job_statuses": {job: RUNNING}}


def test_update_starts_added_jobs_and_repairs_drift(prov: StartedJobBatchProvider, admin: EmulatorAdmin) -> None:
    paused, failed = new_jobs(admin, 2, status=RUNNING)
    added = new_jobs(admin)[0]
    admin.set_status(paused, "PAUSING")
    admin.set_status(failed, "INCRE_TRANSFER_FAILED")

    result = prov.update("drsbatch-x", recorded({paused: RUNNING, failed: RUNNING}),
                         {"job_ids": [paused, added, failed]})

    statuses = result.outs["job_statuses"]
    assert statuses == {j: admin.get_job(j)["status"] for j in (paused, added, failed)}
    assert statuses[paused] == RUNNING and statuses[failed] == RUNNING
    assert statuses[added] in (FULL, RUNNING)
    assert [admin.get_job(j)["retry_count"] for j in (paused, added, failed)] == [1, 0, 1]
    assert start_counts(admin, [paused, added, failed]) == {paused: 0, added: 1, failed: 0}
    assert [r["job_ids"] for r in calls(admin, "batch-starting")] == [[added]]


def test_update_repairs_drift_only_check_saw(prov: StartedJobBatchProvider, admin: EmulatorAdmin) -> None:
    """A plain preview: nothing refreshed the recorded statuses; check read the pause and put it in `drift`."""
    job = new_jobs(admin, status=RUNNING)[0]
    admin.set_status(job, "PAUSING")
    olds = recorded({job: RUNNING})
    news = prov.check(olds, {"job_ids": [job]}).inputs
    assert news["drift"] == {job: "PAUSING"}

    result = prov.update("drsbatch-x", olds, news)

    assert result.outs["job_statuses"] == {job: RUNNING}
    assert admin.get_job(job)["retry_count"] == 1
    assert "drift" not in result.outs


def test_update_of_a_released_job_fails_saying_to_remove_it(prov: StartedJobBatchProvider,
                                                            admin: EmulatorAdmin) -> None:
    job = new_jobs(admin, status=RUNNING)[0]
    admin.set_status(job, "RELEASE_RESOURCE_COMPLETE")
    olds = recorded({job: RUNNING})
    news = prov.check(olds, {"job_ids": [job]}).inputs

    with pytest.raises(BatchError) as err:
        prov.update("drsbatch-x", olds, news)

    assert f"job {job}: RELEASE_RESOURCE_COMPLETE: the job is stopped: it cannot be started again: remove it from " \
           "job_ids" in str(err.value)
    assert calls(admin, "batch-starting") == [] and calls(admin, "batch-retry-task") == []


def test_update_removing_a_job_stops_nothing(prov: StartedJobBatchProvider, admin: EmulatorAdmin,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    kept, dropped = new_jobs(admin, 2, status=RUNNING)
    admin.clear_requests()

    result = prov.update("drsbatch-x", recorded({kept: RUNNING, dropped: RUNNING}, resource_name=NAME),
                         {"job_ids": [kept], "resource_name": NAME})

    assert admin.requests_log() == []
    assert admin.get_job(dropped)["status"] == RUNNING and admin.get_job(dropped)["terminate_count"] == 0
    assert result.outs["job_ids"] == [kept] and result.outs["job_statuses"] == {kept: RUNNING}
    assert lines(capsys.readouterr().err) == [
        f"pulumi-drs: {NAME}: 1 job(s) dropped from the batch and left running: {dropped}"]


def test_a_passed_start_time_is_not_sent_to_a_job_back_in_configuration(
        prov: StartedJobBatchProvider, admin: EmulatorAdmin, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The provider's clock is two hours ahead of DRS's: the recorded start time has passed for the provider
    but is still an hour ahead for the emulator, which would schedule the job if the provider sent it."""
    job = new_jobs(admin, status=RUNNING)[0]
    admin.set_status(job, "CONFIGURATION")
    start_ms = str(int((time.time() + 3600) * 1000))
    ScriptedClock(wall_offset=7200).install(monkeypatch)
    olds = recorded({job: RUNNING}, start_time=start_ms, resource_name=NAME)
    news = prov.check(olds, {"job_ids": [job], "start_time": start_ms, "resource_name": NAME}).inputs
    capsys.readouterr()

    result = prov.update("drsbatch-x", olds, news)

    assert admin.get_job(job)["scheduled_start"] is None
    assert result.outs["job_statuses"][job] in (FULL, RUNNING)
    assert start_counts(admin, [job]) == {job: 1}
    assert (f"pulumi-drs: {NAME}: start_time {start_ms} has passed: any job that needs a start is started now"
            in lines(capsys.readouterr().err))


# --- read --------------------------------------------------------------------------------------------


def test_read_records_live_statuses_and_returns_the_recorded_inputs_unchanged(
        prov: StartedJobBatchProvider, admin: EmulatorAdmin) -> None:
    running, paused = new_jobs(admin, 2, status=RUNNING)
    admin.set_status(paused, "PAUSING")
    olds = recorded({running: RUNNING, paused: RUNNING, GHOST: RUNNING}, timeout=300, resource_name=NAME)

    result = prov.read("drsbatch-x", olds)

    assert result.id == "drsbatch-x"
    assert result.outs["job_statuses"] == {running: RUNNING, paused: "PAUSING", GHOST: "NOT_FOUND"}
    assert result.outs["results"] == olds["results"]
    assert result.inputs == {k: olds[k] for k in INPUT_KEYS if k in olds}
    assert result.inputs == {"job_ids": [running, paused, GHOST], "timeout": 300, "resource_name": NAME}


def test_read_by_an_id_of_job_ids(prov: StartedJobBatchProvider, admin: EmulatorAdmin) -> None:
    job = new_jobs(admin, status=RUNNING)[0]

    result = prov.read(f"{job},{GHOST}", {})

    assert result.outs["job_statuses"] == {job: RUNNING, GHOST: "NOT_FOUND"}
    assert result.inputs == {"job_ids": [job, GHOST]}


def test_read_of_a_batch_id_without_job_ids_says_what_to_pass(prov: StartedJobBatchProvider,
                                                              admin: EmulatorAdmin) -> None:
    with pytest.raises(BatchError, match=r"pass job_ids to StartedJobBatch\.get"):
        prov.read("drsbatch-0123456789abcdef", {})
    assert admin.requests_log() == []


# --- delete ------------------------------------------------------------------------------------------


def test_delete_stops_nothing_by_default(prov: StartedJobBatchProvider, admin: EmulatorAdmin,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    job = new_jobs(admin, status=RUNNING)[0]
    admin.clear_requests()

    prov.delete("drsbatch-x", recorded({job: RUNNING}))

    assert admin.requests_log() == []
    assert admin.get_job(job)["terminate_count"] == 0
    assert lines(capsys.readouterr().err) == [
        "pulumi-drs: removed the batch from the stack; its 1 DRS job(s) keep running (set stop_on_delete=True to "
        "terminate them on delete)"]


def test_delete_with_stop_on_delete_terminates_and_waits_for_the_release(prov: StartedJobBatchProvider,
                                                                         admin: EmulatorAdmin) -> None:
    """The release is held until a background step, taken once the log shows the terminate and a status read
    after it (the provider waiting); delete must not have returned by then."""
    job = new_jobs(admin, status=RUNNING)[0]
    gone = new_jobs(admin, status="RELEASE_RESOURCE_COMPLETE")[0]
    admin.settings(hold_statuses=["RELEASE_RESOURCE_STARTED"])
    admin.clear_requests()
    returned = threading.Event()
    seen: dict[str, bool] = {}

    def release_when_waited_for() -> None:
        deadline = time.monotonic() + 30
        while not _read_after_terminate(admin.requests_log()):
            if time.monotonic() > deadline or returned.is_set():
                return
            time.sleep(0.02)
        seen["returned before the release"] = returned.is_set()
        admin.step([job])

    releaser = threading.Thread(target=release_when_waited_for)
    releaser.start()
    try:
        prov.delete("drsbatch-x", recorded({job: RUNNING, gone: "RELEASE_RESOURCE_COMPLETE"}, stop_on_delete=True,
                                           timeout=60))
    finally:
        returned.set()
        releaser.join()

    assert seen == {"returned before the release": False}
    assert admin.get_job(job)["status"] == "RELEASE_RESOURCE_COMPLETE"
    assert [admin.get_job(j)["terminate_count"] for j in (job, gone)] == [1, 0]
    assert [r["job_ids"] for r in calls(admin, "batch-jobs")] == [[job]]


def _read_after_terminate(log: list[dict[str, Any]]) -> bool:
    ops = [r["path"].rsplit("/", 1)[1] for r in log]
    return "batch-jobs" in ops and "batch-status" in ops[ops.index("batch-jobs"):]


# --- the provider object -----------------------------------------------------------------------------


def test_the_provider_instance_holds_nothing_and_pickles_by_reference(prov: StartedJobBatchProvider) -> None:
    assert vars(prov) == {}
    blob = base64.b64decode(serialize_provider(prov))
    assert len(blob) < 200
    assert b"pulumi_drs.provider" in blob and b"StartedJobBatchProvider" in blob
    assert SK.encode() not in blob and b"drs:" not in blob


def test_check_of_an_existing_batch_fails_on_a_refused_credential_instead_of_going_on(
        emulator: EmulatorProcess, admin: EmulatorAdmin, capsys: pytest.CaptureFixture[str]) -> None:
    """Only a problem a retry may cure (DRS unreachable, 5xx, throttling) lets the preview go on with the
    recorded statuses; a credential DRS refuses fails the check, as it would fail the update."""
    job = new_jobs(admin, status=RUNNING)[0]
    wrong = "wrong-secret-key-never-shown-0123456789"
    prov = configured(stack_config(emulator, **{"drs:secretKey": wrong}))

    failures = prov.check(recorded({job: RUNNING}), {"job_ids": [job]}).failures

    assert [f.property for f in failures] == ["job_ids"]  # credentials are stack configuration, not inputs
    assert failures[0].reason.startswith("cannot check the jobs with DRS: batch-status: DRS answered HTTP 401 "
                                         "APIGW.0301")
    assert "Check drs:accessKey/HW_ACCESS_KEY and drs:secretKey/HW_SECRET_KEY" in failures[0].reason
    assert wrong not in failures[0].reason + capsys.readouterr().err


def test_check_of_an_existing_batch_goes_on_when_drs_answers_503_past_the_retries(
        prov: StartedJobBatchProvider, admin: EmulatorAdmin, capsys: pytest.CaptureFixture[str]) -> None:
    job = new_jobs(admin, status=RUNNING)[0]
    admin.add_fault("batch-status", "status", status=503, times=0)
    olds = recorded({job: "PAUSING"}, resource_name=NAME)

    existing = prov.check(olds, {"job_ids": [job], "resource_name": NAME})

    assert existing.failures == [] and "drift" not in existing.inputs
    [said] = lines(capsys.readouterr().err)
    assert said.startswith(f"pulumi-drs: {NAME}: could not reach DRS to check the jobs (batch-status: DRS "
                           "answered HTTP 503")
    assert said.endswith("the preview goes on with the statuses recorded at the last update or refresh")
    assert calls(admin, "batch-starting") == []


def test_delete_whose_terminate_fails_for_good_raises_naming_the_job_and_a_rerun_releases_it(
        prov: StartedJobBatchProvider, admin: EmulatorAdmin) -> None:
    job = new_jobs(admin, status=RUNNING)[0]
    props = recorded({job: RUNNING}, stop_on_delete=True, timeout=60)
    admin.add_fault("batch-jobs", "status", status=503, times=0)

    with pytest.raises(BatchError) as failure:
        prov.delete("drsbatch-x", props)

    assert str(failure.value).startswith("batch-jobs: DRS answered HTTP 503")
    assert f"  - job {job}: {RUNNING}" in str(failure.value)
    assert admin.get_job(job)["terminate_count"] == 0
    admin.clear_faults()
    prov.delete("drsbatch-x", props)
    assert admin.get_job(job)["status"] == "RELEASE_RESOURCE_COMPLETE"
    assert admin.get_job(job)["terminate_count"] == 1


def test_a_provider_never_configured_reads_its_settings_from_the_environment(
        emulator: EmulatorProcess, admin: EmulatorAdmin, monkeypatch: pytest.MonkeyPatch) -> None:
    """A step before any `configure` (a program or test calling the class directly) uses the environment."""
    for name, value in {"HW_DRS_ENDPOINT": emulator.url, "HW_PROJECT_ID": PROJECT_ID, "HW_ACCESS_KEY": AK,
                        "HW_SECRET_KEY": SK, "PULUMI_DRS_POLL_INTERVAL_MAX": "0.05"}.items():
        monkeypatch.setenv(name, value)
    job = new_jobs(admin)[0]

    result = StartedJobBatchProvider().create({"job_ids": [job]})

    assert result.outs["results"] == [{"id": job, "status": "success"}]
    assert start_counts(admin, [job]) == {job: 1}


@pytest.mark.parametrize(("props", "label"), [
    ({"resource_name": NAME, "job_ids": [A, B]}, NAME),
    ({"resource_name": "", "job_ids": [A, B]}, "batch of 2 job(s)"),
    ({"job_ids": [A]}, "batch of 1 job(s)"),
    ({"resource_name": Unknown(), "job_ids": Unknown()}, "batch of 0 job(s)"),  # a preview's unknown inputs
])
def test_progress_lines_name_the_batch_by_its_resource_name_else_by_its_size(props: dict[str, Any],
                                                                              label: str) -> None:
    from pulumi_drs.provider import _label

    assert _label(props) == label

"""The DRS client (`pulumi_drs.api.connect`) against the emulator over real HTTP (a child process): every
operation, paging, every fault mode on starts and reads, and each way to authenticate.

The emulator takes a status step at every status read of a job (`--transition-seconds 0`), so what a read
shows is exact and no test waits for a status to change.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from drs_testing.e2e import AK, PROJECT_ID, SK, calls, emulator_for_tests, start_counts
from pulumi_drs import api as api_module
from pulumi_drs.api import DrsApi, connect
from pulumi_drs.api.base import Act, Outcome
from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess
from pulumi_drs.errors import (
    AuthenticationError,
    ConnectionDroppedError,
    DrsError,
    PermissionDeniedError,
    ReadTimeoutError,
    ServerError,
    ThrottledError,
)
from pulumi_drs.settings import Settings

USER, PASSWORD, DOMAIN, TOKEN = "ci-user", "ci-password-value", "ci-domain", "raw-token-value-0123"
REGION = "ap-southeast-1"
GHOST = "12345678-0000-4000-8000-0000000jb101"


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    with emulator_for_tests(0, "--user-name", USER, "--password", PASSWORD, "--domain-name", DOMAIN,
                            "--auth-token", TOKEN, "--region", REGION) as emu:
        yield emu


@pytest.fixture
def admin(emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch) -> EmulatorAdmin:
    """No job, fault, logged request or changed setting from an earlier test; no project ID looked up."""
    monkeypatch.setattr(api_module, "_project_ids", {})
    emulator.admin.reset()
    return emulator.admin


def client_for(emulator: EmulatorProcess, **overrides: Any) -> DrsApi:
    explicit: dict[str, object | None] = {
        "endpoint": emulator.url, "project_id": PROJECT_ID, "access_key": AK, "secret_key": SK,
        "backoff_factor": 0.01, "backoff_max": 0.05, "max_retries": 4, "read_timeout": 2.0,
    }
    explicit.update(overrides)
    return connect(Settings.resolve(explicit=explicit, config={}, env={}))


def new_jobs(admin: EmulatorAdmin, count: int, **spec: Any) -> list[str]:
    return [j["id"] for j in admin.create_jobs(count, **spec)]


def starts(admin: EmulatorAdmin, job_ids: list[str]) -> list[int]:
    return list(start_counts(admin, job_ids).values())


def all_accepted(outcomes: dict[str, Outcome]) -> bool:
    return all(o.accepted for o in outcomes.values())


def until(done: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Poll the emulator for a request still on its way (a late copy of a timed-out request)."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


# --- operations ---------------------------------------------------------------------------------------


def test_start_then_status_in_input_order(emulator: EmulatorProcess, admin: EmulatorAdmin) -> None:
    job_ids = new_jobs(admin, 3)
    api = client_for(emulator)
    outcomes = api.act(Act.START, job_ids[::-1])
    assert list(outcomes) == job_ids[::-1] and all(o.accepted and o.note is None for o in outcomes.values())
    statuses = api.read_statuses(job_ids)
    assert {j: v.status for j, v in statuses.items()} == {j: "FULL_TRANSFER_STARTED" for j in job_ids}
    assert list(statuses) == job_ids and starts(admin, job_ids) == [1, 1, 1]


@pytest.mark.parametrize(("count", "per_page", "requests_each"), [(7, 100, 1), (150, 100, 2), (25, 7, 4)])
def test_status_and_detail_see_every_job_past_a_page_and_past_100(
        emulator: EmulatorProcess, admin: EmulatorAdmin, count: int, per_page: int, requests_each: int) -> None:
    job_ids = new_jobs(admin, count)
    admin.settings(max_per_page=per_page)
    api = client_for(emulator)
    statuses, details = api.read_statuses(job_ids), api.read_details(job_ids)
    assert {j: v.status for j, v in statuses.items()} == {j: "CONFIGURATION" for j in job_ids}
    assert {j: d.status for j, d in details.items()} == {j: "CONFIGURATION" for j in job_ids}
    assert len(calls(admin, "batch-status")) == requests_each == len(calls(admin, "batch-detail"))


def test_starting_250_jobs_takes_three_calls(emulator: EmulatorProcess, admin: EmulatorAdmin) -> None:
    job_ids = new_jobs(admin, 250)
    outcomes = client_for(emulator).act(Act.START, job_ids)
    assert list(outcomes) == job_ids and all_accepted(outcomes)
    assert [len(c["job_ids"]) for c in calls(admin, "batch-starting")] == [100, 100, 50]
    assert set(starts(admin, job_ids)) == {1}


def test_per_item_refusals_come_back_per_job(emulator: EmulatorProcess, admin: EmulatorAdmin) -> None:
    [ok] = new_jobs(admin, 1)
    [released] = new_jobs(admin, 1, status="RELEASE_RESOURCE_COMPLETE")
    [running] = new_jobs(admin, 1, status="INCRE_TRANSFER_STARTED")
    outcomes = client_for(emulator).act(Act.START, [ok, released, GHOST, running])
    assert [(o.accepted, o.error_code) for o in outcomes.values()] == [
        (True, None), (False, "DRS.M05004"), (False, "DRS.M05003"), (False, "DRS.M00304")]
    assert [c["status_code"] for c in calls(admin, "batch-starting")] == [202]


def test_unknown_jobs_are_reported_not_raised(emulator: EmulatorProcess, admin: EmulatorAdmin) -> None:
    api = client_for(emulator)
    view, detail = api.read_statuses([GHOST])[GHOST], api.read_details([GHOST])[GHOST]
    assert (view.status, view.error_code) == (None, "DRS.M05003") == (detail.status, detail.error_code)
    assert [c["status_code"] for c in calls(admin, "batch-detail")] == [400]  # a batch-shaped 400


def test_resume_runs_a_paused_job_and_terminate_releases_it(emulator: EmulatorProcess, admin: EmulatorAdmin) -> None:
    [paused] = new_jobs(admin, 1, status="PAUSING")
    api = client_for(emulator)
    assert all_accepted(api.act(Act.RESUME, [paused]))
    assert api.read_statuses([paused])[paused].status == "INCRE_TRANSFER_STARTED"
    assert all_accepted(api.act(Act.TERMINATE, [paused]))
    assert api.read_statuses([paused])[paused].status == "RELEASE_RESOURCE_COMPLETE"
    assert (admin.get_job(paused)["retry_count"], admin.get_job(paused)["terminate_count"]) == (1, 1)


# --- faults ---------------------------------------------------------------------------------------------

START_FAULTS: dict[str, tuple[dict[str, Any], int]] = {
    "500": ({"mode": "status", "status": 500, "times": 2}, 3),
    "503-burst": ({"mode": "status", "status": 503, "times": 3}, 4),
    "429-retry-after": ({"mode": "status", "status": 429, "retry_after": 0.1}, 2),
    "M01503": ({"mode": "status", "status": 400, "error_code": "DRS.M01503", "times": 2}, 3),
    "drop-before": ({"mode": "drop_before"}, 2),
    "drop-after-lost-answer": ({"mode": "drop_after"}, 1),
    "502-after-the-work": ({"mode": "status_after", "status": 502}, 1),
    "slower-than-the-read-timeout": ({"mode": "delay", "delay_seconds": 1.5}, 2),
}
"""Fault on batch-starting -> how many start requests reach DRS (the slow first one lands after the re-send)."""


@pytest.mark.parametrize("fault", list(START_FAULTS))
def test_every_fault_on_batch_starting_ends_with_each_job_started_once(
        emulator: EmulatorProcess, admin: EmulatorAdmin, fault: str) -> None:
    rule, sent = START_FAULTS[fault]
    job_ids = new_jobs(admin, 3)
    admin.add_fault("batch-starting", **rule)
    outcomes = client_for(emulator, read_timeout=0.5).act(Act.START, job_ids)
    until(lambda: len(calls(admin, "batch-starting")) == sent, f"{sent} start requests")
    assert all_accepted(outcomes), outcomes
    assert starts(admin, job_ids) == [1, 1, 1]
    assert [c["fault"] for c in calls(admin, "batch-starting")].count(None) == sent - rule.get("times", 1)


@pytest.mark.parametrize(("fault", "tries"), [
    ({"mode": "status", "status": 503}, 3),
    ({"mode": "drop_before"}, 3),
    ({"mode": "status", "status": 429, "retry_after": 0.05}, 3),
    ({"mode": "status", "status": 400, "error_code": "DRS.M01503"}, 3),
], ids=["503", "drop-before", "429", "M01503"])
def test_faults_on_reads_are_retried(emulator: EmulatorProcess, admin: EmulatorAdmin, fault: dict[str, Any],
                                     tries: int) -> None:
    [job] = new_jobs(admin, 1)
    admin.add_fault("batch-status", times=2, **fault)
    assert client_for(emulator).read_statuses([job])[job].status == "CONFIGURATION"
    assert len(calls(admin, "batch-status")) == tries


EXHAUSTED: dict[str, tuple[dict[str, dict[str, Any]], type[DrsError], str, int, int, int]] = {
    "503": ({"batch-starting": {"mode": "status", "status": 503}}, ServerError,
            "batch-starting: DRS answered HTTP 503 DRS.M00004: Service abnormal. Retry later.", 3, 2, 0),
    "429": ({"batch-starting": {"mode": "status", "status": 429}}, ThrottledError,
            "batch-starting: DRS answered HTTP 429 APIG.0308", 3, 0, 0),
    "drop-before": ({"batch-starting": {"mode": "drop_before"}}, ConnectionDroppedError,
                    "the connection closed before DRS answered", 3, 2, 0),
    "slow": ({"batch-starting": {"mode": "delay", "delay_seconds": 1}, "batch-status": {"mode": "delay",
             "delay_seconds": 1}}, ReadTimeoutError, "batch-status: DRS did not answer within 0.5 s", 1, 3, 1),
}
"""Faults for every request -> error, its text, start requests, status reads, starts that landed."""


@pytest.mark.parametrize("fault", list(EXHAUSTED))
def test_when_retries_run_out_the_error_is_clear_and_no_job_starts_twice(
        emulator: EmulatorProcess, admin: EmulatorAdmin, fault: str) -> None:
    rules, error, text, start_requests, reads, landed = EXHAUSTED[fault]
    [job] = new_jobs(admin, 1)
    for path, rule in rules.items():
        admin.add_fault(path, times=0, **rule)
    with pytest.raises(error) as raised:
        client_for(emulator, max_retries=2, read_timeout=0.5).act(Act.START, [job])
    assert text in str(raised.value)
    until(lambda: (len(calls(admin, "batch-starting")), len(calls(admin, "batch-status"))) == (start_requests, reads),
          "the requests still on their way")
    assert admin.get_job(job)["start_count"] == landed  # the slow first start landed after the client gave up


# --- authentication -----------------------------------------------------------------------------------


def test_wrong_secret_key_is_an_authentication_error_without_the_key(emulator: EmulatorProcess,
                                                                     admin: EmulatorAdmin) -> None:
    with pytest.raises(AuthenticationError) as exc:
        client_for(emulator, secret_key="definitely-wrong-key").read_statuses([GHOST])
    text = str(exc.value)
    assert "batch-status: DRS answered HTTP 401 APIGW.0301" in text and "drs:secretKey" in text
    assert "definitely-wrong-key" not in text and "definitely-wrong-key" not in repr(exc.value)


def test_wrong_project_is_a_permission_error(emulator: EmulatorProcess, admin: EmulatorAdmin) -> None:
    with pytest.raises(PermissionDeniedError, match=r"HTTP 403 DRS\.M00261"):
        client_for(emulator, project_id="0" * 32).read_statuses([GHOST])


def test_iam_password_token_and_project_lookup(emulator: EmulatorProcess, admin: EmulatorAdmin) -> None:
    [job] = new_jobs(admin, 1)
    user = {"access_key": None, "secret_key": None, "project_id": None, "iam_endpoint": emulator.url,
            "region": REGION, "user_name": USER, "password": PASSWORD, "domain_name": DOMAIN}
    for api in (client_for(emulator, **user), client_for(emulator, **user)):
        assert [api.read_statuses([job])[job].status for _ in range(2)] == ["CONFIGURATION"] * 2
    assert [(r["method"], r["path"]) for r in admin.requests_log()] == [
        ("POST", "/v3/auth/tokens"), ("GET", "/v3/projects")] + [
        ("POST", f"/v3/{PROJECT_ID}/jobs/batch-status")] * 4  # one token and one lookup for both clients


def test_a_given_token_is_accepted_and_a_wrong_one_refused(emulator: EmulatorProcess, admin: EmulatorAdmin) -> None:
    [job] = new_jobs(admin, 1)
    no_keys = {"access_key": None, "secret_key": None}
    assert client_for(emulator, auth_token=TOKEN, **no_keys).read_statuses([job])[job].status == "CONFIGURATION"
    with pytest.raises(AuthenticationError, match=r"HTTP 401 APIGW\.0301"):
        client_for(emulator, auth_token="nope", **no_keys).read_statuses([job])
    assert [(r["auth"], r["status_code"]) for r in admin.requests_log()] == [("token", 200), (None, 401)]

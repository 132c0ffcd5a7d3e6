"""DrsClient against the emulator over real HTTP: every operation, paging, every fault mode, auth."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from drs_testing.e2e import AK, PROJECT_ID, SK, emulator_for_tests, fresh, start_counts
from pulumi_drs import wire
from pulumi_drs.client import DrsClient
from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess
from pulumi_drs.errors import (
    AuthenticationError,
    ConnectionDroppedError,
    PermissionDeniedError,
    ReadTimeoutError,
    ServerError,
    ThrottledError,
)
from pulumi_drs.settings import Settings

USER, PASSWORD, DOMAIN, TOKEN = "ci-user", "ci-password-value", "ci-domain", "raw-token-value-0123"


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    with emulator_for_tests(0, "--user-name", USER, "--password", PASSWORD, "--domain-name", DOMAIN,
                       "--auth-token", TOKEN, "--region", "ap-southeast-1") as emu:
        yield emu


@pytest.fixture
def admin(emulator: EmulatorProcess) -> EmulatorAdmin:
    return fresh(emulator.admin, 0)


def client_for(emulator: EmulatorProcess, **overrides: Any) -> DrsClient:
    explicit: dict[str, object | None] = {
        "endpoint": emulator.url, "project_id": PROJECT_ID, "access_key": AK, "secret_key": SK,
        "backoff_factor": 0.01, "backoff_max": 0.05, "max_retries": 4, "read_timeout": 2.0,
    }
    explicit.update(overrides)
    return DrsClient(Settings.resolve(explicit=explicit, config={}, env={}))


def starts(admin: EmulatorAdmin, job_ids: list[str]) -> list[int]:
    return list(start_counts(admin, job_ids).values())


def test_start_then_status_in_input_order(emulator: EmulatorProcess, admin: EmulatorAdmin) -> None:
    job_ids = [j["id"] for j in admin.create_jobs(3)]
    client = client_for(emulator)
    results = client.start_jobs([wire.StartInfo(job_id=j) for j in reversed(job_ids)])
    assert [r.id for r in results] == list(reversed(job_ids))
    assert {r.status for r in results} == {"success"}
    statuses = client.job_statuses(job_ids)
    assert list(statuses) == job_ids
    assert all(s.status for s in statuses.values())
    assert starts(admin, job_ids) == [1, 1, 1]


@pytest.mark.parametrize("count", [7, 150])
def test_status_and_detail_see_every_job_past_the_default_page_and_past_100(
        emulator: EmulatorProcess, admin: EmulatorAdmin, count: int) -> None:
    job_ids = [j["id"] for j in admin.create_jobs(count)]
    client = client_for(emulator)
    statuses = client.job_statuses(job_ids)
    details = client.job_details(job_ids)
    assert set(statuses) == set(job_ids) == set(details)
    assert all(s.status == "CONFIGURATION" for s in statuses.values())
    bodies = [r for r in admin.requests_log() if r["path"].endswith("batch-status")]
    assert len(bodies) == -(-count // 100)  # one request per 100 jobs


def test_starting_250_jobs_takes_three_calls(emulator: EmulatorProcess, admin: EmulatorAdmin) -> None:
    job_ids = [j["id"] for j in admin.create_jobs(250)]
    results = client_for(emulator).start_jobs([wire.StartInfo(job_id=j) for j in job_ids])
    assert [r.id for r in results] == job_ids and {r.status for r in results} == {"success"}
    assert len([r for r in admin.requests_log() if r["path"].endswith("batch-starting")]) == 3


def test_per_item_refusals_come_back_as_results(emulator: EmulatorProcess, admin: EmulatorAdmin) -> None:
    ok = admin.create_jobs(1)[0]["id"]
    released = admin.create_jobs(1, status="RELEASE_RESOURCE_COMPLETE")[0]["id"]
    ghost = "12345678-0000-4000-8000-0000000jb101"
    results = client_for(emulator).start_jobs([wire.StartInfo(job_id=j) for j in (ok, released, ghost)])
    by_id = {r.id: r for r in results}
    assert by_id[ok].status == "success"
    assert (by_id[released].status, by_id[released].error_code) == ("failed", "DRS.M05004")
    assert (by_id[ghost].status, by_id[ghost].error_code) == ("failed", "DRS.M05003")


def test_all_items_refused_400_batch_body_is_still_per_job(emulator: EmulatorProcess, admin: EmulatorAdmin) -> None:
    running = admin.create_jobs(1, status="INCRE_TRANSFER_STARTED")[0]["id"]
    [result] = client_for(emulator).start_jobs([wire.StartInfo(job_id=running)])
    assert (result.status, result.error_code) == ("failed", "DRS.M00304")
    assert admin.requests_log()[-1]["status_code"] == 400


def test_unknown_jobs_are_reported_not_raised(emulator: EmulatorProcess) -> None:
    ghost = "12345678-0000-4000-8000-0000000jb101"
    client = client_for(emulator)
    assert client.job_statuses([ghost])[ghost].error_code == "DRS.M05003"
    assert client.job_details([ghost])[ghost].status is None


def test_retry_resumes_and_terminate_releases(emulator: EmulatorProcess, admin: EmulatorAdmin) -> None:
    paused = admin.create_jobs(1, status="PAUSING")[0]["id"]
    client = client_for(emulator)
    assert [r.status for r in client.retry_jobs([paused])] == ["success"]
    assert client.job_statuses([paused])[paused].status in ("PAUSING", "INCRE_TRANSFER_STARTED")
    assert [r.status for r in client.terminate_jobs([paused])] == ["success"]
    assert admin.get_job(paused)["terminate_count"] == 1


@pytest.mark.parametrize(
    ("fault", "times"),
    [
        ({"mode": "status", "status": 500}, 2),
        ({"mode": "status", "status": 503}, 3),
        ({"mode": "status", "status": 429, "retry_after": 0.1}, 1),
        ({"mode": "status", "status": 400, "error_code": "DRS.M01503"}, 2),
        ({"mode": "drop_before"}, 1),
        ({"mode": "drop_after"}, 1),
        ({"mode": "delay", "delay_seconds": 2.5}, 1),
    ],
    ids=["500", "503-burst", "429-retry-after", "M01503", "drop-before", "drop-after-lost-answer", "slow"],
)
def test_every_fault_on_batch_starting_ends_with_each_job_started_once(
        emulator: EmulatorProcess, admin: EmulatorAdmin, fault: dict[str, Any], times: int) -> None:
    job_ids = [j["id"] for j in admin.create_jobs(3)]
    admin.add_fault("batch-starting", times=times, **fault)
    results = client_for(emulator).start_jobs([wire.StartInfo(job_id=j) for j in job_ids])
    assert {r.status for r in results} == {"success"}, results
    assert starts(admin, job_ids) == [1, 1, 1]


@pytest.mark.parametrize("fault", [{"mode": "status", "status": 503}, {"mode": "drop_before"},
                                   {"mode": "status", "status": 429, "retry_after": 0.05}])
def test_faults_on_reads_are_retried(emulator: EmulatorProcess, admin: EmulatorAdmin, fault: dict[str, Any]) -> None:
    job = admin.create_jobs(1)[0]["id"]
    admin.add_fault("batch-status", times=2, **fault)
    assert client_for(emulator).job_statuses([job])[job].status == "CONFIGURATION"


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"mode": "status", "status": 503}, ServerError),
        ({"mode": "status", "status": 429}, ThrottledError),
        ({"mode": "drop_before"}, ConnectionDroppedError),
        ({"mode": "delay", "delay_seconds": 3}, ReadTimeoutError),
    ],
)
def test_when_retries_run_out_the_error_is_clear_and_nothing_started(
        emulator: EmulatorProcess, admin: EmulatorAdmin, fault: dict[str, Any], error: type[Exception]) -> None:
    job = admin.create_jobs(1)[0]["id"]
    admin.add_fault("batch-starting", times=0, **fault)
    admin.add_fault("batch-status", times=0, **fault)
    client = client_for(emulator, max_retries=2, read_timeout=1.0)
    with pytest.raises(error) as exc:
        client.start_jobs([wire.StartInfo(job_id=job)])
    assert "retry later" in str(exc.value) or "raise" in str(exc.value)
    admin.clear_faults()
    assert admin.get_job(job)["start_count"] <= 1


def test_wrong_secret_key_is_an_authentication_error_without_the_key(emulator: EmulatorProcess) -> None:
    client = client_for(emulator, secret_key="definitely-wrong-key")
    with pytest.raises(AuthenticationError) as exc:
        client.job_statuses(["12345678-0000-4000-8000-0000000jb101"])
    text = str(exc.value)
    assert "APIGW.0301" in text and "401" in text and "drs:secretKey" in text
    assert "definitely-wrong-key" not in text and "definitely-wrong-key" not in repr(exc.value)


def test_wrong_project_is_a_permission_error(emulator: EmulatorProcess) -> None:
    client = client_for(emulator, project_id="0" * 32)
    with pytest.raises(PermissionDeniedError, match=r"DRS\.M00261"):
        client.job_statuses(["12345678-0000-4000-8000-0000000jb101"])


def test_iam_password_token_and_project_lookup(emulator: EmulatorProcess, admin: EmulatorAdmin) -> None:
    job = admin.create_jobs(1)[0]["id"]
    settings = Settings.resolve(explicit={
        "endpoint": emulator.url, "iam_endpoint": emulator.url, "region": "ap-southeast-1",
        "user_name": USER, "password": PASSWORD, "domain_name": DOMAIN}, config={}, env={})
    project_id = DrsClient(settings).project_id_for_region("ap-southeast-1")
    assert project_id == PROJECT_ID
    client = DrsClient(Settings.resolve(explicit={**settings.__dict__, "project_id": project_id}, config={}, env={}))
    assert client.job_statuses([job])[job].status == "CONFIGURATION"
    assert client.job_statuses([job])[job].status == "CONFIGURATION"
    tokens = [r for r in admin.requests_log() if r["path"] == "/v3/auth/tokens"]
    assert len(tokens) == 1  # one token for the lookup and both calls: cached across clients


def test_raw_token(emulator: EmulatorProcess, admin: EmulatorAdmin) -> None:
    job = admin.create_jobs(1)[0]["id"]
    client = DrsClient(Settings.resolve(explicit={"endpoint": emulator.url, "project_id": PROJECT_ID,
                                                  "auth_token": TOKEN}, config={}, env={}))
    assert client.job_statuses([job])[job].status == "CONFIGURATION"
    bad = DrsClient(Settings.resolve(explicit={"endpoint": emulator.url, "project_id": PROJECT_ID,
                                               "auth_token": "nope"}, config={}, env={}))
    with pytest.raises(AuthenticationError):
        bad.job_statuses([job])

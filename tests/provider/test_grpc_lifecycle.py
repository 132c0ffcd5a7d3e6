"""The provider served by `python -m pulumi.dynamic` over gRPC, with the pickled provider, as the
engine drives it: configure, check with unknowns, create, read, diff, update, delete; DRS is the
emulator over HTTP."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import grpc
import pytest

from drs_testing.e2e import AK, PROJECT_ID, SK, emulator_for_tests, fresh
from drs_testing.grpc_provider import (
    DIFF_NONE,
    DIFF_SOME,
    DIFF_UNKNOWN,
    PROVIDER_BLOB,
    UNKNOWN,
    DynamicProviderProcess,
    grpc_error_text,
)
from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess

RUNNING = "INCRE_TRANSFER_STARTED"
SECRETS = (SK,)


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    with emulator_for_tests(0.1) as emu:
        yield emu


@pytest.fixture
def admin(emulator: EmulatorProcess) -> EmulatorAdmin:
    return fresh(emulator.admin, 0.1)


@pytest.fixture
def server(emulator: EmulatorProcess) -> Iterator[DynamicProviderProcess]:
    env = {"PULUMI_DRS_POLL_INTERVAL_MAX": "0.2", "PULUMI_DRS_BACKOFF_FACTOR": "0.01"}
    with DynamicProviderProcess(env) as proc:
        proc.configure({"drs:endpoint": emulator.url, "drs:projectId": PROJECT_ID, "drs:accessKey": AK,
                        "drs:secretKey": SK})
        yield proc


def test_the_pickled_provider_is_a_small_class_reference_without_secrets() -> None:
    blob = base64.b64decode(PROVIDER_BLOB)
    assert len(blob) < 120
    assert b"pulumi_drs.provider" in blob and b"StartedJobBatchProvider" in blob
    assert all(secret.encode() not in blob for secret in SECRETS)


def test_full_lifecycle_over_grpc(server: DynamicProviderProcess, admin: EmulatorAdmin) -> None:
    job_ids = [j["id"] for j in admin.create_jobs(7)]  # more than the 5-job default page

    inputs, failures = server.check({"job_ids": job_ids, "timeout": "5m"})
    assert failures == []
    assert inputs["timeout"] == 300

    id_, outs = server.create(inputs)
    assert id_.startswith("drsbatch-")
    assert outs["job_statuses"] == {j: RUNNING for j in job_ids}
    assert outs["count"] == 7
    assert [r["id"] for r in outs["results"]] == job_ids
    assert all(admin.get_job(j)["start_count"] == 1 for j in job_ids)
    inputs, failures = server.check({"job_ids": job_ids, "timeout": "5m"}, outs)  # the next preview
    assert failures == [] and "drift" not in inputs
    assert server.diff(id_, outs, inputs) == DIFF_NONE

    admin.set_status(job_ids[3], "INCRE_TRANSFER_FAILED")
    _, refreshed, recorded_inputs = server.read(id_, outs)
    assert refreshed["job_statuses"][job_ids[3]] == "INCRE_TRANSFER_FAILED"
    recorded_inputs.pop("__provider")
    assert recorded_inputs == {"job_ids": job_ids, "timeout": 300}  # the recorded inputs, unchanged
    inputs, failures = server.check({"job_ids": job_ids, "timeout": "5m"}, refreshed)
    assert failures == []
    assert inputs["drift"] == {job_ids[3]: "INCRE_TRANSFER_FAILED"}  # the preview names the drifted job
    assert server.diff(id_, refreshed, inputs) == DIFF_SOME

    updated = server.update(id_, refreshed, inputs)
    assert updated["job_statuses"] == {j: RUNNING for j in job_ids}
    assert admin.get_job(job_ids[3])["retry_count"] == 1
    assert all(admin.get_job(j)["start_count"] == 1 for j in job_ids)

    admin.clear_requests()
    server.delete(id_, updated)
    assert admin.requests_log() == []  # stop_on_delete is off: nothing is stopped


def test_check_with_unknown_job_ids_calls_no_api(server: DynamicProviderProcess, admin: EmulatorAdmin) -> None:
    inputs, failures = server.check({"job_ids": UNKNOWN, "start_time": UNKNOWN})
    assert failures == []
    assert admin.requests_log() == []
    assert server.diff("drsbatch-x", {"job_ids": ["a"], "job_statuses": {}}, {"job_ids": UNKNOWN}) == DIFF_UNKNOWN
    assert inputs["job_ids"] is not None


def test_check_names_the_property_for_bad_input(server: DynamicProviderProcess, admin: EmulatorAdmin) -> None:
    _, failures = server.check({"job_ids": ["nope"], "wait": "later", "timeout": -1})
    assert {prop for prop, _ in failures} == {"job_ids", "wait", "timeout"}
    assert admin.requests_log() == []


def test_a_failed_start_lists_the_job_and_a_rerun_starts_nothing_twice(server: DynamicProviderProcess,
                                                                       admin: EmulatorAdmin) -> None:
    good, bad = (j["id"] for j in admin.create_jobs(2))
    admin.update_job(bad, fail_start=True)
    inputs, _ = server.check({"job_ids": [good, bad]})
    with pytest.raises(grpc.RpcError) as err:
        server.create(inputs)
    text = grpc_error_text(err.value)
    assert "BatchError: 1 job(s) could not be brought to running:\n" in text
    assert f"\n  - job {bad}: START_JOB_FAILED: DRS could not start the job" in text
    assert good not in text and SK not in text

    admin.clear_requests()
    with pytest.raises(grpc.RpcError) as again:  # the engine recorded nothing: the rerun is a create again
        server.create(inputs)
    assert f"job {bad}: START_JOB_FAILED" in grpc_error_text(again.value)
    assert [r for r in admin.requests_log() if r["path"].endswith("batch-starting")] == []
    assert [admin.get_job(j)["start_count"] for j in (good, bad)] == [1, 1]

    inputs, _ = server.check({"job_ids": [good]})  # what the failure says to do: list it no more
    _, outs = server.create(inputs)
    assert outs["job_statuses"] == {good: RUNNING}
    assert admin.get_job(good)["start_count"] == 1


def test_read_by_id_of_job_ids_records_a_vanished_job(server: DynamicProviderProcess, admin: EmulatorAdmin) -> None:
    job = admin.create_jobs(1, status=RUNNING)[0]["id"]
    ghost = "99999999-0000-4000-8000-0000000jb101"
    _, outs, _ = server.read(f"{job},{ghost}", {})
    assert outs["job_statuses"] == {job: RUNNING, ghost: "NOT_FOUND"}

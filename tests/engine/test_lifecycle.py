"""StartedJobBatch through the real Pulumi engine, against the DRS emulator over HTTP."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pulumi import automation as auto

from drs_testing.e2e import SK, emulator_config, start_calls, start_counts, terminate_calls
from drs_testing.engine import EngineStack
from pulumi_drs.emulator import EmulatorAdmin

RUNNING = "INCRE_TRANSFER_STARTED"
"""Batches whose outputs a test compares wait="incremental": the emulator's steps are timed, so a "running"
wait may end in FULL_TRANSFER_STARTED or in INCRE_TRANSFER_STARTED; an incremental one ends here."""
pytestmark = pytest.mark.parametrize("api_version", ["v3", "v5"], indirect=True)


def test_preview_starts_nothing_then_up_starts_each_job_once_and_converges(
        admin: EmulatorAdmin, new_stack: Callable[..., EngineStack]) -> None:
    job_ids = [j["id"] for j in admin.create_jobs(3)]
    es = new_stack()
    es.program_args["batches"] = {"orders": {"job_ids": job_ids, "wait": "incremental"}}

    preview = es.preview()
    assert preview.change_summary.get("create") == 2  # the stack and the batch
    assert start_calls(admin) == []

    up = es.up()
    assert up.summary.resource_changes == {"create": 2}
    assert up.outputs["orders_statuses"].value == {j: RUNNING for j in job_ids}
    assert up.outputs["orders_count"].value == 3
    assert start_counts(admin, job_ids) == {j: 1 for j in job_ids}
    assert len(start_calls(admin)) == 1  # one batch call for the three jobs

    admin.clear_requests()
    assert es.preview().change_summary == {"same": 2}
    again = es.up()
    assert again.summary.resource_changes == {"same": 2}
    assert start_calls(admin) == []
    assert start_counts(admin, job_ids) == {j: 1 for j in job_ids}


def test_drift_is_recorded_by_refresh_shown_by_preview_and_repaired_by_up(
        admin: EmulatorAdmin, new_stack: Callable[..., EngineStack]) -> None:
    job_ids = [j["id"] for j in admin.create_jobs(2)]
    es = new_stack()
    es.program_args["batches"] = {"orders": {"job_ids": job_ids, "wait": "incremental"}}
    es.up()
    admin.set_status(job_ids[1], "PAUSING")

    es.refresh()
    state = es.export()
    assert '"PAUSING"' in state
    preview = es.preview(diff=True)
    assert preview.change_summary.get("update") == 1
    assert job_ids[1] in preview.stdout  # the drifted job is what the diff shows

    up = es.up()
    assert up.summary.resource_changes.get("update") == 1
    assert up.outputs["orders_statuses"].value == {j: RUNNING for j in job_ids}
    assert admin.get_job(job_ids[1])["retry_count"] == 1
    assert start_counts(admin, job_ids) == {j: 1 for j in job_ids}
    assert es.preview().change_summary == {"same": 2}


def test_adding_a_job_starts_only_it_and_removing_one_stops_nothing(
        admin: EmulatorAdmin, new_stack: Callable[..., EngineStack]) -> None:
    a, b, c = (j["id"] for j in admin.create_jobs(3))
    es = new_stack()
    es.program_args["batches"] = {"orders": {"job_ids": [a, b], "wait": "incremental"}}
    es.up()
    admin.clear_requests()

    es.program_args["batches"] = {"orders": {"job_ids": [a, b, c], "wait": "incremental"}}
    es.up()
    started = [r["job_ids"] for r in start_calls(admin)]
    assert started == [[c]]
    assert start_counts(admin, [a, b, c]) == {a: 1, b: 1, c: 1}

    admin.clear_requests()
    es.program_args["batches"] = {"orders": {"job_ids": [a, c], "wait": "incremental"}}
    up = es.up()
    assert up.outputs["orders_statuses"].value == {a: RUNNING, c: RUNNING}
    assert terminate_calls(admin) == [] and start_calls(admin) == []
    assert admin.get_job(b)["status"] == RUNNING


def test_destroy_stops_nothing_by_default(admin: EmulatorAdmin, new_stack: Callable[..., EngineStack]) -> None:
    job_ids = [j["id"] for j in admin.create_jobs(2)]
    es = new_stack()
    es.program_args["batches"] = {"orders": {"job_ids": job_ids}}
    es.up()
    es.destroy()
    assert terminate_calls(admin) == []
    assert all(admin.get_job(j)["status"] == RUNNING for j in job_ids)
    assert "keep running" in es.text()


def test_destroy_with_stop_on_delete_terminates_and_waits(admin: EmulatorAdmin,
                                                          new_stack: Callable[..., EngineStack]) -> None:
    job_ids = [j["id"] for j in admin.create_jobs(2)]
    es = new_stack()
    es.program_args["batches"] = {"orders": {"job_ids": job_ids, "stop_on_delete": True}}
    es.up()
    es.destroy()
    assert all(admin.get_job(j)["terminate_count"] == 1 for j in job_ids)
    assert all(admin.get_job(j)["status"] == "RELEASE_RESOURCE_COMPLETE" for j in job_ids)


def test_a_batch_over_running_jobs_adopts_them_without_a_start(admin: EmulatorAdmin,
                                                                new_stack: Callable[..., EngineStack]) -> None:
    job_ids = [j["id"] for j in admin.create_jobs(2, status=RUNNING)]
    es = new_stack()
    es.program_args["batches"] = {"adopted": {"job_ids": job_ids}}
    up = es.up()
    assert up.outputs["adopted_statuses"].value == {j: RUNNING for j in job_ids}
    assert start_calls(admin) == []
    assert es.preview().change_summary == {"same": 2}
    es.refresh()
    assert es.preview().change_summary == {"same": 2}


def test_a_dependent_dr_pair_previews_with_unknowns_and_deploys_in_order(
        admin: EmulatorAdmin, new_stack: Callable[..., EngineStack]) -> None:
    forward = admin.create_jobs(1, rpo=5, rto=5)[0]["id"]
    backward = admin.create_jobs([{"forward_job_id": forward, "rpo": 5, "rto": 5}])[0]["id"]

    def program(args: dict[str, object]) -> None:
        import pulumi

        from pulumi_drs import StartedJobBatch

        fwd = StartedJobBatch("forward", job_ids=[forward], wait="incremental")
        # The backward task's ID flows from the forward batch's outputs: unknown at the first preview.
        bwd = StartedJobBatch("backward", job_ids=fwd.job_statuses.apply(lambda _: [backward]), wait="incremental")
        pulumi.export("backward_statuses", bwd.job_statuses)

    es = new_stack(program=program)
    preview = es.preview()
    assert preview.change_summary.get("create") == 3
    assert start_calls(admin) == []
    up = es.up()
    assert up.outputs["backward_statuses"].value == {backward: RUNNING}
    log = [r["job_ids"] for r in start_calls(admin)]
    assert log == [[forward], [backward]]


@pytest.mark.parametrize(
    ("kwargs", "prop", "reason"),
    [
        ({"job_ids": []}, "job_ids", "must list at least one"),
        ({"job_ids": ["not-a-job"]}, "job_ids", "is not a DRS job ID"),
        ({"job_ids": ["140b5236-88ad-43c8-811c-1268453jb101"] * 2}, "job_ids", "listed twice"),
        ({"job_ids": ["140b5236-88ad-43c8-811c-1268453jb101"], "start_time": 1600000000}, "start_time",
         "epoch seconds"),
        ({"job_ids": ["140b5236-88ad-43c8-811c-1268453jb101"], "wait": "forever"}, "wait", "not a wait mode"),
        ({"job_ids": ["140b5236-88ad-43c8-811c-1268453jb101"], "timeout": "-5m"}, "timeout", "not seconds"),
    ],
)
def test_bad_inputs_fail_at_preview_naming_the_property_with_no_api_call(
        admin: EmulatorAdmin, new_stack: Callable[..., EngineStack], kwargs: dict[str, object],
        prop: str, reason: str) -> None:
    es = new_stack()
    es.program_args["batches"] = {"bad": kwargs}
    with pytest.raises(auto.CommandError) as err:
        es.preview()
    assert f"property {prop} value" in str(err.value) and reason in str(err.value)
    assert admin.requests_log() == []


def test_a_job_drs_does_not_know_fails_preview_with_its_id(admin: EmulatorAdmin,
                                                           new_stack: Callable[..., EngineStack]) -> None:
    ghost = "0badc0de-0000-4000-8000-00000000jb101"[:24] + "0000000jb101"
    es = new_stack()
    es.program_args["batches"] = {"ghost": {"job_ids": [ghost]}}
    with pytest.raises(auto.CommandError) as err:
        es.preview()
    assert ghost in str(err.value) and "does not know this job" in str(err.value)
    assert start_calls(admin) == []


def test_missing_credentials_fail_with_a_clear_message(admin: EmulatorAdmin, emulator: object,
                                                      new_stack: Callable[..., EngineStack]) -> None:
    job = admin.create_jobs(1)[0]["id"]
    es = new_stack(config={"drs:endpoint": (emulator.url, False)})  # type: ignore[attr-defined]
    es.program_args["batches"] = {"orders": {"job_ids": [job]}}
    with pytest.raises(auto.CommandError) as err:
        es.preview()
    assert "drs:accessKey" in str(err.value) and "HW_ACCESS_KEY" in str(err.value)


def test_wrong_credentials_fail_with_a_clear_message_and_leak_nothing(
        admin: EmulatorAdmin, emulator: object, new_stack: Callable[..., EngineStack]) -> None:
    job = admin.create_jobs(1)[0]["id"]
    wrong = "wrong-secret-key-do-not-leak"
    es = new_stack(config=emulator_config(emulator, secret_key=wrong))
    es.program_args["batches"] = {"orders": {"job_ids": [job]}}
    with pytest.raises(auto.CommandError) as err:
        es.preview()
    text = str(err.value)
    assert "APIGW.0301" in text and "401" in text
    assert wrong not in text and wrong not in es.text()
    assert admin.get_job(job)["start_count"] == 0


def test_stack_export_holds_no_configured_secret(admin: EmulatorAdmin,
                                                 new_stack: Callable[..., EngineStack]) -> None:
    job_ids = [j["id"] for j in admin.create_jobs(1)]
    es = new_stack()
    es.program_args["batches"] = {"orders": {"job_ids": job_ids}}
    es.up()
    es.refresh()
    exported = es.export()
    assert SK not in exported
    import base64
    import json

    resources = json.loads(exported)["deployment"]["resources"]
    [batch] = [r for r in resources if r["type"].endswith("drs:StartedJobBatch")]
    blob = base64.b64decode(batch["outputs"]["__provider"])
    assert b"StartedJobBatchProvider" in blob and len(blob) < 120  # a class reference, nothing else


def test_get_reads_existing_jobs_without_managing_them(admin: EmulatorAdmin,
                                                      new_stack: Callable[..., EngineStack]) -> None:
    running = admin.create_jobs(1, status=RUNNING)[0]["id"]
    ghost = "77777777-0000-4000-8000-0000000jb101"

    def program(args: dict[str, object]) -> None:
        import pulumi

        from pulumi_drs import StartedJobBatch

        view = StartedJobBatch.get("view", f"{running},{ghost}")
        pulumi.export("statuses", view.job_statuses)

    es = new_stack(program=program)
    up = es.up()
    assert up.outputs["statuses"].value == {running: RUNNING, ghost: "NOT_FOUND"}
    assert start_calls(admin) == []
    es.destroy()
    assert admin.get_job(running)["terminate_count"] == 0


def test_project_id_is_looked_up_from_the_region(admin: EmulatorAdmin, emulator: object,
                                                new_stack: Callable[..., EngineStack]) -> None:
    job = admin.create_jobs(1)[0]["id"]
    config = emulator_config(emulator)
    del config["drs:projectId"]
    config["drs:region"] = ("cn-north-4", False)  # the emulator's IAM project name
    config["drs:iamEndpoint"] = (emulator.url, False)  # type: ignore[attr-defined]
    es = new_stack(config=config)
    es.program_args["batches"] = {"orders": {"job_ids": [job], "wait": "incremental"}}
    up = es.up()
    assert up.outputs["orders_statuses"].value == {job: RUNNING}
    assert any(r["path"] == "/v3/projects" for r in admin.requests_log())


def test_a_lost_start_answer_never_causes_a_second_start(admin: EmulatorAdmin, api_version: str,
                                                         new_stack: Callable[..., EngineStack]) -> None:
    job_ids = [j["id"] for j in admin.create_jobs(3)]
    admin.add_fault("batch-starting" if api_version == "v3" else "jobs/action", "drop_after")
    es = new_stack()
    es.program_args["batches"] = {"orders": {"job_ids": job_ids}}
    up = es.up()
    assert set(up.outputs["orders_statuses"].value.values()) <= {"FULL_TRANSFER_STARTED", RUNNING}
    assert start_counts(admin, job_ids) == {j: 1 for j in job_ids}
    assert [r["fault"] for r in start_calls(admin)] == ["drop_after"]

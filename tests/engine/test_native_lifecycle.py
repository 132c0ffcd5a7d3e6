"""`drs:index:StartedJobBatch`, the native provider plugin, through the real engine from a YAML and a
TypeScript program (the generated Node.js SDK), against the DRS emulator over HTTP.

Each scenario is the dynamic resource's (tests/engine/test_lifecycle.py), written once as a `Program`
and run in each language; YAML runs it against DRS v3 and v5.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from drs_testing.e2e import AK, PROJECT_ID, SK, calls, emulator_config, start_calls, start_counts, terminate_calls
from drs_testing.engine import EngineStack
from drs_testing.programs import Batch, NodeModules, Program, Provider, project_stack, write
from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess

RUNNING = "INCRE_TRANSFER_STARTED"
"""Batches whose outputs a test compares wait for `incremental`: the emulator's timed steps may end a
`running` wait in FULL_TRANSFER_STARTED or INCRE_TRANSFER_STARTED; an incremental one ends here."""
pytestmark = pytest.mark.parametrize(("lang", "api_version"), [("yaml", "v3"), ("yaml", "v5"), ("typescript", "v3")],
                                     indirect=["api_version"], ids=["yaml-v3", "yaml-v5", "typescript-v3"])

Run = Callable[..., EngineStack]


@pytest.fixture(scope="session")
def node_modules(tmp_path_factory: pytest.TempPathFactory) -> NodeModules:
    return NodeModules(tmp_path_factory.mktemp("node")).install()


@pytest.fixture
def deploy(tmp_path: Path, emulator: EmulatorProcess, api_version: str, lang: str,
           request: pytest.FixtureRequest) -> Iterator[Run]:
    """`deploy(program, config=None)`: the stack of `program` in `lang` (the same stack when called again with a
    changed program), configured for the session's emulator."""
    modules = request.getfixturevalue("node_modules") if lang == "typescript" else None
    stacks: dict[str, EngineStack] = {}

    def make(program: Program, config: dict[str, tuple[str, bool]] | None = None) -> EngineStack:
        write(lang, program, tmp_path / "project", modules)
        if "dev" not in stacks:
            settings = emulator_config(emulator) if config is None else dict(config)
            settings.setdefault("drs:apiVersion", (api_version, False))
            stacks["dev"] = project_stack(tmp_path / "project", tmp_path / "state", settings)
        return stacks["dev"]

    yield make


def batch(job_ids: list[str], name: str = "orders", **props: Any) -> Program:
    return Program([Batch(name, {"jobIds": job_ids, "wait": "incremental", **props})],
                   outputs={"statuses": f"{name}.jobStatuses", "count": f"{name}.count"})


def test_preview_starts_nothing_then_up_starts_each_job_once_and_a_no_change_preview_follows(
        admin: EmulatorAdmin, deploy: Run) -> None:
    job_ids = [j["id"] for j in admin.create_jobs(3)]
    es = deploy(batch(job_ids))

    preview = es.preview()
    assert preview.change_summary.get("create") == 2  # the stack and the batch
    assert start_calls(admin) == []

    up = es.up()
    assert up.outputs["statuses"].value == {j: RUNNING for j in job_ids}
    assert up.outputs["count"].value == 3
    assert start_counts(admin, job_ids) == {j: 1 for j in job_ids}
    assert len(start_calls(admin)) == 1

    admin.clear_requests()
    assert es.preview(expect_no_changes=True).change_summary == {"same": 2}
    assert es.up().summary.resource_changes == {"same": 2}
    assert start_calls(admin) == []


def test_a_job_paused_outside_pulumi_shows_in_a_plain_preview_and_up_resumes_it_without_a_second_start(
        admin: EmulatorAdmin, deploy: Run, api_version: str) -> None:
    job_ids = [j["id"] for j in admin.create_jobs(2)]
    es = deploy(batch(job_ids))
    es.up()
    admin.set_status(job_ids[1], "PAUSING")
    admin.clear_requests()

    preview = es.preview(diff=True)
    assert preview.change_summary.get("update") == 1
    assert f"job {job_ids[1]} drifted: {RUNNING} => PAUSING; `pulumi up` will resume it" in _printed(preview)
    assert [r for r in admin.requests_log() if r["method"] != "GET" and not _is_read(r["path"])] == []

    up = es.up()
    assert up.outputs["statuses"].value == {j: RUNNING for j in job_ids}
    assert start_counts(admin, job_ids) == {j: 1 for j in job_ids}
    assert admin.get_job(job_ids[1])["retry_count"] + _resumes(admin, job_ids[1]) >= 1
    assert es.preview(expect_no_changes=True).change_summary == {"same": 2}


def _is_read(path: str) -> bool:
    return path.endswith(("batch-status", "batch-detail", "batch-progress", "batch-rpo-and-rto", "/jobs"))


def _printed(result: Any) -> str:
    """What the CLI printed for an operation: the display, and the diagnostics it writes to stderr."""
    return f"{result.stdout}\n{result.stderr}"


def _resumes(admin: EmulatorAdmin, job_id: str) -> int:
    """Resume requests for `job_id` (v3 batch-retry-task or v5 jobs/action), from the request log."""
    return sum(1 for r in admin.requests_log() if job_id in (r.get("job_ids") or [])
               and r["path"].endswith(("batch-retry-task", "jobs/action")))


def test_jobs_added_and_removed_in_place_start_only_the_added_one_and_stop_nothing(
        admin: EmulatorAdmin, deploy: Run) -> None:
    first, second, third = [j["id"] for j in admin.create_jobs(3)]
    es = deploy(batch([first, second]))
    es.up()

    es = deploy(batch([second, third]))
    up = es.up()
    assert up.summary.resource_changes == {"update": 1, "same": 1}
    assert up.outputs["statuses"].value == {second: RUNNING, third: RUNNING}
    assert start_counts(admin, [first, second, third]) == {first: 1, second: 1, third: 1}
    assert terminate_calls(admin) == []
    assert f"1 job(s) dropped from the batch and left running: {first}" in es.text()


def test_an_unknown_job_is_refused_at_preview_naming_it_and_the_property(admin: EmulatorAdmin, deploy: Run) -> None:
    unknown = "00000000-0000-0000-0000-000000jb9999"
    es = deploy(batch([unknown]))
    with pytest.raises(auto.CommandError) as err:
        es.preview()
    assert unknown in str(err.value) and "jobIds" in str(err.value)
    assert start_calls(admin) == []


def test_bad_inputs_fail_at_preview_naming_the_property_with_no_api_call(admin: EmulatorAdmin, deploy: Run) -> None:
    es = deploy(batch(["not-a-job-id"], timeout="forever", startTime="yesterday"))
    with pytest.raises(auto.CommandError) as err:
        es.preview()
    text = str(err.value)
    assert re.search(r"property jobIds value .* has a problem: 'not-a-job-id' is not a DRS job ID", text)
    assert re.search(r"property timeout value .* has a problem: 'forever' is not seconds or a duration", text)
    assert re.search(r"property startTime value .* has a problem: 'yesterday' is neither an ISO-8601 time", text)
    assert admin.requests_log() == []


def test_a_lost_start_answer_still_starts_each_job_once(admin: EmulatorAdmin, deploy: Run, api_version: str) -> None:
    job_ids = [j["id"] for j in admin.create_jobs(3)]
    admin.add_fault("batch-starting" if api_version == "v3" else "jobs/action", "drop_after")
    es = deploy(batch(job_ids))
    up = es.up()
    assert up.outputs["statuses"].value == {j: RUNNING for j in job_ids}
    assert start_counts(admin, job_ids) == {j: 1 for j in job_ids}
    assert [r["fault"] for r in start_calls(admin) if r["method"] == "POST"] == ["drop_after"]


def test_destroy_stops_nothing_by_default_and_terminates_with_stop_on_delete(admin: EmulatorAdmin,
                                                                             deploy: Run) -> None:
    kept, stopped = [j["id"] for j in admin.create_jobs(2)]
    es = deploy(Program([Batch("kept", {"jobIds": [kept], "wait": "incremental"}),
                         Batch("stopped", {"jobIds": [stopped], "wait": "incremental", "stopOnDelete": True})]))
    es.up()
    es.destroy()
    assert admin.get_job(kept)["terminate_count"] == 0
    assert admin.get_job(stopped)["terminate_count"] == 1
    assert admin.get_job(stopped)["status"] in ("RELEASE_RESOURCE_COMPLETE", "DELETED")
    assert "keep running (set stopOnDelete: true to terminate them on delete)" in es.text()


def test_import_records_running_jobs_with_no_start_call(admin: EmulatorAdmin, deploy: Run, lang: str) -> None:
    job_ids = [j["id"] for j in admin.create_jobs(2, status=RUNNING)]
    es = deploy(Program([]))
    es.up()
    admin.clear_requests()

    # The Node.js host this engine build has cannot write the program code an import prints (GenerateProgram).
    no_code = ["--generate-code=false"] if lang == "typescript" else []
    es.cli("import", "drs:index:StartedJobBatch", "adopted", ",".join(job_ids), "--yes", "--stack", "dev", *no_code)

    assert start_calls(admin) == [] or all(r["method"] == "GET" for r in start_calls(admin))
    assert start_counts(admin, job_ids) == {j: 0 for j in job_ids}
    state = json.loads(es.export())
    adopted = next(r for r in state["deployment"]["resources"] if r["urn"].endswith("::adopted"))
    assert adopted["outputs"]["jobStatuses"] == {j: RUNNING for j in job_ids}
    assert adopted["inputs"]["jobIds"] == job_ids

    es = deploy(Program([Batch("adopted", {"jobIds": job_ids}, protect=True)]))
    assert es.preview(expect_no_changes=True).change_summary == {"same": 2}


def test_custom_timeouts_bound_the_wait(admin: EmulatorAdmin, deploy: Run) -> None:
    job = admin.create_jobs(1)[0]["id"]
    admin.settings(hold_statuses=["STARTJOBING"])
    es = deploy(Program([Batch("slow", {"jobIds": [job], "timeout": "1h"}, custom_timeouts={"create": "6s"})]))
    with pytest.raises(auto.CommandError) as err:
        es.up()
    assert re.search(r"timed out after 6 s waiting for 1 job\(s\) to be running", str(err.value))
    assert start_counts(admin, [job]) == {job: 1}


def test_two_explicit_providers_reach_two_emulators_with_their_own_credentials(
        admin: EmulatorAdmin, emulator: EmulatorProcess, deploy: Run, api_version: str) -> None:
    other_ak, other_sk = "SECONDACCESSKEY", "second-secret-key-never-in-state-0123"
    with EmulatorProcess("--transition-seconds", "0.2", "--access-key", other_ak, "--secret-key", other_sk,
                         "--project-id", PROJECT_ID) as other:
        here = admin.create_jobs(1)[0]["id"]
        there = other.admin.create_jobs(1)[0]["id"]
        program = Program(
            [Batch("here", {"jobIds": [here], "wait": "incremental"}, provider="primary"),
             Batch("there", {"jobIds": [there], "wait": "incremental"}, provider="secondary")],
            providers=[Provider("primary", {"endpoint": emulator.url, "projectId": PROJECT_ID,
                                            "apiVersion": api_version, "accessKey": AK}, secrets={"secretKey": SK}),
                       Provider("secondary", {"endpoint": other.url, "projectId": PROJECT_ID,
                                              "apiVersion": api_version, "accessKey": other_ak},
                                secrets={"secretKey": other_sk})],
            outputs={"here": "here.jobStatuses", "there": "there.jobStatuses"})
        es = deploy(program, config={})
        up = es.up()

        assert up.outputs["here"].value == {here: RUNNING}
        assert up.outputs["there"].value == {there: RUNNING}
        assert [r["job_ids"] for r in calls(admin, "batch-starting") or calls(admin, "jobs/action")
                if r["method"] == "POST"] == [[here]]
        assert [r["job_ids"] for r in calls(other.admin, "batch-starting") or calls(other.admin, "jobs/action")
                if r["method"] == "POST"] == [[there]]
        state = es.export()
        assert SK not in state and other_sk not in state
        assert '"secretKey": {' in state or '"secretKey":{' in state.replace(" ", "")  # ciphertext
        assert es.preview(expect_no_changes=True).change_summary == {"same": 5}
        es.destroy()


def test_no_configured_secret_reaches_the_state(admin: EmulatorAdmin, deploy: Run) -> None:
    job = admin.create_jobs(1)[0]["id"]
    es = deploy(batch([job]))
    es.up()
    state = es.export()
    assert SK not in state
    assert job in state

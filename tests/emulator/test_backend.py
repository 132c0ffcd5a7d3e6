"""The backend without HTTP: rules and progression under a fake clock, and SQLite persistence."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from emulator_helpers import FakeClock

from pulumi_drs.emulator import DEFAULT_PROJECT_ID, DrsBackend, RuntimeSettings
from pulumi_drs.emulator import exceptions as exc
from pulumi_drs.emulator.items import DeleteItem, RetryItem, StartItem
from pulumi_drs.emulator.jobs import JobPatch, JobSpec, new_job_id
from pulumi_drs.emulator.paging import Page
from pulumi_drs.emulator.store import SqliteStore

P = DEFAULT_PROJECT_ID


def make_backend(clock: FakeClock, store: SqliteStore | None = None, **settings: Any) -> DrsBackend:
    return DrsBackend(P, replace(RuntimeSettings(transition_seconds=10.0), **settings), store, clock)


def status_of(backend: DrsBackend, job_id: str) -> str | None:
    job = backend.batch_list_job_status(P, [job_id], Page())[0].job
    return job.status if job else None


def new_job(backend: DrsBackend, **spec: object) -> str:
    job_id: str = backend.create_jobs([JobSpec.model_validate(spec)])[0]["id"]
    return job_id


def start(backend: DrsBackend, *job_ids: str, start_time: str | None = None) -> list[str | None]:
    outcomes = backend.batch_start_jobs(P, [StartItem(job_id, start_time) for job_id in job_ids])
    return [o.error.code if o.error else None for o in outcomes]


def test_new_job_ids_have_the_drs_form() -> None:
    job_id = new_job_id()

    assert [len(group) for group in job_id.split("-")] == [8, 4, 4, 4, 12]
    assert job_id.endswith("jb101")
    assert job_id == job_id.lower()


def test_each_step_takes_transition_seconds(clock: FakeClock) -> None:
    backend = make_backend(clock)
    job = new_job(backend)
    start(backend, job)

    seen = []
    for _ in range(4):
        seen.append(status_of(backend, job))
        clock.advance(10)

    assert seen == ["STARTJOBING", "FULL_TRANSFER_STARTED", "INCRE_TRANSFER_STARTED", "INCRE_TRANSFER_STARTED"]


def test_a_late_read_catches_up_all_steps(clock: FakeClock) -> None:
    backend = make_backend(clock)
    job = new_job(backend)
    start(backend, job)

    clock.advance(1000)

    assert status_of(backend, job) == "INCRE_TRANSFER_STARTED"


def test_reads_per_step_takes_a_step_at_every_nth_status_read(clock: FakeClock) -> None:
    backend = make_backend(clock, transition_seconds=0, reads_per_step=3)
    job = new_job(backend)
    start(backend, job)

    seen = [status_of(backend, job) for _ in range(6)]

    assert seen == ["STARTJOBING"] * 2 + ["FULL_TRANSFER_STARTED"] * 3 + ["INCRE_TRANSFER_STARTED"]


def test_a_held_status_does_not_advance_with_time_but_an_explicit_step_moves_it(clock: FakeClock) -> None:
    backend = make_backend(clock, hold_statuses=["RELEASE_RESOURCE_STARTED"])
    job = new_job(backend, status="INCRE_TRANSFER_STARTED")
    backend.batch_delete_jobs(P, [DeleteItem(job, "terminate")])

    clock.advance(3600)
    assert status_of(backend, job) == "RELEASE_RESOURCE_STARTED"

    (view,) = backend.step([job])
    assert view["status"] == "RELEASE_RESOURCE_COMPLETE"


def test_explicit_steps_ignore_time_and_stop_at_the_end_of_the_track(clock: FakeClock) -> None:
    backend = make_backend(clock, transition_seconds=3600)
    job = new_job(backend)
    start(backend, job)

    assert backend.step([job], steps=1)[0]["status"] == "FULL_TRANSFER_STARTED"
    assert backend.step(None, steps=5)[0]["status"] == "INCRE_TRANSFER_STARTED"


def test_an_explicit_step_into_purge_removes_the_job(clock: FakeClock) -> None:
    backend = make_backend(clock, transition_seconds=3600)
    job = new_job(backend, status="RELEASE_RESOURCE_COMPLETE")
    backend.batch_delete_jobs(P, [DeleteItem(job, "delete")])

    assert backend.step([job]) == []
    assert backend.describe_jobs() == []


def test_scheduled_start_holds_until_start_time_even_in_per_read_mode(clock: FakeClock) -> None:
    backend = make_backend(clock, transition_seconds=0)
    job = new_job(backend)
    start(backend, job, start_time=str(int((clock.now + 60) * 1000)))

    assert [status_of(backend, job) for _ in range(3)] == ["WAITING_FOR_START"] * 3
    clock.advance(61)
    assert [status_of(backend, job) for _ in range(3)] == [
        "STARTJOBING",
        "FULL_TRANSFER_STARTED",
        "INCRE_TRANSFER_STARTED",
    ]


def test_mutating_calls_do_not_advance_jobs_in_per_read_mode(clock: FakeClock) -> None:
    backend = make_backend(clock, transition_seconds=0)
    job = new_job(backend)
    start(backend, job)

    start(backend, job, new_job(backend))

    assert backend.describe_job(job)["status"] == "STARTJOBING"


@pytest.mark.parametrize(
    ("task_type", "track"),
    [
        ("FULL_TRANS", ["STARTJOBING", "FULL_TRANSFER_STARTED", "FULL_TRANSFER_COMPLETE", "FULL_TRANSFER_COMPLETE"]),
        ("INCR_TRANS", ["STARTJOBING", "INCRE_TRANSFER_STARTED", "INCRE_TRANSFER_STARTED", "INCRE_TRANSFER_STARTED"]),
    ],
)
def test_the_task_type_decides_where_a_start_ends(clock: FakeClock, task_type: str, track: list[str]) -> None:
    backend = make_backend(clock, transition_seconds=0)
    job = new_job(backend, task_type=task_type)
    start(backend, job)

    assert [status_of(backend, job) for _ in range(3)] == track[1:]


def test_wrong_project_raises_m00261(clock: FakeClock) -> None:
    backend = make_backend(clock)

    with pytest.raises(exc.InvalidProjectId):
        backend.batch_list_job_status("f" * 32, ["x"], Page())


def test_every_start_failing_comes_back_per_item(clock: FakeClock) -> None:
    backend = make_backend(clock)

    (outcome,) = backend.batch_start_jobs(P, [StartItem("nope")])

    assert outcome.job_id == "nope"
    assert isinstance(outcome.error, exc.JobNotFound)


def test_a_repeated_job_fails_the_whole_request_before_any_work(clock: FakeClock) -> None:
    backend = make_backend(clock)
    job = new_job(backend)

    with pytest.raises(exc.DuplicateParameter):
        start(backend, job, job)

    assert backend.describe_job(job)["start_count"] == 0


def test_deleted_job_becomes_unknown_one_step_later(clock: FakeClock) -> None:
    backend = make_backend(clock)
    job = new_job(backend, status="RELEASE_RESOURCE_COMPLETE")
    backend.batch_delete_jobs(P, [DeleteItem(job, "delete")])

    assert status_of(backend, job) == "DELETED"
    clock.advance(10)
    assert status_of(backend, job) is None
    with pytest.raises(exc.JobNotFound):
        backend.describe_job(job)


def test_retry_needs_is_sync_re_edit_for_a_failed_re_edit_subtask(clock: FakeClock) -> None:
    backend = make_backend(clock)
    job = new_job(backend, status="CHILD_TRANSFER_FAILED")

    (refused,) = backend.batch_restore_task(P, [RetryItem(job)])
    (accepted,) = backend.batch_restore_task(P, [RetryItem(job, is_sync_re_edit=True)])

    assert isinstance(refused.error, exc.InvalidJobStatus)
    assert accepted.error is None
    assert backend.describe_job(job)["status"] == "CHILD_TRANSFER_STARTING"


def test_admin_patch_sets_status_and_error(clock: FakeClock) -> None:
    backend = make_backend(clock)
    job = new_job(backend)

    view = backend.update_job(job, JobPatch(status="INCRE_TRANSFER_FAILED", error_code="DRS.X", rpo=3))

    assert (view["status"], view["error_code"], view["rpo"]) == ("INCRE_TRANSFER_FAILED", "DRS.X", 3)


def test_creating_a_job_with_a_taken_id_fails(clock: FakeClock) -> None:
    backend = make_backend(clock)
    new_job(backend, id="a")

    with pytest.raises(exc.InvalidParameter):
        new_job(backend, id="a")


def test_a_backward_job_is_multi_write_and_names_its_forward_job(clock: FakeClock) -> None:
    backend = make_backend(clock)
    forward = new_job(backend, db_use_type="cloudDataGuard")

    backward = backend.describe_job(new_job(backend, forward_job_id=forward))

    assert (backward["multi_write"], backward["forward_job_id"]) == (True, forward)
    assert (backward["job_direction"], backward["db_use_type"]) == ("down", "cloudDataGuard")
    assert backend.describe_job(forward)["multi_write"] is False


def test_sqlite_store_restores_jobs_and_their_progression(clock: FakeClock, tmp_path: Path) -> None:
    path = str(tmp_path / "state.sqlite")
    first = make_backend(clock, store=SqliteStore(path))
    job = new_job(first, name="kept")
    start(first, job)
    first.close()

    clock.advance(15)
    second = make_backend(clock, store=SqliteStore(path))

    assert second.describe_job(job)["name"] == "kept"
    assert status_of(second, job) == "FULL_TRANSFER_STARTED"
    assert second.describe_job(job)["start_count"] == 1
    second.reset()
    second.close()
    assert make_backend(clock, store=SqliteStore(path)).describe_jobs() == []


def test_a_state_file_of_an_older_emulator_keeps_the_forward_link(clock: FakeClock, tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "old.sqlite"))
    old = {"id": "b", "name": "old", "status": "CONFIGURATION", "create_time": clock.now, "master_job_id": "f"}
    store.write([old], [])

    backend = make_backend(clock, store=store)

    assert backend.describe_job("b")["forward_job_id"] == "f"

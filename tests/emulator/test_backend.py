"""The backend without HTTP: rules and progression under a fake clock, and SQLite persistence."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_drs import wire
from pulumi_drs.emulator import DEFAULT_PROJECT_ID, DrsBackend, Settings
from pulumi_drs.emulator import exceptions as exc
from pulumi_drs.emulator.jobs import JobPatch, JobSpec, new_job_id
from pulumi_drs.emulator.store import SqliteStore

P = DEFAULT_PROJECT_ID


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock()


def make_backend(
    clock: FakeClock, transition_seconds: float = 10.0, store: SqliteStore | None = None
) -> DrsBackend:
    return DrsBackend(P, Settings(transition_seconds=transition_seconds), store, clock)


def status_of(backend: DrsBackend, job_id: str) -> str | None:
    return backend.batch_list_job_status(P, wire.BatchJobsQuery(jobs=[job_id])).results[0].status


def start(backend: DrsBackend, *infos: wire.StartInfo) -> wire.BatchStartJobsResponse:
    return backend.batch_start_jobs(P, wire.BatchStartJobsRequest(jobs=list(infos)))


def test_new_job_ids_have_the_drs_form() -> None:
    job_id = new_job_id()

    assert [len(group) for group in job_id.split("-")] == [8, 4, 4, 4, 12]
    assert job_id.endswith("jb101")
    assert job_id == job_id.lower()


def test_each_step_takes_transition_seconds(clock: FakeClock) -> None:
    backend = make_backend(clock)
    job = backend.create_jobs([JobSpec()])[0]["id"]
    start(backend, wire.StartInfo(job_id=job))

    seen = []
    for _ in range(4):
        seen.append(status_of(backend, job))
        clock.now += 10

    assert seen == [
        "STARTJOBING",
        "FULL_TRANSFER_STARTED",
        "INCRE_TRANSFER_STARTED",
        "INCRE_TRANSFER_STARTED",
    ]


def test_a_late_read_catches_up_all_steps(clock: FakeClock) -> None:
    backend = make_backend(clock)
    job = backend.create_jobs([JobSpec()])[0]["id"]
    start(backend, wire.StartInfo(job_id=job))

    clock.now += 1000

    assert status_of(backend, job) == "INCRE_TRANSFER_STARTED"


def test_scheduled_start_holds_until_start_time_even_in_per_read_mode(clock: FakeClock) -> None:
    backend = make_backend(clock, transition_seconds=0)
    job = backend.create_jobs([JobSpec()])[0]["id"]
    start_ms = str(int((clock.now + 60) * 1000))
    start(backend, wire.StartInfo(job_id=job, start_time=start_ms))

    assert [status_of(backend, job) for _ in range(3)] == ["WAITING_FOR_START"] * 3
    clock.now += 61
    assert [status_of(backend, job) for _ in range(3)] == [
        "STARTJOBING",
        "FULL_TRANSFER_STARTED",
        "INCRE_TRANSFER_STARTED",
    ]


def test_mutating_calls_do_not_advance_jobs_in_per_read_mode(clock: FakeClock) -> None:
    backend = make_backend(clock, transition_seconds=0)
    job = backend.create_jobs([JobSpec()])[0]["id"]
    start(backend, wire.StartInfo(job_id=job))

    start(
        backend, wire.StartInfo(job_id=job), wire.StartInfo(job_id=backend.create_jobs([JobSpec()])[0]["id"])
    )

    assert backend.describe_job(job)["status"] == "STARTJOBING"


def test_wrong_project_raises_m00261(clock: FakeClock) -> None:
    backend = make_backend(clock)

    with pytest.raises(exc.InvalidProjectId):
        backend.batch_list_job_status("f" * 32, wire.BatchJobsQuery(jobs=["x"]))


def test_every_start_failing_raises_batch_rejected_with_items(clock: FakeClock) -> None:
    backend = make_backend(clock)

    with pytest.raises(exc.BatchRejected) as raised:
        start(backend, wire.StartInfo(job_id="nope"))

    assert raised.value.body() == {
        "count": 1,
        "results": [
            {
                "id": "nope",
                "status": "failed",
                "error_code": "DRS.M05003",
                "error_msg": "Task nope not found.",
            }
        ],
    }


def test_deleted_job_becomes_unknown_one_step_later(clock: FakeClock) -> None:
    backend = make_backend(clock)
    job = backend.create_jobs([JobSpec(status="RELEASE_RESOURCE_COMPLETE")])[0]["id"]
    backend.batch_delete_jobs(
        P, wire.BatchDeleteJobsRequest(jobs=[wire.DeleteInfo(delete_type="delete", job_id=job)])
    )

    assert status_of(backend, job) == "DELETED"
    clock.now += 10
    assert status_of(backend, job) is None
    with pytest.raises(exc.JobNotFound):
        backend.describe_job(job)


def test_admin_patch_sets_status_and_error(clock: FakeClock) -> None:
    backend = make_backend(clock)
    job = backend.create_jobs([JobSpec()])[0]["id"]

    view = backend.update_job(job, JobPatch(status="INCRE_TRANSFER_FAILED", error_code="DRS.X", rpo=3))

    assert (view["status"], view["error_code"], view["rpo"]) == ("INCRE_TRANSFER_FAILED", "DRS.X", 3)


def test_creating_a_job_with_a_taken_id_fails(clock: FakeClock) -> None:
    backend = make_backend(clock)
    backend.create_jobs([JobSpec(id="a")])

    with pytest.raises(exc.InvalidParameter):
        backend.create_jobs([JobSpec(id="a")])


def test_sqlite_store_restores_jobs_and_their_progression(clock: FakeClock, tmp_path: Path) -> None:
    path = str(tmp_path / "state.sqlite")
    first = make_backend(clock, store=SqliteStore(path))
    job = first.create_jobs([JobSpec(name="kept")])[0]["id"]
    start(first, wire.StartInfo(job_id=job))
    first.close()

    clock.now += 15
    second = make_backend(clock, store=SqliteStore(path))

    assert second.describe_job(job)["name"] == "kept"
    assert status_of(second, job) == "FULL_TRANSFER_STARTED"
    assert second.describe_job(job)["start_count"] == 1
    second.reset()
    second.close()
    assert make_backend(clock, store=SqliteStore(path)).list_jobs() == []

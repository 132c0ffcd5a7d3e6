"""GET /v5/{project_id}/jobs (list_jobs): one job type per call, names and up to 10 IDs, status filter,
offset/limit paging, order, subtasks inside their parent, and `job_action` from the status table."""

from __future__ import annotations

import pytest
import requests
from emulator_helpers import FakeClock, SignedDrsV5

from drs_testing import sdk_contract as contract
from pulumi_drs.emulator import EmulatorAdmin, InProcessEmulator


def ids_of(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [job["id"] for job in response.json()["jobs"]]


def test_list_answers_the_tasks_of_one_job_type_with_all_their_subtasks(
    drs5: SignedDrsV5, manual: EmulatorAdmin
) -> None:
    parent, single = (j["id"] for j in manual.create_jobs([{"name": "parent"}, {"name": "single"}]))
    children = [j["id"] for j in manual.create_jobs(2, parent_id=parent)]
    manual.create_jobs(1, db_use_type="sync")

    response = drs5.list()

    assert response.status_code == 200
    body = response.json()
    assert body["total_count"] == 2
    listed = {job["id"]: job for job in body["jobs"]}
    assert set(listed) == {parent, single}
    assert [child["id"] for child in listed[parent]["children"]] == children
    assert listed[single]["children"] == []


def test_list_entries_carry_every_field_with_the_sdk_types(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    parent = manual.create_jobs([{"name": "parent", "task_type": "FULL_TRANS"}])[0]["id"]
    manual.create_jobs(1, parent_id=parent, status="INCRE_TRANSFER_FAILED")

    body = drs5.list().json()
    (job,) = body["jobs"]

    assert contract.type_problems(body, "ListJobsResponse", version="v5") == []
    assert contract.undeclared_fields(body, "ListJobsResponse", version="v5") == []
    assert set(job) == set(contract.example_body("JobListResp", version="v5"))
    assert (job["name"], job["job_type"], job["task_type"]) == ("parent", "migration", "FULL_TRANS")
    assert (job["engine_type"], job["net_type"], job["charging_mode"]) == ("mysql-to-mysql", "eip", "on_demand")
    assert (job["job_mode"], job["job_mode_role"]) == ("sync_child", "parent")
    child = job["children"][0]
    assert (child["job_mode"], child["job_mode_role"]) == ("sync_child", "child")
    assert child["job_action"]["available_actions"] == ["PAUSE", "RETRY", "RESET", "FREE_RESOURCE"]


def test_a_single_task_is_single_without_a_role(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1)[0]["id"]

    listed = drs5.listed(job)

    assert (listed["job_mode"], "job_mode_role" in listed) == ("single", False)
    assert listed["create_time"].isdigit()


@pytest.mark.parametrize(
    ("status", "available", "current"),
    [
        ("CONFIGURATION", ["START", "FREE_RESOURCE"], ""),
        ("STARTJOBING", ["FREE_RESOURCE"], "START"),
        ("INCRE_TRANSFER_STARTED", ["PAUSE", "FREE_RESOURCE"], ""),
        ("PAUSING", ["RETRY", "FREE_RESOURCE"], ""),
        ("FULL_TRANSFER_FAILED", ["PAUSE", "RETRY", "RESET", "FREE_RESOURCE"], ""),
        ("START_JOB_FAILED", ["FREE_RESOURCE"], ""),
        ("RELEASE_RESOURCE_STARTED", [], ""),
        ("RELEASE_RESOURCE_COMPLETE", ["DELETE"], ""),
    ],
)
def test_job_action_says_what_the_status_allows(
    drs5: SignedDrsV5, manual: EmulatorAdmin, status: str, available: list[str], current: str
) -> None:
    job = manual.create_jobs(1, status=status)[0]["id"]

    action = drs5.listed(job)["job_action"]

    assert action["available_actions"] == available
    assert action["unavailable_actions"] == [
        a for a in ("START", "PAUSE", "RETRY", "RESET", "DELETE", "FREE_RESOURCE") if a not in available
    ]
    assert action["current_action"] == current


@pytest.mark.parametrize("job_type", ["migration", "sync", "cloudDataGuard"])
def test_list_filters_by_job_type(drs5: SignedDrsV5, manual: EmulatorAdmin, job_type: str) -> None:
    jobs = manual.create_jobs([{"db_use_type": t} for t in ("migration", "sync", "cloudDataGuard")])
    wanted = next(j["id"] for j in jobs if j["db_use_type"] == job_type)

    listed = drs5.list(job_type=job_type).json()["jobs"]

    assert [(job["id"], job["job_type"]) for job in listed] == [(wanted, job_type)]


def test_list_of_replay_tasks_is_empty(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    manual.create_jobs(1)

    assert drs5.list(job_type="replay").json() == {"total_count": 0, "jobs": []}


def test_name_is_a_task_name_or_comma_separated_ids(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    a, b, c = (j["id"] for j in manual.create_jobs([{"name": "alpha"}, {"name": "beta"}, {"name": "gamma"}]))

    assert set(ids_of(drs5.list(name=f"{a},{c}"))) == {a, c}
    assert ids_of(drs5.list(name="beta")) == [b]
    assert ids_of(drs5.list(name=b)) == [b]
    assert ids_of(drs5.list(name="bet")) == []


def test_a_subtask_is_listed_only_inside_its_parent(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    parent = manual.create_jobs(1)[0]["id"]
    child = manual.create_jobs(1, parent_id=parent)[0]["id"]

    assert ids_of(drs5.list(name=child)) == []
    assert ids_of(drs5.list()) == [parent]


def test_list_filters_by_status(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    configured, running = (j["id"] for j in manual.create_jobs(2))
    manual.set_status(running, "INCRE_TRANSFER_STARTED")

    assert ids_of(drs5.list(status="INCRE_TRANSFER_STARTED")) == [running]
    assert ids_of(drs5.list(status="CONFIGURATION")) == [configured]


def test_list_filters_by_engine_and_net_type(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1)[0]["id"]

    assert ids_of(drs5.list(engine_type="mysql-to-mysql", net_type="eip")) == [job]
    assert ids_of(drs5.list(engine_type="redis-to-gaussredis")) == []
    assert ids_of(drs5.list(net_type="vpc")) == []


def test_list_pages_by_offset_and_limit_and_counts_every_match(
    inproc_drs5: SignedDrsV5, inproc: InProcessEmulator, clock: FakeClock
) -> None:
    ids = []
    for _ in range(12):
        ids.append(inproc.admin.create_jobs(1)[0]["id"])
        clock.advance(1)

    pages = [inproc_drs5.list(offset=offset, limit=5).json() for offset in (0, 5, 10, 15)]

    assert [page["total_count"] for page in pages] == [12] * 4
    assert [job["id"] for page in pages for job in page["jobs"]] == ids[::-1]  # newest first: create_time desc
    assert pages[3]["jobs"] == []
    assert len(inproc_drs5.list().json()["jobs"]) == 10  # the default limit


def test_list_sorts_by_the_key_and_direction_asked(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    b, a, c = (j["id"] for j in manual.create_jobs([{"name": "bravo"}, {"name": "alpha"}, {"name": "charlie"}]))

    assert ids_of(drs5.list(sort_key="name", sort_dir="asc")) == [a, b, c]
    assert ids_of(drs5.list(sort_key="name")) == [c, b, a]


def test_max_per_page_answers_fewer_than_the_limit(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    manual.create_jobs(5)
    manual.settings(max_per_page=2)

    body = drs5.list(limit=100).json()

    assert (body["total_count"], len(body["jobs"])) == (5, 2)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"job_type": None}, "DRS.M00201"),
        ({"job_type": ""}, "DRS.M00201"),
        ({"job_type": "replication"}, "DRS.M00202"),
        ({"name": ",".join(f"id-{n}" for n in range(11))}, "DRS.M00202"),
        ({"offset": -1}, "DRS.M00210"),
        ({"limit": 0}, "DRS.M00210"),
        ({"limit": 1001}, "DRS.M00211"),
        ({"limit": "ten"}, "DRS.M00007"),
        ({"sort_key": "rpo"}, "DRS.M00202"),
        ({"sort_dir": "up"}, "DRS.M00202"),
    ],
)
def test_list_rejects_a_bad_query_with_400(
    drs5: SignedDrsV5, admin: EmulatorAdmin, query: dict[str, object], code: str
) -> None:
    response = drs5.list(**query)

    assert (response.status_code, response.json()["error_code"]) == (400, code)


def test_ten_ids_are_allowed(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    ids = [j["id"] for j in manual.create_jobs(10)]

    assert set(ids_of(drs5.list(name=",".join(ids)))) == set(ids)


def test_a_list_reads_only_the_tasks_it_selects(drs5: SignedDrsV5, stepped: EmulatorAdmin) -> None:
    asked, other, sync = (j["id"] for j in stepped.create_jobs([{}, {}, {"db_use_type": "sync"}]))
    for job in (asked, other, sync):
        drs5.act("start", job)

    drs5.list(name=asked)
    drs5.list(job_type="sync", name=other)  # `other` is a migration task: not selected

    statuses = {job: stepped.get_job(job)["status"] for job in (asked, other, sync)}
    assert statuses == {asked: "FULL_TRANSFER_STARTED", other: "STARTJOBING", sync: "STARTJOBING"}


def test_a_deleted_task_is_listed_until_it_is_gone(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1, status="DELETED")[0]["id"]

    assert drs5.listed(job)["job_action"]["available_actions"] == []
    manual.set_status(job, "RELEASE_RESOURCE_COMPLETE")
    drs5.drs.delete("delete", job)
    manual.step([job])
    assert ids_of(drs5.list(name=job)) == []

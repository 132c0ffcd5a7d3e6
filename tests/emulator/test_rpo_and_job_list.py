"""batch-rpo-and-rto (202, delays in ms) and the task list `POST /v3/{project_id}/jobs` (show_job_list)."""

from __future__ import annotations

import pytest
from emulator_helpers import UNKNOWN_JOB, SignedDrs, items_by_id

from pulumi_drs.emulator import EmulatorAdmin

# --- batch-rpo-and-rto ----------------------------------------------------------------------------


def test_rpo_and_rto_answer_202_with_delays_in_milliseconds(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1, db_use_type="cloudDataGuard", rpo=3, rto=45)[0]["id"]

    response = drs.rpo_and_rto([job])

    assert response.status_code == 202
    assert response.json()["count"] == 1
    (item,) = response.json()["results"]
    assert item["job_id"] == job
    assert (item["rpo_info"]["delay"], item["rto_info"]["delay"]) == ("3000", "45000")
    assert set(item["rpo_info"]) == {"check_point", "delay", "gtid_set", "time"}
    assert "error_code" not in item


def test_rpo_and_rto_of_an_unknown_job_is_an_item_with_m05003(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1)[0]["id"]

    response = drs.rpo_and_rto([job, UNKNOWN_JOB])

    assert response.status_code == 202
    unknown = items_by_id(response)[UNKNOWN_JOB]
    assert (unknown["error_code"], "rpo_info" in unknown) == ("DRS.M05003", False)
    assert unknown["error_msg"]


def test_rpo_and_rto_of_no_job_answers_400_m00201(drs: SignedDrs, admin: EmulatorAdmin) -> None:
    response = drs.rpo_and_rto([])

    assert (response.status_code, response.json()["error_code"]) == (400, "DRS.M00201")


# --- the task list ---------------------------------------------------------------------------------


def test_job_list_answers_every_top_level_task_with_all_its_subtasks(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    parent, single = (j["id"] for j in manual.create_jobs([{"name": "parent"}, {"name": "single"}]))
    children = [j["id"] for j in manual.create_jobs(3, parent_id=parent)]

    response = drs.job_list()

    assert response.status_code == 200
    body = response.json()
    assert body["total_record"] == 2
    listed = {job["id"]: job for job in body["jobs"]}
    assert set(listed) == {parent, single}
    assert [child["id"] for child in listed[parent]["children"]] == children
    assert {child["status"] for child in listed[parent]["children"]} == {"CONFIGURATION"}
    assert listed[single]["children"] == []


def test_job_list_entries_carry_the_documented_fields(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    manual.create_jobs([{"name": "one", "task_type": "FULL_TRANS"}])

    (job,) = drs.job_list().json()["jobs"]

    assert (job["name"], job["status"], job["task_type"]) == ("one", "CONFIGURATION", "FULL_TRANS")
    assert (job["engine_type"], job["net_type"], job["job_direction"]) == ("mysql", "eip", "up")
    assert job["billing_tag"] is False
    assert job["job_action"] == {
        "available_actions": ["START", "FREE_RESOURCE"],
        "unavailable_actions": ["PAUSE", "RETRY", "DELETE"],
        "current_action": "",
    }


def test_job_list_name_filters_by_name_or_comma_separated_ids(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    a, b, c = (j["id"] for j in manual.create_jobs([{"name": "alpha"}, {"name": "beta"}, {"name": "gamma"}]))

    by_ids = drs.job_list(name=f"{a}, {c}").json()
    by_name = drs.job_list(name="beta").json()

    assert {job["id"] for job in by_ids["jobs"]} == {a, c}
    assert [job["id"] for job in by_name["jobs"]] == [b]


def test_job_list_filters_by_db_use_type_and_status(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    migration, running = (j["id"] for j in manual.create_jobs(2))
    manual.set_status(running, "INCRE_TRANSFER_STARTED")
    guard = manual.create_jobs(1, db_use_type="cloudDataGuard")[0]["id"]

    dr = drs.job_list(db_use_type="cloudDataGuard").json()["jobs"]
    replicating = drs.job_list(status="INCRE_TRANSFER_STARTED").json()["jobs"]

    assert [(job["id"], job["engine_type"]) for job in dr] == [(guard, "cloudDataGuard-mysql")]
    assert [job["id"] for job in replicating] == [running]
    assert migration not in {job["id"] for job in dr + replicating}


def test_job_list_pages_and_counts_every_match(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    ids = [j["id"] for j in manual.create_jobs(12)]

    pages = [drs.job_list(cur_page=n, per_page=5).json() for n in (1, 2, 3, 4)]

    assert [page["total_record"] for page in pages] == [12] * 4
    assert [job["id"] for page in pages for job in page["jobs"]] == ids
    assert pages[3]["jobs"] == []
    assert len(drs.job_list(cur_page=0, per_page=5).json()["jobs"]) == 12


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"db_use_type": None}, "DRS.M00201"),
        ({"cur_page": -1}, "DRS.M00210"),
        ({"per_page": 101}, "DRS.M00211"),
        ({"name": ",".join(f"id-{n}" for n in range(101))}, "DRS.M00202"),
    ],
)
def test_job_list_rejects_a_bad_query_with_400(
    drs: SignedDrs, admin: EmulatorAdmin, query: dict[str, object], code: str
) -> None:
    response = drs.job_list(**query)

    assert (response.status_code, response.json()["error_code"]) == (400, code)


def test_job_list_shows_what_each_status_allows(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    paused, released = (j["id"] for j in manual.create_jobs(2))
    manual.set_status(paused, "PAUSING")
    manual.set_status(released, "RELEASE_RESOURCE_COMPLETE")

    actions = {job["id"]: job["job_action"]["available_actions"] for job in drs.job_list().json()["jobs"]}

    assert actions == {paused: ["RETRY", "FREE_RESOURCE"], released: ["DELETE"]}

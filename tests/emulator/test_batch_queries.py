"""batch-status, batch-detail and batch-progress: shapes, status codes, pagination, unknown jobs."""

from __future__ import annotations

import pytest
from emulator_helpers import UNKNOWN_JOB, SignedDrs, items_by_id

from pulumi_drs.emulator import EmulatorAdmin


def test_batch_status_answers_200_with_status_per_job(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    configured, running = (j["id"] for j in manual.create_jobs(2))
    manual.set_status(running, "INCRE_TRANSFER_STARTED")

    response = drs.status([configured, running])

    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "results": [
            {"id": configured, "status": "CONFIGURATION"},
            {"id": running, "status": "INCRE_TRANSFER_STARTED"},
        ],
    }


def test_batch_status_reports_unknown_job_as_an_item_with_error_message(
    drs: SignedDrs, manual: EmulatorAdmin
) -> None:
    response = drs.status([UNKNOWN_JOB])

    assert response.status_code == 200
    (item,) = response.json()["results"]
    assert item["id"] == UNKNOWN_JOB
    assert item["error_code"] == "DRS.M05003"
    assert item["error_message"]
    assert "error_msg" not in item


def test_batch_detail_answers_200_with_job_details(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    parent = manual.create_jobs([{"name": "parent-job"}])[0]["id"]
    child = manual.create_jobs(1, parent_id=parent)[0]["id"]

    response = drs.detail([parent, child, UNKNOWN_JOB])

    assert response.status_code == 200
    details = items_by_id(response)
    assert details[parent]["name"] == "parent-job"
    assert details[parent]["status"] == "CONFIGURATION"
    assert details[parent]["job_direction"] == "up"
    assert details[parent]["db_use_type"] == "migration"
    assert details[parent]["create_time"].isdigit()
    assert details[parent]["update_time"].isdigit()
    assert (details[parent]["task_type"], details[parent]["multi_write"]) == ("FULL_INCR_TRANS", False)
    assert details[child]["parent_id"] == parent
    assert details[UNKNOWN_JOB]["error_code"] == "DRS.M05003"


def test_batch_detail_children_are_objects_never_subtask_ids(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    parent = manual.create_jobs(1)[0]["id"]
    manual.create_jobs(2, parent_id=parent)

    detail = drs.detail([parent]).json()["results"][0]

    # SDK QueryJobResp.children: FailedToBindEipChildInfo {id, name}, subtasks that failed to bind an EIP
    assert detail["children"] == []


def test_batch_detail_serves_the_task_type_given_at_creation(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs([{"task_type": "FULL_TRANS"}])[0]["id"]

    assert drs.detail([job]).json()["results"][0]["task_type"] == "FULL_TRANS"


def test_batch_detail_of_dr_backward_task_is_multi_write_without_a_master(
    drs: SignedDrs, manual: EmulatorAdmin
) -> None:
    forward = manual.create_jobs(1, db_use_type="cloudDataGuard")[0]["id"]
    backward = manual.create_jobs(1, forward_job_id=forward)[0]["id"]

    details = items_by_id(drs.detail([forward, backward]))

    assert (details[backward]["job_direction"], details[backward]["db_use_type"]) == ("down", "cloudDataGuard")
    assert details[backward]["multi_write"] is True
    assert "master_job_id" not in details[backward]
    assert details[forward]["multi_write"] is False


def test_batch_detail_times_follow_the_start(drs: SignedDrs, stepped: EmulatorAdmin) -> None:
    job = stepped.create_jobs(1)[0]["id"]
    drs.start(job)
    drs.status_of(job)

    detail = drs.detail([job]).json()["results"][0]

    assert detail["status"] == "INCRE_TRANSFER_STARTED"
    assert int(detail["create_time"]) <= int(detail["actual_start_time"]) <= int(detail["update_time"])
    assert int(detail["full_transfer_complete_time"]) == int(detail["update_time"])


def test_batch_detail_of_only_unknown_jobs_answers_400_with_batch_body(
    drs: SignedDrs, manual: EmulatorAdmin
) -> None:
    response = drs.detail([UNKNOWN_JOB])

    assert response.status_code == 400
    assert response.json()["results"][0]["error_code"] == "DRS.M05003"


def test_batch_progress_answers_202_with_rpo_as_delay(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1, rpo=7)[0]["id"]
    manual.set_status(job, "INCRE_TRANSFER_STARTED")

    response = drs.progress([job, UNKNOWN_JOB])

    assert response.status_code == 202
    body = response.json()
    assert body["count"] == 2
    progress = items_by_id(response)
    assert progress[job]["incre_trans_delay"] == "7"
    assert progress[job]["incre_trans_delay_millis"] == "7000"
    assert progress[job]["transfer_status"] == "INCRE_TRANSFER_STARTED"
    assert progress[job]["progress"] == "100"
    assert progress[UNKNOWN_JOB]["error_code"] == "DRS.M05003"


# --- pagination -----------------------------------------------------------------------------


@pytest.fixture()
def many_jobs(manual: EmulatorAdmin) -> list[str]:
    return [job["id"] for job in manual.create_jobs(150)]


@pytest.mark.parametrize("operation", ["status", "detail"])
def test_pagination_defaults_to_5_per_page(drs: SignedDrs, many_jobs: list[str], operation: str) -> None:
    response = getattr(drs, operation)(many_jobs[:12])

    assert [r["id"] for r in response.json()["results"]] == many_jobs[:5]
    assert response.json()["count"] == 5


@pytest.mark.parametrize("operation", ["status", "detail"])
def test_pagination_pages_through_with_cur_page(drs: SignedDrs, many_jobs: list[str], operation: str) -> None:
    ids = many_jobs[:12]
    pages = [
        getattr(drs, operation)(ids, {"cur_page": n, "per_page": 5}).json()["results"] for n in (1, 2, 3)
    ]

    assert [r["id"] for page in pages for r in page] == ids
    assert [len(page) for page in pages] == [5, 5, 2]


def test_pagination_serves_100_per_page_past_100_jobs(drs: SignedDrs, many_jobs: list[str]) -> None:
    first = drs.status(many_jobs, {"cur_page": 1, "per_page": 100}).json()["results"]
    second = drs.status(many_jobs, {"cur_page": 2, "per_page": 100}).json()["results"]

    assert [r["id"] for r in first + second] == many_jobs


@pytest.mark.parametrize("page_req", [{"cur_page": 1, "per_page": 0}, {"cur_page": 0, "per_page": 0},
                                      {"cur_page": 0, "per_page": 5}])
def test_page_0_or_per_page_0_returns_every_job_up_to_max_per_page(
    drs: SignedDrs, manual: EmulatorAdmin, many_jobs: list[str], page_req: dict[str, int]
) -> None:
    capped = drs.status(many_jobs, page_req).json()["results"]
    manual.settings(max_per_page=200)
    every = drs.status(many_jobs, page_req).json()["results"]

    assert [r["id"] for r in capped] == many_jobs[:100]
    assert [r["id"] for r in every] == many_jobs


@pytest.mark.parametrize("operation", ["status", "detail"])
def test_max_per_page_answers_fewer_items_than_asked_and_pages_on_with_that_size(
    drs: SignedDrs, manual: EmulatorAdmin, many_jobs: list[str], operation: str
) -> None:
    manual.settings(max_per_page=7)
    ids = many_jobs[:20]

    pages = [getattr(drs, operation)(ids, {"cur_page": n, "per_page": 100}).json() for n in (1, 2, 3)]

    assert [page["count"] for page in pages] == [7, 7, 6]
    assert [r["id"] for page in pages for r in page["results"]] == ids
    assert getattr(drs, operation)(ids, {"cur_page": 4, "per_page": 100}).json()["error_code"] == "DRS.M00211"


@pytest.mark.parametrize(
    ("page_req", "code"),
    [
        ({"cur_page": -1, "per_page": 5}, "DRS.M00210"),
        ({"cur_page": 1, "per_page": -1}, "DRS.M00210"),
        ({"cur_page": 1, "per_page": 101}, "DRS.M00211"),
        ({"cur_page": 4, "per_page": 5}, "DRS.M00211"),
        ({"cur_page": 2, "per_page": 0}, "DRS.M00211"),
    ],
)
def test_bad_page_answers_400(
    drs: SignedDrs, many_jobs: list[str], page_req: dict[str, int], code: str
) -> None:
    response = drs.status(many_jobs[:12], page_req)

    assert response.status_code == 400
    assert response.json()["error_code"] == code
    assert response.json()["error_msg"]


@pytest.mark.parametrize("operation", ["batch-status", "batch-detail", "batch-progress", "batch-rpo-and-rto"])
def test_a_query_naming_a_job_twice_answers_400_m00301(
    drs: SignedDrs, manual: EmulatorAdmin, operation: str
) -> None:
    job = manual.create_jobs(1)[0]["id"]

    response = drs.request("POST", operation, {"jobs": [job, job]})

    assert response.status_code == 400
    assert response.json()["error_code"] == "DRS.M00301"

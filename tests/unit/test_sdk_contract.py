"""Tests of drs_testing.sdk_contract: the helpers that make the official SDK's models the wire contract.

If these helpers were lenient, every contract test built on them would pass vacuously, so each check
here is one that a too-forgiving implementation fails."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from huaweicloudsdkdrs.v3 import model as v3_model
from huaweicloudsdkdrs.v5 import model as v5_model

from drs_testing.sdk_contract import (
    example_body,
    example_value,
    operation_route,
    raw_json_of,
    response_model_for,
    sdk_client,
    type_problems,
    undeclared_fields,
)

V3_RESPONSES = [
    "BatchStartJobsResponse",
    "BatchListJobStatusResponse",
    "BatchListJobDetailsResponse",
    "BatchListProgressesResponse",
    "BatchRestoreTaskResponse",
    "BatchDeleteJobsResponse",
    "BatchListRposAndRtosResponse",
    "ShowJobListResponse",
    "BatchStopJobsResponse",
    "BatchCreateJobsResponse",
]
V5_RESPONSES = [
    "BatchExecuteJobActionsResponse",
    "ListJobsResponse",
    "ShowTaskExecuteProgressResponse",
    "ShowActionsResponse",
    "ShowJobDetailResponse",
]


def test_example_query_job_has_children_as_objects_with_id_and_name() -> None:
    body = example_body("QueryJobResp")
    children = body["children"]
    assert isinstance(children, list) and len(children) == 1
    assert isinstance(children[0], dict)
    assert set(children[0]) == {"id", "name"}
    assert all(isinstance(value, str) for value in children[0].values())


def test_example_body_has_every_declared_field_under_its_json_name() -> None:
    model = v3_model.QueryJobResp
    body = example_body(model)
    assert set(body) == set(model.attribute_map.values())
    assert isinstance(body["node_num"], int) and not isinstance(body["node_num"], bool)
    assert body["need_restart"] is True
    assert isinstance(body["source_endpoint"], dict) and body["source_endpoint"]


def test_example_body_uses_json_names_not_python_attribute_names() -> None:
    assert v3_model.JobInfo.attribute_map["node_new_framework"] == "node_newFramework"
    body = example_body("JobInfo")
    assert "node_newFramework" in body and "node_new_framework" not in body
    assert "property" in example_body("BatchJobActionReq")  # Python attribute `_property`


def test_example_body_is_deterministic_and_fresh() -> None:
    first = example_body("BatchListJobDetailsResponse")
    second = example_body(v3_model.BatchListJobDetailsResponse)
    assert first == second
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    first["results"].clear()
    assert example_body("BatchListJobDetailsResponse")["results"]


def test_overrides_replace_top_level_values_and_can_add_keys() -> None:
    results = [{"id": "job-1", "status": "STARTJOBING"}]
    body = example_body("BatchListJobStatusResponse", overrides={"results": results, "extra": 1})
    assert body["results"] == results and body["extra"] == 1
    assert isinstance(body["count"], int)
    body["results"][0]["id"] = "changed"
    assert results[0]["id"] == "job-1"


def test_example_body_of_a_recursive_model_terminates_and_fits() -> None:
    body = example_body("BaseEndpoint", version="v5")  # source_sharding: list[BaseEndpoint]
    assert body["source_sharding"] == [{}]
    assert type_problems(body, "BaseEndpoint", version="v5") == []


def test_a_model_class_resolves_nested_models_in_its_own_version() -> None:
    body = example_body(v5_model.ListJobsResponse)  # version defaults to v3, which has no ListJobsResponse
    assert type_problems(body, v5_model.ListJobsResponse) == []


def test_whole_body_models_are_their_body_fields_value() -> None:
    links = example_value("list[SupportLinksResp]", version="v5")
    assert type_problems(links, "ListSupportLinksResponse", version="v5") == []
    assert type_problems({"body": links}, "ListSupportLinksResponse", version="v5")
    with pytest.raises(TypeError, match="example_value"):
        example_body("ListSupportLinksResponse", version="v5")
    request_body = example_body("BatchListJobStatusRequest")  # x_language is a header, body the payload
    assert request_body == example_body("BatchQueryJobReqPage") and request_body["jobs"] == ["example-jobs"]


def test_unknown_model_name_is_an_error_with_suggestions() -> None:
    with pytest.raises(LookupError, match="BatchListJobStatusResponse"):
        example_body("BatchListJobStatusRespons")


def test_list_of_strings_where_objects_are_declared_is_a_problem() -> None:
    body = example_body("QueryJobResp", overrides={"children": ["a"]})
    problems = type_problems(body, "QueryJobResp")
    assert len(problems) == 1
    assert problems[0].startswith("children[0]:")
    assert "FailedToBindEipChildInfo" in problems[0]


def test_string_where_int_is_declared_is_a_problem() -> None:
    body = example_body("BatchListJobStatusResponse", overrides={"count": "3"})
    assert [p.split(":")[0] for p in type_problems(body, "BatchListJobStatusResponse")] == ["count"]


def test_bool_is_not_an_int() -> None:
    body = example_body("BatchListJobStatusResponse", overrides={"count": True})
    problems = type_problems(body, "BatchListJobStatusResponse")
    assert len(problems) == 1 and "boolean" in problems[0]


def test_int_is_not_a_bool_and_accepted_as_a_float() -> None:
    assert type_problems({"need_restart": 1}, "QueryJobResp") != []
    assert type_problems({"progress": 1}, "NodeContentCompareDetailResult") == []
    assert type_problems({"progress": "1.0"}, "NodeContentCompareDetailResult") != []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", {"a": 1}),  # object where str
        ("id", 5),  # int where str
        ("source_endpoint", []),  # list where object
        ("source_endpoint", "endpoint"),  # str where object
        ("children", {"id": "x"}),  # object where list
        ("tags", "a,b"),  # str where list
    ],
)
def test_wrong_json_kinds_are_problems(field: str, value: Any) -> None:
    problems = type_problems(example_body("QueryJobResp", overrides={field: value}), "QueryJobResp")
    assert len(problems) == 1 and problems[0].startswith(f"{field}:")


def test_problems_are_found_inside_nested_models_lists_and_dicts() -> None:
    body = {"results": [{"id": "j", "status": "x"}, {"id": 7}, "s"], "count": 1}
    problems = type_problems(body, "BatchListJobStatusResponse")
    assert [p.split(":")[0] for p in problems] == ["results[1].id", "results[2]"]

    progress = {"progress_map": {"db.table": {"completed": ["no"], "remaining_time": "1s"}, "other": []}}
    problems = type_problems(progress, "QueryProgressResp")  # progress_map: dict(str, ProgressInfo)
    assert [p.split(":")[0] for p in problems] == ["progress_map.db.table.completed", "progress_map.other"]


def test_path_prefixes_every_problem() -> None:
    problems = type_problems({"count": "1"}, "BatchListJobStatusResponse", path="response")
    assert problems and problems[0].startswith("response.count:")


def test_none_is_accepted_for_any_field() -> None:
    body = {name: None for name in v3_model.QueryJobResp.attribute_map.values()}
    assert type_problems(body, "QueryJobResp") == []
    assert type_problems({"results": [None], "count": None}, "BatchListJobStatusResponse") == []


def test_a_null_or_non_object_whole_body_is_a_problem() -> None:
    assert type_problems(None, "BatchListJobStatusResponse")
    assert type_problems([], "BatchListJobStatusResponse")


def test_undeclared_fields_are_not_type_problems() -> None:
    body = example_body("BatchStartJobsResponse")
    body["results"][0]["extra_field"] = "x"
    body["top_extra"] = {"nested": 1}
    assert type_problems(body, "BatchStartJobsResponse") == []
    assert undeclared_fields(body, "BatchStartJobsResponse") == ["results[0].extra_field", "top_extra"]
    assert undeclared_fields(example_body("BatchStartJobsResponse"), "BatchStartJobsResponse") == []


@pytest.mark.parametrize("name", V3_RESPONSES)
def test_example_bodies_of_v3_responses_fit_their_models(name: str) -> None:
    body = example_body(name)
    assert set(body) == set(getattr(v3_model, name).attribute_map.values())
    assert type_problems(body, name) == []
    assert undeclared_fields(body, name) == []


@pytest.mark.parametrize("name", V5_RESPONSES)
def test_example_bodies_of_v5_responses_fit_their_models(name: str) -> None:
    body = example_body(name, version="v5")
    assert set(body) == set(getattr(v5_model, name).attribute_map.values())
    assert type_problems(body, name, version="v5") == []
    assert undeclared_fields(body, name, version="v5") == []


def test_response_model_for_reads_the_sdk_client() -> None:
    assert response_model_for("batch_start_jobs") is v3_model.BatchStartJobsResponse
    assert response_model_for("batch_list_job_status") is v3_model.BatchListJobStatusResponse
    assert response_model_for("batch_execute_job_actions", "v5") is v5_model.BatchExecuteJobActionsResponse
    assert response_model_for("list_jobs", "v5") is v5_model.ListJobsResponse
    assert operation_route("batch_list_job_status") == ("POST", "/v3/{project_id}/jobs/batch-status")
    with pytest.raises(LookupError, match="batch_start_jobs"):
        response_model_for("batch_start_job")
    with pytest.raises(ValueError, match="version"):
        response_model_for("batch_start_jobs", "v4")


def test_sdk_client_refuses_a_base_url_whose_path_the_sdk_would_drop() -> None:
    with pytest.raises(ValueError, match="scheme and host"):
        sdk_client("http://127.0.0.1:1/drs", "ak", "sk", "project")


def test_official_sdk_client_signs_and_sends_to_the_local_server(
    loopback: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):  # a proxy nobody listens on
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    project = "0123456789abcdef0123456789abcdef"
    answer = {"results": [{"id": "job-1", "status": "FULL_TRANSFER_STARTED"}], "count": "1"}

    def handler(request: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        if (request["method"], request["path"]) != ("POST", f"/v3/{project}/jobs/batch-status"):
            return 404, {"Content-Type": "application/json"}, b'{"error_code": "DRS.404"}'
        return 200, {"Content-Type": "application/json"}, json.dumps(answer).encode()

    base, received = loopback(handler)
    client = sdk_client(base, "AKLOCALTEST", "sk-local-test", project)
    request = v3_model.BatchListJobStatusRequest(body=v3_model.BatchQueryJobReqPage(jobs=["job-1"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the SDK deprecates most v3 batch methods
        response = client.batch_list_job_status(request)

    assert len(received) == 1
    sent = received[0]
    assert sent["path"] == f"/v3/{project}/jobs/batch-status"
    assert sent["headers"]["authorization"].startswith("SDK-HMAC-SHA256 Access=AKLOCALTEST,")
    assert sent["headers"]["x-project-id"] == project
    assert json.loads(sent["body"]) == {"jobs": ["job-1"]}

    assert raw_json_of(response) == answer
    assert response.count == 1  # the SDK coerced "1": only the raw body shows the type error
    problems = type_problems(raw_json_of(response), response_model_for("batch_list_job_status"))
    assert [p.split(":")[0] for p in problems] == ["count"]

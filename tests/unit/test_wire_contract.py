"""The client's wire models against the official SDK's (huaweicloudsdkdrs v3 and v5), from the client's side:
the emulator's answers are checked with the SDK's types in tests/emulator; here, every field the client
declares is one the SDK declares, and answers built from the SDK's models alone (every declared field,
typed as declared: `drs_testing.sdk_contract.example_body`) are read by the client as DRS means them."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest
import requests
from huaweicloudsdkdrs.v3 import model as sdk_v3
from huaweicloudsdkdrs.v5 import model as sdk_v5
from pydantic import BaseModel

from drs_testing.sdk_contract import example_body
from pulumi_drs.api import connect
from pulumi_drs.api.base import Act, DrsApi
from pulumi_drs.api.v3 import wire as v3_wire
from pulumi_drs.api.v5 import wire as v5_wire
from pulumi_drs.emulator import DEFAULT_ACCESS_KEY, DEFAULT_PROJECT_ID, DEFAULT_SECRET_KEY, InProcessEmulator
from pulumi_drs.settings import Settings

# Ours without an SDK model of the same name: the SDK models each item kind apart, or has no model at all.
SDK_MODELS_OF = {
    "BatchItem": ("StartJobResp", "RetryTaskResp", "DeleteJobResp"),
    "ActionResult": ("ActionBaseResp", "AsyncActionResp"),
    "_JobListFields": ("JobListResp", "ChildrenJobListResp"),
}
NOT_IN_THE_SDK = {"WireModel", "BatchAnswer"}
"""The base class; a batch action's answer (SDK: one response class per action, all `count` + `results`)."""


def wire_models(module: ModuleType) -> list[type[BaseModel]]:
    return [cls for _, cls in inspect.getmembers(module, inspect.isclass)
            if cls.__module__ == module.__name__ and issubclass(cls, BaseModel)]


def json_names(model: type[BaseModel]) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


@pytest.mark.parametrize(("wire", "sdk"), [(v3_wire, sdk_v3), (v5_wire, sdk_v5)], ids=["v3", "v5"])
def test_every_field_the_client_declares_is_one_the_sdk_declares(wire: ModuleType, sdk: ModuleType) -> None:
    problems = []
    for model in wire_models(wire):
        if model.__name__ in NOT_IN_THE_SDK:
            continue
        names = SDK_MODELS_OF.get(model.__name__, (model.__name__,))
        sdk_models = [getattr(sdk, name, None) for name in names]
        if None in sdk_models:
            problems.append(f"{model.__name__}: no SDK model {names}")
            continue
        declared = set().union(*(set(m.attribute_map.values()) for m in sdk_models))
        problems += [f"{model.__name__}.{name}: not in SDK {names}" for name in sorted(json_names(model) - declared)]
    assert problems == []


# --- SDK-shaped answers, read by the client -----------------------------------------------------------


class SdkShapedDrs:
    """The emulator in process (it still checks each request's signature) and a client on it whose answers
    to the operations in `answers` (the last part of the path) are replaced by those bodies."""

    def __init__(self, emu: InProcessEmulator, api_version: str = "v3") -> None:
        self.answers: dict[str, dict[str, Any]] = {}
        session = emu.session()
        session.hooks["response"].insert(0, self._replace)
        settings = Settings(endpoint=emu.url, project_id=DEFAULT_PROJECT_ID, access_key=DEFAULT_ACCESS_KEY,
                            secret_key=DEFAULT_SECRET_KEY, backoff_factor=0, max_retries=0, api_version=api_version)
        self.api = connect(settings, session=session)

    def _replace(self, response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        operation = (response.request.path_url or "").split("?")[0].rsplit("/", 1)[-1]
        if operation in self.answers:
            response.status_code = 200
            response._content = json.dumps(self.answers[operation]).encode()


@pytest.fixture
def drs() -> Iterator[SdkShapedDrs]:
    with InProcessEmulator() as emu:
        shaped = SdkShapedDrs(emu)
        yield shaped
        shaped.api.close()


def sdk_answer(model: str, item: dict[str, Any], key: str = "results") -> dict[str, Any]:
    """An SDK example body of `model` whose one item is the SDK's example item with `item` over it."""
    body = example_body(model)
    body[key] = [{**body[key][0], **item}]
    return body


JOB = "0a1b2c3d-0000-4000-8000-00000000jb01"
Check = Callable[[DrsApi], None]


def read_status(api: DrsApi) -> None:
    view = api.read_statuses([JOB])[JOB]
    assert (view.status, view.error_code) == ("INCRE_TRANSFER_STARTED", "example-error_code")


def read_detail(api: DrsApi) -> None:
    detail = api.read_details([JOB])[JOB]
    assert detail.task_type == "example-task_type"


def read_lag(api: DrsApi) -> None:
    lag = api.read_lags([JOB])[JOB]
    assert (lag.rpo_seconds, lag.rto_seconds) == (1.5, 2.0)


def start(api: DrsApi) -> None:
    outcome = api.act(Act.START, [JOB])[JOB]
    assert (outcome.accepted, outcome.note) == (True, "example-error_msg")  # DRS's message on a success is a note


V3_CASES: dict[str, tuple[str, dict[str, Any], Check]] = {
    "batch-status": ("BatchListJobStatusResponse", {"id": JOB, "status": "INCRE_TRANSFER_STARTED"}, read_status),
    "batch-detail": ("BatchListJobDetailsResponse", {"id": JOB}, read_detail),
    "batch-rpo-and-rto": ("BatchListRposAndRtosResponse", {
        "job_id": JOB, "rpo_info": {**example_body("RpoAndRtoInfo"), "delay": "1500"},
        "rto_info": {**example_body("RpoAndRtoInfo"), "delay": "2000"}}, read_lag),
    "batch-starting": ("BatchStartJobsResponse", {"id": JOB, "status": "success"}, start),
}


@pytest.mark.parametrize("operation", list(V3_CASES))
def test_the_v3_client_reads_answers_built_from_the_sdk_models(drs: SdkShapedDrs, operation: str) -> None:
    model, item, check = V3_CASES[operation]
    drs.answers[operation] = sdk_answer(model, item)
    check(drs.api)


# --- API v5: an action answered asynchronously, and its progress ------------------------------------------

ASYNC_ITEM = {**example_body("AsyncActionResp", version="v5"), "id": JOB}
"""SDK AsyncActionResp: `query_id` "example-query_id", `id`, `name`."""
PROGRESSES: dict[str, tuple[dict[str, Any], bool, str | None, str]] = {
    "pending": ({"status": "pending", "progress": "0"}, True, None, "it is pending (progress 0)"),
    "success": ({"status": "success", "progress": "100"}, True, None, "it is success (progress 100)"),
    "failed": ({"status": "failed", "error_code": "DRS.M05066", "error_message": "Failed to create."}, False,
               "DRS.M05066", "then reported it failed: Failed to create."),
    "every-sdk-field": (example_body("ShowTaskExecuteProgressResponse", version="v5"), False, "example-error_code",
                        "then reported it example-status: example-error_message"),
    "undocumented-status": ({"status": "RUNNING"}, False, None, "its progress says 'RUNNING', which pulumi-drs does "
                            "not know"),
}
"""A progress answer -> accepted, the outcome's code, what its note or message says."""


@pytest.fixture
def drs5() -> Iterator[SdkShapedDrs]:
    with InProcessEmulator() as emu:
        shaped = SdkShapedDrs(emu, api_version="v5")
        yield shaped
        shaped.api.close()


@pytest.mark.parametrize("answer", list(PROGRESSES))
def test_the_v5_client_judges_a_start_answered_with_a_query_by_its_progress(drs5: SdkShapedDrs, answer: str) -> None:
    progress, accepted, code, said = PROGRESSES[answer]
    drs5.answers["action"] = {"jobs": [ASYNC_ITEM]}
    drs5.answers["progress"] = progress

    outcome = drs5.api.act(Act.START, [JOB])[JOB]

    assert (outcome.accepted, outcome.error_code) == (accepted, code)
    assert f"job {JOB} (query example-query_id)" in (outcome.note if accepted else outcome.error_message or "")
    assert said in (outcome.note if accepted else outcome.error_message or ""), outcome

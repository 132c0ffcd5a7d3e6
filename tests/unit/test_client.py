"""DrsClient against an in-process fake DRS mounted as a requests adapter (no network).

Covers chunking and input-order merge, pagination, per-job failures (202 `failed` items and 400 batch
bodies), the client-level retry policy, the lost-answer reconcile that never starts a job twice, IAM
tokens, and that nothing secret reaches a log line or a repr.
"""

from __future__ import annotations

import json
import logging
import math
import pickle
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import urllib3.exceptions as u3
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from pulumi_drs import client as client_module
from pulumi_drs import wire
from pulumi_drs.auth import IamPasswordAuth
from pulumi_drs.client import DrsClient, RetryPolicy, build_session
from pulumi_drs.errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectError,
    ConnectionDroppedError,
    JobStatusError,
    ReadTimeoutError,
    RequestError,
    ServerError,
    ThrottledError,
)
from pulumi_drs.settings import Settings

MakeSettings = Callable[..., Settings]


def job(n: int) -> str:
    return f"{n:08x}-0000-4000-8000-{n:08x}b101"


# --- the fake DRS --------------------------------------------------------------------------------


@dataclass
class Fault:
    """How the fake answers one request: `status` (without acting), `drop_before`, `connect`,
    `drop_after` / `timeout_after` (act on the first `partial` jobs, or all, then lose the answer),
    `apply_late` (lose the answer; the start lands just after the next batch-status read)."""

    kind: str
    status: int = 503
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    partial: int | None = None


def failed(job_id: str, code: str, msg: str) -> dict[str, Any]:
    return {"id": job_id, "status": "failed", "error_code": code, "error_msg": msg}


class FakeDrs(BaseAdapter):
    def __init__(self, jobs: dict[str, str] | None = None) -> None:
        super().__init__()
        self.jobs = dict(jobs or {})
        self.faults: dict[str, list[Fault]] = defaultdict(list)
        self.requests: list[requests.PreparedRequest] = []
        self.calls: list[tuple[str, list[str]]] = []
        self.bodies: list[dict[str, Any]] = []
        self.timeouts: list[Any] = []
        self.starts: Counter[str] = Counter()
        self.page_cap: int | None = None
        self.reverse = False
        self.omit_unknown = False
        self.late: list[str] = []
        self.tokens_issued = 0
        self.valid_tokens: set[str] = set()
        self.accept_new_tokens = True
        self.token_ttl = "2099-01-01T00:00:00.000000Z"

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: bool | str = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        self.requests.append(request)
        self.timeouts.append(timeout)
        op = urlsplit(request.url or "").path.rstrip("/").rsplit("/", 1)[-1]
        body = json.loads(request.body) if request.body else {}
        ids = [j if isinstance(j, str) else j["job_id"] for j in body.get("jobs", [])]
        self.calls.append((op, ids))
        self.bodies.append(body)
        fault = self.faults[op].pop(0) if self.faults[op] else None
        early = self._before(fault, request, ids)
        if early is not None:
            return early
        if self._token_rejected(request, op):
            return reply(request, 401, {"error_code": "APIGW.0301", "error_msg": "decrypt token fail"})
        acted = ids if fault is None or fault.partial is None else ids[: fault.partial]
        status, payload, headers = getattr(self, "_" + op.replace("-", "_"))(body, acted, request)
        self._after(fault, request)
        return reply(request, status, payload, headers)

    def close(self) -> None:
        pass

    def _before(self, fault: Fault | None, request: requests.PreparedRequest,
                ids: list[str]) -> requests.Response | None:
        if fault is None or fault.kind in ("drop_after", "timeout_after"):
            return None
        if fault.kind == "status":
            default = {"error_code": "DRS.M00004", "error_msg": "Service abnormal."}
            return reply(request, fault.status, fault.body or default, fault.headers)
        if fault.kind == "connect":
            reason = u3.NewConnectionError(None, "Failed to establish a new connection: refused")  # type: ignore[arg-type]
            raise requests.ConnectionError(u3.MaxRetryError(None, request.url or "", reason))  # type: ignore[arg-type]
        if fault.kind == "apply_late":
            self.late.extend(ids)
            raise requests.ReadTimeout(u3.ReadTimeoutError(None, request.url or "", "Read timed out."))  # type: ignore[arg-type]
        raise requests.ConnectionError(u3.ProtocolError("Connection aborted.", ConnectionResetError(104, "reset")))

    @staticmethod
    def _after(fault: Fault | None, request: requests.PreparedRequest) -> None:
        if fault is not None and fault.kind == "drop_after":
            raise requests.ConnectionError(u3.ProtocolError("Connection aborted.", ConnectionResetError(104, "x")))
        if fault is not None and fault.kind == "timeout_after":
            raise requests.ReadTimeout(u3.ReadTimeoutError(None, request.url or "", "Read timed out."))  # type: ignore[arg-type]

    def _token_rejected(self, request: requests.PreparedRequest, op: str) -> bool:
        token = request.headers.get("X-Auth-Token")
        return op != "tokens" and token is not None and bool(self.valid_tokens) and token not in self.valid_tokens

    def _batch(self, results: list[dict[str, Any]], ok: int) -> tuple[int, dict[str, Any], dict[str, str]]:
        if self.reverse:
            results = results[::-1]
        status = 400 if results and all(r.get("error_code") for r in results) else ok
        return status, {"count": len(results), "results": results}, {}

    # --- operations ---

    def _batch_starting(self, body: dict[str, Any], ids: list[str], _r: Any) -> tuple[int, Any, dict[str, str]]:
        results = []
        for j in ids:
            status = self.jobs.get(j)
            if status is None:
                results.append(failed(j, "DRS.M05003", "Task information not found."))
            elif status in ("CONFIGURATION", "START_JOB_FAILED"):
                self.jobs[j] = "STARTJOBING"
                self.starts[j] += 1
                results.append({"id": j, "status": "success"})
            else:
                results.append(failed(j, "DRS.M00304", "This API cannot be called in the current task status."))
        return self._batch(results, 202)

    def _page(self, body: dict[str, Any], ids: list[str]) -> list[str] | None:
        page = body.get("page_req") or {"cur_page": 1, "per_page": 5}
        per = page["per_page"] or len(ids)
        per = min(per, self.page_cap) if self.page_cap else per
        first = (page["cur_page"] - 1) * per
        if page["cur_page"] > 1 and first >= len(ids):
            return None
        return ids[first:first + per]

    def _batch_status(self, body: dict[str, Any], ids: list[str], _r: Any) -> tuple[int, Any, dict[str, str]]:
        page = self._page(body, ids)
        if page is None:
            return 400, {"error_code": "DRS.M00211", "error_msg": "Page over limit."}, {}
        items = [{"id": j, "status": self.jobs[j]} if j in self.jobs
                 else {"id": j, "error_code": "DRS.M05003", "error_message": "Task not found."}
                 for j in page if j in self.jobs or not self.omit_unknown]
        for j in self.late:
            self.jobs[j], self.starts[j] = "STARTJOBING", self.starts[j] + 1
        self.late = []
        return 200, {"count": len(items), "results": items[::-1] if self.reverse else items}, {}

    def _batch_detail(self, body: dict[str, Any], ids: list[str], _r: Any) -> tuple[int, Any, dict[str, str]]:
        page = self._page(body, ids) or []
        items = [{"id": j, "status": self.jobs[j], "name": f"job-{j[:4]}", "db_use_type": "migration"}
                 if j in self.jobs else {"id": j, "error_code": "DRS.M05004", "error_msg": "Task deleted."}
                 for j in page]
        return self._batch(items, 200)

    def _batch_progress(self, body: dict[str, Any], ids: list[str], _r: Any) -> tuple[int, Any, dict[str, str]]:
        items = [{"job_id": j, "progress": "50", "incre_trans_delay": "3"} for j in ids if j in self.jobs]
        return 202, {"count": len(items), "results": items}, {}

    def _batch_retry_task(self, body: dict[str, Any], ids: list[str], _r: Any) -> tuple[int, Any, dict[str, str]]:
        results = []
        for j in ids:
            if self.jobs.get(j) in ("PAUSING", "INCRE_TRANSFER_FAILED", "FULL_TRANSFER_FAILED"):
                self.jobs[j] = "INCRE_TRANSFER_STARTED"
                results.append({"id": j, "status": "success"})
            else:
                results.append(failed(j, "DRS.M00304", "wrong status"))
        return self._batch(results, 200)

    def _batch_jobs(self, body: dict[str, Any], ids: list[str], _r: Any) -> tuple[int, Any, dict[str, str]]:
        results = []
        for j in ids:
            if j in self.jobs and not self.jobs[j].startswith("RELEASE"):
                self.jobs[j] = "RELEASE_RESOURCE_STARTED"
                results.append({"id": j, "status": "success"})
            else:
                results.append(failed(j, "DRS.M01504", "Another operation is being performed."))
        return self._batch(results, 202)

    def _tokens(self, body: dict[str, Any], ids: list[str], _r: Any) -> tuple[int, Any, dict[str, str]]:
        self.tokens_issued += 1
        token = f"MIItoken-{self.tokens_issued}"
        if self.accept_new_tokens:
            self.valid_tokens.add(token)
        return 201, {"token": {"expires_at": self.token_ttl}}, {"X-Subject-Token": token}

    def _projects(self, body: dict[str, Any], ids: list[str], request: requests.PreparedRequest,
                  ) -> tuple[int, Any, dict[str, str]]:
        name = parse_qs(urlsplit(request.url or "").query).get("name", [""])[0]
        projects = [{"id": "p-" + name, "name": name}, {"id": "p-sub", "name": name + "_sub"}]
        return 200, {"projects": projects if name == "test-region-1" else []}, {}


def reply(request: requests.PreparedRequest, status: int, payload: Any,
          headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(payload).encode()
    response.headers = CaseInsensitiveDict({"Content-Type": "application/json", **(headers or {})})
    response.request, response.url, response.encoding = request, request.url or "", "utf-8"
    return response


@pytest.fixture
def drs() -> FakeDrs:
    return FakeDrs()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_client(make_settings: MakeSettings, drs: FakeDrs, sleeps: list[float]) -> Callable[..., DrsClient]:
    def make(**overrides: Any) -> DrsClient:
        session = requests.Session()
        session.mount("https://", drs)
        client = DrsClient(make_settings(**overrides), session)
        client.sleep = sleeps.append
        return client

    return make


@pytest.fixture
def client(make_client: Callable[..., DrsClient]) -> DrsClient:
    return make_client()


# --- chunking and order ----------------------------------------------------------------------


def test_start_chunks_by_max_batch_size_and_merges_in_input_order(make_client: Callable[..., DrsClient],
                                                                  drs: FakeDrs) -> None:
    ids = [job(n) for n in range(250)]
    drs.jobs = {j: "CONFIGURATION" for j in ids}
    drs.reverse = True
    results = make_client(max_batch_size=100).start_jobs([wire.StartInfo(job_id=j) for j in ids])
    assert [r.id for r in results] == ids
    assert all(r.status == "success" for r in results)
    assert [len(c[1]) for c in drs.calls] == [100, 100, 50]
    assert set(drs.starts.values()) == {1}


def test_start_sends_each_job_once_and_keeps_start_time(client: DrsClient, drs: FakeDrs) -> None:
    drs.jobs = {job(1): "CONFIGURATION", job(2): "CONFIGURATION"}
    infos = [wire.StartInfo(job_id=job(2), start_time="1900000000000"), wire.StartInfo(job_id=job(1)),
             wire.StartInfo(job_id=job(2))]
    results = client.start_jobs(infos)
    assert [r.id for r in results] == [job(2), job(1)]
    assert drs.bodies[0] == {"jobs": [{"job_id": job(2), "start_time": "1900000000000"}, {"job_id": job(1)}]}


def test_empty_inputs_make_no_calls(client: DrsClient, drs: FakeDrs) -> None:
    assert client.start_jobs([]) == [] and client.job_statuses([]) == {} and client.retry_jobs([]) == []
    assert drs.calls == []


def test_statuses_chunk_into_hundreds_and_always_send_page_req(client: DrsClient, drs: FakeDrs) -> None:
    ids = [job(n) for n in range(250)]
    drs.jobs = {j: "INCRE_TRANSFER_STARTED" for j in ids}
    statuses = client.job_statuses(ids)
    assert list(statuses) == ids
    assert [len(c[1]) for c in drs.calls] == [100, 100, 50]
    assert all(b["page_req"] == {"cur_page": 1, "per_page": 100} for b in drs.bodies)


def test_pages_are_walked_until_every_job_is_seen(client: DrsClient, drs: FakeDrs) -> None:
    ids = [job(n) for n in range(12)]
    drs.jobs = {j: "CONFIGURATION" for j in ids}
    drs.page_cap = 5
    statuses = client.job_statuses(ids)
    assert all(statuses[j].status == "CONFIGURATION" for j in ids)
    assert [b["page_req"]["cur_page"] for b in drs.bodies] == [1, 2, 3]


def test_a_job_missing_from_every_page_gets_an_error_item(client: DrsClient, drs: FakeDrs) -> None:
    drs.jobs = {job(1): "CONFIGURATION"}
    drs.omit_unknown = True
    statuses = client.job_statuses([job(1), job(2)])
    assert statuses[job(2)].status is None and statuses[job(2)].error_code == "DRS.M05003"
    assert [b["page_req"]["cur_page"] for b in drs.bodies] == [1, 2]  # page 2: "page over limit"


def test_pages_stop_at_an_empty_page(client: DrsClient, drs: FakeDrs) -> None:
    drs.jobs = {job(1): "CONFIGURATION"}
    drs.omit_unknown = True
    drs.faults["batch-status"].extend([Fault("status", 200, {"count": 1, "results": [{"id": job(1), "status": "X"}]}),
                                       Fault("status", 200, {"count": 0, "results": []})])
    statuses = client.job_statuses([job(1), job(2), job(3)])
    assert statuses[job(1)].status == "X" and statuses[job(3)].error_code == "DRS.M05003"
    assert [b["page_req"]["cur_page"] for b in drs.bodies] == [1, 2]


def test_walking_past_the_last_page_ends_the_walk(client: DrsClient, drs: FakeDrs) -> None:
    ids = [job(n) for n in range(7)]
    drs.jobs = {j: "CONFIGURATION" for j in ids[:5]}
    drs.omit_unknown, drs.page_cap = True, 5
    statuses = client.job_statuses(ids)
    assert [statuses[j].error_code for j in ids[5:]] == ["DRS.M05003", "DRS.M05003"]
    assert [b["page_req"]["cur_page"] for b in drs.bodies] == [1, 2]


def test_unknown_jobs_and_statuses_are_kept(client: DrsClient, drs: FakeDrs) -> None:
    drs.jobs = {job(1): "SOMETHING_NEW"}
    statuses = client.job_statuses([job(1), job(2)])
    assert statuses[job(1)].status == "SOMETHING_NEW"
    assert statuses[job(2)].status is None and statuses[job(2)].error_code == "DRS.M05003"
    assert statuses[job(2)].error_message == "Task not found."


def test_details_400_batch_body_becomes_items(client: DrsClient, drs: FakeDrs) -> None:
    details = client.job_details([job(1), job(2)])
    assert drs.calls[0][0] == "batch-detail"
    assert {d.error_code for d in details.values()} == {"DRS.M05004"}
    assert details[job(1)].error_message == "Task deleted." and details[job(1)].status is None


def test_details_of_known_jobs(client: DrsClient, drs: FakeDrs) -> None:
    drs.jobs = {job(1): "CONFIGURATION"}
    details = client.job_details([job(1)])
    assert details[job(1)].name == f"job-{job(1)[:4]}" and details[job(1)].db_use_type == "migration"
    assert drs.bodies[0]["page_req"] == {"cur_page": 1, "per_page": 100}


def test_progress(client: DrsClient, drs: FakeDrs) -> None:
    drs.jobs = {job(1): "INCRE_TRANSFER_STARTED"}
    progress = client.job_progress([job(1), job(2)])
    assert progress[job(1)].incre_trans_delay == "3"
    assert progress[job(2)].error_code == "DRS.M05003"
    assert "page_req" not in drs.bodies[0]


# --- per-job failures -------------------------------------------------------------------------


def test_202_failed_items_and_400_batch_bodies_are_per_job_results(client: DrsClient, drs: FakeDrs) -> None:
    drs.jobs = {job(1): "CONFIGURATION", job(2): "INCRE_TRANSFER_STARTED"}
    mixed = client.start_jobs([wire.StartInfo(job_id=job(1)), wire.StartInfo(job_id=job(2))])
    assert [(r.status, r.error_code) for r in mixed] == [("success", None), ("failed", "DRS.M00304")]
    all_failed = client.start_jobs([wire.StartInfo(job_id=job(3)), wire.StartInfo(job_id=job(2))])
    assert [r.error_code for r in all_failed] == ["DRS.M05003", "DRS.M00304"]
    assert all(r.status == "failed" for r in all_failed)


@pytest.mark.parametrize(("status", "code", "error"), [
    (400, "DRS.M00007", RequestError),
    (400, "DRS.M00304", JobStatusError),
    (401, "APIGW.0301", AuthenticationError),
])
def test_a_top_level_error_for_the_whole_request_raises(client: DrsClient, drs: FakeDrs, status: int, code: str,
                                                        error: type[Exception]) -> None:
    drs.jobs = {job(1): "CONFIGURATION"}
    drs.faults["batch-starting"].append(Fault("status", status, {"error_code": code, "error_msg": "no"}))
    with pytest.raises(error, match=code):
        client.start_jobs([wire.StartInfo(job_id=job(1))])
    assert [c[0] for c in drs.calls] == ["batch-starting"]


def test_retry_and_terminate(client: DrsClient, drs: FakeDrs) -> None:
    drs.jobs = {job(1): "PAUSING", job(2): "INCRE_TRANSFER_STARTED"}
    retried = client.retry_jobs([job(1), job(2)])
    assert [(r.id, r.status) for r in retried] == [(job(1), "success"), (job(2), "failed")]
    assert drs.bodies[-1] == {"jobs": [{"job_id": job(1)}, {"job_id": job(2)}]}
    terminated = client.terminate_jobs([job(1)])
    assert terminated[0].status == "success"
    assert drs.requests[-1].method == "DELETE"
    assert drs.bodies[-1] == {"jobs": [{"delete_type": "terminate", "job_id": job(1)}]}


def test_headers_and_timeouts(make_client: Callable[..., DrsClient], drs: FakeDrs) -> None:
    drs.jobs = {job(1): "CONFIGURATION"}
    make_client(language="zh-cn", connect_timeout=2.0, read_timeout=7.0).job_statuses([job(1)])
    request = drs.requests[0]
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Language"] == "zh-cn"
    assert request.headers["X-Project-Id"] == "0123456789abcdef0123456789abcdef"
    assert request.headers["Authorization"].startswith("SDK-HMAC-SHA256 Access=")
    assert request.url == "https://drs.test-region-1.example.com/v3/0123456789abcdef0123456789abcdef/jobs/batch-status"
    assert drs.timeouts == [(2.0, 7.0)]


# --- lost answers: reconcile, then re-send only what did not happen -----------------------------


@pytest.mark.parametrize("fault", [Fault("drop_after"), Fault("timeout_after")], ids=["dropped", "timeout"])
def test_lost_start_answer_does_not_start_twice(client: DrsClient, drs: FakeDrs, fault: Fault) -> None:
    ids = [job(n) for n in range(3)]
    drs.jobs = {j: "CONFIGURATION" for j in ids}
    drs.faults["batch-starting"].append(fault)
    results = client.start_jobs([wire.StartInfo(job_id=j) for j in ids])
    assert [c[0] for c in drs.calls] == ["batch-starting", "batch-status"]
    assert all(drs.starts[j] == 1 for j in ids)
    assert all(r.status == "success" and "answer was lost" in (r.error_msg or "") for r in results)
    assert "STARTJOBING" in (results[0].error_msg or "")


def test_partly_applied_start_resends_only_the_rest(client: DrsClient, drs: FakeDrs) -> None:
    ids = [job(n) for n in range(5)]
    drs.jobs = {j: "CONFIGURATION" for j in ids}
    drs.faults["batch-starting"].append(Fault("drop_after", partial=2))
    results = client.start_jobs([wire.StartInfo(job_id=j) for j in ids])
    assert drs.calls[-1] == ("batch-starting", ids[2:])
    assert all(drs.starts[j] == 1 for j in ids)
    assert [r.id for r in results] == ids and all(r.status == "success" for r in results)
    assert results[0].error_msg and not results[4].error_msg


@pytest.mark.parametrize("fault", [
    Fault("status", 503),
    Fault("status", 500),
    Fault("drop_before"),
], ids=["503", "500", "drop_before"])
def test_unprocessed_start_is_reconciled_then_resent(client: DrsClient, drs: FakeDrs, fault: Fault) -> None:
    drs.jobs = {job(1): "CONFIGURATION"}
    drs.faults["batch-starting"].append(fault)
    results = client.start_jobs([wire.StartInfo(job_id=job(1))])
    assert [c[0] for c in drs.calls] == ["batch-starting", "batch-status", "batch-starting"]
    assert results[0].status == "success" and results[0].error_msg is None
    assert drs.starts[job(1)] == 1


@pytest.mark.parametrize("fault", [
    Fault("status", 429, {"error_code": "APIG.0308", "error_msg": "over ratelimit"}),
    Fault("status", 400, {"error_code": "DRS.M01503", "error_msg": "Operation too frequent."}),
], ids=["429", "M01503"])
def test_a_throttled_start_was_not_processed_and_is_resent_as_is(client: DrsClient, drs: FakeDrs,
                                                                 fault: Fault) -> None:
    drs.jobs = {job(1): "CONFIGURATION"}
    drs.faults["batch-starting"].append(fault)
    results = client.start_jobs([wire.StartInfo(job_id=job(1))])
    assert [c[0] for c in drs.calls] == ["batch-starting", "batch-starting"]
    assert results[0].status == "success" and results[0].error_msg is None
    assert drs.starts[job(1)] == 1


def test_lost_answer_for_a_job_that_then_failed_reports_the_failure(client: DrsClient, drs: FakeDrs) -> None:
    drs.jobs = {job(1): "CONFIGURATION", job(2): "CONFIGURATION"}
    drs.faults["batch-starting"].append(Fault("drop_after"))
    original = drs._batch_status

    def status_then_failed(body: dict[str, Any], ids: list[str], r: Any) -> Any:
        drs.jobs[job(2)] = "START_JOB_FAILED"
        return original(body, ids, r)

    drs._batch_status = status_then_failed  # type: ignore[method-assign,assignment]
    results = client.start_jobs([wire.StartInfo(job_id=job(1)), wire.StartInfo(job_id=job(2))])
    assert results[0].status == "success"
    assert results[1].status == "failed" and "START_JOB_FAILED" in (results[1].error_msg or "")
    assert sum(drs.starts.values()) == 2


def test_start_landing_after_the_reconcile_read_is_not_reported_as_refused(client: DrsClient,
                                                                         drs: FakeDrs) -> None:
    """The first request was still in flight when batch-status said CONFIGURATION: the re-send is refused
    with DRS.M00304, and a second look shows the first one took effect."""
    drs.jobs = {job(1): "CONFIGURATION"}
    drs.faults["batch-starting"].append(Fault("apply_late"))
    results = client.start_jobs([wire.StartInfo(job_id=job(1))])
    assert [c[0] for c in drs.calls] == ["batch-starting", "batch-status", "batch-starting", "batch-status"]
    assert drs.starts[job(1)] == 1
    assert results[0].status == "success" and "DRS.M00304" in (results[0].error_msg or "")


def test_m00304_on_a_first_try_is_not_rechecked(client: DrsClient, drs: FakeDrs) -> None:
    drs.jobs = {job(1): "INCRE_TRANSFER_STARTED", job(2): "CONFIGURATION"}
    results = client.start_jobs([wire.StartInfo(job_id=job(1)), wire.StartInfo(job_id=job(2))])
    assert results[0].error_code == "DRS.M00304"
    assert [c[0] for c in drs.calls] == ["batch-starting"]


def test_lost_answers_are_retried_a_bounded_number_of_times(client: DrsClient, drs: FakeDrs,
                                                            sleeps: list[float]) -> None:
    drs.jobs = {job(1): "CONFIGURATION"}
    drs.faults["batch-starting"].extend(Fault("drop_before") for _ in range(10))
    with pytest.raises(ConnectionDroppedError, match="retry later"):
        client.start_jobs([wire.StartInfo(job_id=job(1))])
    assert [c[0] for c in drs.calls].count("batch-starting") == 4  # max_retries=3
    assert drs.starts[job(1)] == 0 and len(sleeps) == 3


def test_retry_deadline_bounds_total_time(make_client: Callable[..., DrsClient], drs: FakeDrs,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter(range(0, 10_000, 100))
    monkeypatch.setattr(client_module, "_now", lambda: float(next(clock)))
    drs.jobs = {job(1): "CONFIGURATION"}
    drs.faults["batch-starting"].extend(Fault("status", 503) for _ in range(10))
    with pytest.raises(ServerError, match="HTTP 503"):
        make_client(max_retries=50, retry_deadline_seconds=250).start_jobs([wire.StartInfo(job_id=job(1))])
    assert [c[0] for c in drs.calls].count("batch-starting") <= 3


def test_connect_error_is_not_reconciled(client: DrsClient, drs: FakeDrs) -> None:
    drs.jobs = {job(1): "CONFIGURATION"}
    drs.faults["batch-starting"].append(Fault("connect"))
    with pytest.raises(ConnectError, match="drs:endpoint/HW_DRS_ENDPOINT"):
        client.start_jobs([wire.StartInfo(job_id=job(1))])
    assert [c[0] for c in drs.calls] == ["batch-starting"]


def test_backoff_grows_and_retry_after_is_respected(make_client: Callable[..., DrsClient], drs: FakeDrs,
                                                    sleeps: list[float]) -> None:
    drs.jobs = {job(1): "CONFIGURATION"}
    throttled = {"error_code": "DRS.M01503", "error_msg": "Operation too frequent."}
    drs.faults["batch-starting"].extend([Fault("status", 503), Fault("status", 503),
                                         Fault("status", 400, throttled, {"Retry-After": "1.5"})])
    make_client(backoff_factor=0.25, backoff_max=10.0).start_jobs([wire.StartInfo(job_id=job(1))])
    assert sleeps[0] == pytest.approx(0.25)
    assert 0.5 <= sleeps[1] <= 0.75
    assert sleeps[2] == 1.5


def test_lost_retry_and_terminate_answers_are_reconciled(client: DrsClient, drs: FakeDrs) -> None:
    drs.jobs = {job(1): "PAUSING", job(2): "INCRE_TRANSFER_STARTED"}
    drs.faults["batch-retry-task"].append(Fault("drop_after"))
    assert client.retry_jobs([job(1)])[0].status == "success"
    drs.faults["batch-jobs"].append(Fault("timeout_after", partial=1))
    results = client.terminate_jobs([job(1), job(2)])
    assert [r.status for r in results] == ["success", "success"]
    assert drs.calls[-1] == ("batch-jobs", [job(2)])


# --- reads: body-level throttling here, the rest on the adapter ----------------------------------


def test_read_retries_throttling_shown_only_in_the_body(client: DrsClient, drs: FakeDrs,
                                                        sleeps: list[float]) -> None:
    drs.jobs = {job(1): "CONFIGURATION"}
    body = {"error_code": "DRS.M01503", "error_msg": "Operation too frequent."}
    drs.faults["batch-status"].extend([Fault("status", 400, body), Fault("status", 400, body)])
    assert client.job_statuses([job(1)])[job(1)].status == "CONFIGURATION"
    assert len(drs.calls) == 3 and len(sleeps) == 2


@pytest.mark.parametrize(("fault", "error"), [
    (Fault("status", 429, {"error_code": "APIG.0308", "error_msg": "limit"}), ThrottledError),
    (Fault("status", 503), ServerError),
    (Fault("timeout_after"), ReadTimeoutError),
])
def test_read_errors_the_adapter_retries_are_not_retried_again(client: DrsClient, drs: FakeDrs, fault: Fault,
                                                               error: type[Exception]) -> None:
    drs.faults["batch-status"].append(fault)
    with pytest.raises(error):
        client.job_statuses([job(1)])
    assert len(drs.calls) == 1


def test_unreadable_success_body_is_a_server_error(client: DrsClient, drs: FakeDrs) -> None:
    drs.faults["batch-status"].append(Fault("status", 200, {"results": "nope"}))
    with pytest.raises(ServerError, match="cannot read"):
        client.job_statuses([job(1)])


# --- the adapters' policies (urllib3 Retry) ------------------------------------------------------


def test_default_session_mounts_read_and_write_policies(make_settings: MakeSettings) -> None:
    settings = make_settings(iam_endpoint="https://drs.test-region-1.example.com", max_retries=4)
    session = build_session(settings)
    base = f"{settings.endpoint}/v3/{settings.project_id}/jobs/"
    for op in ("batch-status", "batch-detail", "batch-progress"):
        policy = session.get_adapter(base + op).max_retries  # type: ignore[attr-defined]
        assert isinstance(policy, RetryPolicy)
        assert policy.is_retry("POST", 503) and policy.is_retry("POST", 429) and policy.total == 4
        assert not policy.raise_on_status and policy.deadline_seconds == 30.0
    for op in ("batch-starting", "batch-retry-task", "batch-jobs"):
        policy = session.get_adapter(base + op).max_retries  # type: ignore[attr-defined]
        assert not policy.is_retry("POST", 503) and not policy.is_retry("DELETE", 429)
        assert policy.read is False and policy.connect == 4
    for path in ("/v3/auth/tokens", "/v3/projects?name=x"):
        assert session.get_adapter(f"{settings.iam_endpoint}{path}").max_retries.is_retry("POST", 502)  # type: ignore[attr-defined]


def test_write_policy_never_retries_a_read_error(make_settings: MakeSettings) -> None:
    policy = client_module.write_policy(make_settings())
    error = u3.ReadTimeoutError(None, "/x", "timed out")  # type: ignore[arg-type]
    with pytest.raises(u3.ReadTimeoutError):
        policy.increment("POST", "/x", error=error)
    connect = u3.NewConnectionError(None, "refused")  # type: ignore[arg-type]
    assert policy.increment("POST", "/x", error=connect).connect == 2


def test_retry_policy_deadline_and_fractional_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(client_module, "_now", lambda: now[0])
    policy = RetryPolicy(total=100, backoff_factor=10, backoff_max=60, deadline_seconds=30)
    assert policy.remaining() == math.inf
    policy = policy.increment("POST", "/x").increment("POST", "/x")
    assert policy.started == 1000.0 and policy.get_backoff_time() == 20.0
    now[0] = 1025.0
    assert policy.get_backoff_time() == 5.0
    assert policy.parse_retry_after("0.5") == 0.5 and policy.parse_retry_after("3600") == 5.0
    assert policy.parse_retry_after("soon") == 0.0
    now[0] = 1031.0
    with pytest.raises(u3.MaxRetryError):
        policy.increment("POST", "/x")


# --- over a real socket: urllib3 retries reads on the adapter, never a write ------------------------

JSON = {"Content-Type": "application/json"}


def scripted_drs(script: dict[str, list[int]], state: dict[str, str], delay: dict[str, float]) -> Any:
    """A loopback DRS for one job: operations answer the statuses in `script` first (without acting)."""
    def handle(request: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        op = request["path"].rsplit("/", 1)[-1]
        if script.get(op):
            error = {"error_code": "DRS.M00004", "error_msg": "Service abnormal."}
            return script[op].pop(0), JSON, json.dumps(error).encode()
        ids = json.loads(request["body"])["jobs"]
        if op == "batch-starting":
            state["starts"] += "x"
            state[ids[0]["job_id"]] = "STARTJOBING"
            threading.Event().wait(delay.get(op, 0))
            answer = {"count": 1, "results": [{"id": ids[0]["job_id"], "status": "success"}]}
            return 202, JSON, json.dumps(answer).encode()
        results = [{"id": j, "status": state[j]} for j in ids]
        return 200, JSON, json.dumps({"count": len(results), "results": results}).encode()

    return handle


def test_adapter_retries_a_read_on_503_over_http(make_settings: MakeSettings, loopback: Any) -> None:
    state = {job(1): "CONFIGURATION", "starts": ""}
    base, received = loopback(scripted_drs({"batch-status": [503, 502]}, state, {}))
    client = DrsClient(make_settings(endpoint=base, iam_endpoint=base))
    assert client.job_statuses([job(1)])[job(1)].status == "CONFIGURATION"
    assert [r["path"].rsplit("/", 1)[-1] for r in received] == ["batch-status"] * 3


def test_adapter_never_resends_a_start_over_http(make_settings: MakeSettings, loopback: Any) -> None:
    state = {job(1): "CONFIGURATION", "starts": ""}
    base, received = loopback(scripted_drs({"batch-starting": [503]}, state, {}))
    client = DrsClient(make_settings(endpoint=base, iam_endpoint=base))
    client.sleep = lambda _s: None
    assert client.start_jobs([wire.StartInfo(job_id=job(1))])[0].status == "success"
    assert [r["path"].rsplit("/", 1)[-1] for r in received] == ["batch-starting", "batch-status", "batch-starting"]
    assert state["starts"] == "x"


def test_read_timeout_on_a_start_is_reconciled_not_resent_over_http(make_settings: MakeSettings,
                                                                      loopback: Any) -> None:
    state = {job(1): "CONFIGURATION", "starts": ""}
    base, received = loopback(scripted_drs({}, state, {"batch-starting": 0.5}))
    client = DrsClient(make_settings(endpoint=base, iam_endpoint=base, read_timeout=0.2))
    client.sleep = lambda _s: None
    result = client.start_jobs([wire.StartInfo(job_id=job(1))])[0]
    assert result.status == "success" and "ReadTimeoutError" in (result.error_msg or "")
    assert [r["path"].rsplit("/", 1)[-1] for r in received] == ["batch-starting", "batch-status"]
    assert state["starts"] == "x"


# --- IAM: project lookup and password tokens ------------------------------------------------------

IAM_USER = {"access_key": None, "secret_key": None, "user_name": "bob", "password": "pw-Secret-9",
            "domain_name": "corp"}


def test_project_id_for_region(client: DrsClient, drs: FakeDrs) -> None:
    assert client.project_id_for_region("test-region-1") == "p-test-region-1"
    assert drs.requests[0].url == "https://iam.test-region-1.example.com/v3/projects?name=test-region-1"
    with pytest.raises(ConfigurationError, match="drs:projectId/HW_PROJECT_ID"):
        client.project_id_for_region("other-region-2")
    with pytest.raises(ConfigurationError, match="drs:region"):
        client.project_id_for_region("")


def test_project_id_is_needed_for_job_calls(make_client: Callable[..., DrsClient]) -> None:
    with pytest.raises(ConfigurationError, match="drs:projectId"):
        make_client(project_id=None).job_statuses([job(1)])


def test_iam_token_is_fetched_once_and_reused(make_client: Callable[..., DrsClient], drs: FakeDrs) -> None:
    drs.jobs = {job(1): "CONFIGURATION"}
    client = make_client(**IAM_USER)
    client.job_statuses([job(1)])
    client.job_statuses([job(1)])
    assert [c[0] for c in drs.calls] == ["tokens", "batch-status", "batch-status"]
    token_body = drs.bodies[0]["auth"]
    assert token_body["identity"]["password"]["user"] == {"name": "bob", "password": "pw-Secret-9",
                                                          "domain": {"name": "corp"}}
    assert token_body["scope"] == {"project": {"name": "test-region-1"}}
    assert drs.requests[1].headers["X-Auth-Token"] == "MIItoken-1"
    assert "Authorization" not in drs.requests[1].headers


def test_iam_token_is_refreshed_five_minutes_before_expiry(make_settings: MakeSettings, drs: FakeDrs) -> None:
    session = requests.Session()
    session.mount("https://", drs)
    now = [1_700_000_000.0]
    drs.token_ttl = "2023-11-14T23:13:20Z"  # 1_700_003_600: one hour after `now`

    def transmit(method: str, url: str, body: bytes | None) -> requests.Response:
        return session.request(method, url, data=body)

    auth = IamPasswordAuth("https://iam.test-region-1.example.com", "bob", "pw", "corp", "test-region-1",
                           transmit, clock=lambda: now[0])
    assert auth.token() == auth.token() == "MIItoken-1"
    now[0] += 3600 - 301
    assert auth.token() == "MIItoken-1"
    now[0] += 2
    assert auth.token() == "MIItoken-2"


def test_iam_token_is_fetched_once_under_concurrency(make_settings: MakeSettings, drs: FakeDrs) -> None:
    session = requests.Session()
    session.mount("https://", drs)
    gate = threading.Barrier(8)

    def transmit(method: str, url: str, body: bytes | None) -> requests.Response:
        return session.request(method, url, data=body)

    auth = IamPasswordAuth("https://iam.x", "bob", "pw", "corp", "r", transmit)
    tokens: list[str] = []

    def worker() -> None:
        gate.wait()
        tokens.append(auth.token())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert drs.tokens_issued == 1 and set(tokens) == {"MIItoken-1"}


def test_rejected_cached_token_is_replaced_once(make_client: Callable[..., DrsClient], drs: FakeDrs) -> None:
    drs.jobs = {job(1): "CONFIGURATION"}
    client = make_client(**IAM_USER)
    client.job_statuses([job(1)])
    drs.valid_tokens = {"someone-else"}
    assert client.job_statuses([job(1)])[job(1)].status == "CONFIGURATION"
    assert [c[0] for c in drs.calls] == ["tokens", "batch-status", "batch-status", "tokens", "batch-status"]
    assert drs.requests[-1].headers["X-Auth-Token"] == "MIItoken-2"


def test_a_fresh_token_rejected_again_raises(make_client: Callable[..., DrsClient], drs: FakeDrs) -> None:
    client = make_client(**IAM_USER)
    drs.valid_tokens, drs.accept_new_tokens = {"someone-else"}, False
    with pytest.raises(AuthenticationError, match=r"APIGW\.0301"):
        client.job_statuses([job(1)])
    assert [c[0] for c in drs.calls] == ["tokens", "batch-status", "tokens", "batch-status"]


def test_iam_rejection_names_the_settings(make_client: Callable[..., DrsClient], drs: FakeDrs) -> None:
    drs.faults["tokens"].append(Fault("status", 401, {"error": {"message": "The username or password is wrong."},
                                                      "error_code": "IAM.0004"}))
    with pytest.raises(AuthenticationError, match="drs:password/HW_PASSWORD") as info:
        make_client(**IAM_USER).job_statuses([job(1)])
    assert "IAM token: DRS answered HTTP 401 IAM.0004" in str(info.value)


def test_token_auth_passes_the_token(make_client: Callable[..., DrsClient], drs: FakeDrs) -> None:
    make_client(access_key=None, secret_key=None, auth_token="MIIgiven").job_statuses([job(1)])
    assert drs.requests[0].headers["X-Auth-Token"] == "MIIgiven"


def test_no_credentials_fails_at_construction(make_settings: MakeSettings) -> None:
    with pytest.raises(ConfigurationError, match="HW_ACCESS_KEY"):
        DrsClient(make_settings(access_key=None, secret_key=None))
    with pytest.raises(ConfigurationError, match="drs:region"):
        DrsClient(make_settings(endpoint=None))


# --- transport errors: one translation -------------------------------------------------------------

TRANSPORT_CASES: list[tuple[Exception, type[Exception]]] = [
    (requests.ConnectTimeout("connect timed out"), ConnectError),
    (requests.ConnectionError(u3.MaxRetryError(None, "/x", u3.NewConnectionError(None, "refused"))),  # type: ignore[arg-type]
     ConnectError),
    (requests.ConnectionError(u3.MaxRetryError(None, "/x", u3.NameResolutionError("h", None, OSError()))),  # type: ignore[arg-type]
     ConnectError),
    (requests.exceptions.SSLError("bad certificate"), ConnectError),
    (requests.exceptions.ProxyError("proxy refused"), ConnectError),
    (requests.ReadTimeout("read timed out"), ReadTimeoutError),
    (requests.ConnectionError(u3.MaxRetryError(None, "/x", u3.ReadTimeoutError(None, "/x", "t"))),  # type: ignore[arg-type]
     ReadTimeoutError),
    (requests.ConnectionError(u3.ProtocolError("Connection aborted.", ConnectionResetError())),
     ConnectionDroppedError),
    (requests.exceptions.ChunkedEncodingError("incomplete read"), ConnectionDroppedError),
    (requests.exceptions.ContentDecodingError("bad gzip"), ConnectionDroppedError),
    (requests.RequestException("anything else"), ConnectionDroppedError),
]


class Raising(BaseAdapter):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def send(self, *args: Any, **kwargs: Any) -> requests.Response:
        raise self.error

    def close(self) -> None:
        pass


@pytest.mark.parametrize(("foreign", "ours"), TRANSPORT_CASES, ids=[type(c[0]).__name__ for c in TRANSPORT_CASES])
def test_every_transport_failure_becomes_a_transport_error(make_settings: MakeSettings, foreign: Exception,
                                                           ours: type[Exception]) -> None:
    session = requests.Session()
    session.mount("https://", Raising(foreign))
    client = DrsClient(make_settings(), session)
    with pytest.raises(ours) as info:
        client.job_statuses([job(1)])
    assert info.value.__cause__ is foreign
    assert "POST /v3/" in str(info.value)


# --- secrets: never in a log line, a repr or a pickle ------------------------------------------------


def test_no_secret_in_logs_or_reprs(make_client: Callable[..., DrsClient], drs: FakeDrs,
                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    drs.jobs = {job(1): "CONFIGURATION"}
    client = make_client(security_token="STS-token-secret")
    drs.faults["batch-starting"].append(Fault("drop_after"))
    client.start_jobs([wire.StartInfo(job_id=job(1))])
    client.job_statuses([job(1)])
    signature = drs.requests[-1].headers["Authorization"].rsplit("=", 1)[-1]
    text = caplog.text + repr(client) + repr(client.settings) + repr(client._auth)
    assert "batch-status" in caplog.text and " -> 200 in " in caplog.text
    for secret in ("sk-Very-Secret-Key-0001", "STS-token-secret", signature, "AKFAKEACCESSKEY0001"):
        assert secret not in text


def test_client_is_never_pickled(client: DrsClient) -> None:
    with pytest.raises(TypeError, match="never pickled"):
        pickle.dumps(client)


def test_context_manager_closes_its_own_session(make_settings: MakeSettings) -> None:
    with DrsClient(make_settings()) as client:
        assert "DrsClient(endpoint=" in repr(client)

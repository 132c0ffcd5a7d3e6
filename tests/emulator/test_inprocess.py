"""InProcessEmulator: the same app and backend behind a requests adapter, seen exactly as over HTTP."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from http.client import RemoteDisconnected

import pytest
import requests
from emulator_helpers import FakeClock, SignedDrs
from urllib3.exceptions import ProtocolError

from pulumi_drs.emulator import EmulatorConfig, InProcessEmulator


def test_a_correctly_signed_request_passes_the_signature_check(
    inproc: InProcessEmulator, inproc_drs: SignedDrs
) -> None:
    job = inproc.admin.create_jobs(1)[0]["id"]

    response = inproc_drs.start(job)

    assert response.status_code == 202
    assert response.json() == {"count": 1, "results": [{"id": job, "status": "success"}]}
    assert inproc.admin.requests_log()[0]["auth"] == "aksk"


def test_a_request_signed_with_the_host_it_does_not_send_passes_as_over_http(
    inproc: InProcessEmulator, inproc_drs: SignedDrs
) -> None:
    response = inproc_drs.request("POST", "batch-status", {"jobs": ["x"]}, unsigned_headers=["Host"])

    assert response.status_code == 200


def test_a_tampered_body_fails_with_401_apigw_0301(inproc: InProcessEmulator, inproc_drs: SignedDrs) -> None:
    job = inproc.admin.create_jobs(1)[0]["id"]

    response = inproc_drs.request(
        "POST", "batch-starting", {"jobs": [{"job_id": job}]}, sent_body=b'{"jobs": [{"job_id": "other"}]}'
    )

    assert response.status_code == 401
    assert response.json()["error_code"] == "APIGW.0301"
    assert inproc.admin.get_job(job)["start_count"] == 0


def test_answers_are_real_responses(inproc: InProcessEmulator, inproc_drs: SignedDrs) -> None:
    inproc.admin.add_fault("batch-status", "status", status=429, retry_after=2)

    response = inproc_drs.status(["x"])

    assert (response.status_code, response.reason, response.ok) == (429, "Too Many Requests", False)
    assert response.headers["Retry-After"] == "2"
    assert response.headers["content-type"] == "application/json"
    assert response.url == f"{inproc.url}/v3/{inproc_drs.project_id}/jobs/batch-status"
    assert response.request.method == "POST"
    assert response.encoding == "utf-8"
    assert response.json()["error_code"] == "APIG.0308"


def test_a_streamed_answer_reads_from_raw(inproc: InProcessEmulator) -> None:
    response = inproc.session().get(f"{inproc.url}/_emulator/health", stream=True, timeout=5)

    body = b"".join(response.iter_content(4))

    assert json.loads(body)["status"] == "ok"
    assert int(response.headers["content-length"]) == len(body)


@pytest.mark.parametrize(("mode", "start_count"), [("drop_before", 0), ("drop_after", 1)])
def test_a_dropped_connection_raises_connection_error_like_a_socket(
    inproc: InProcessEmulator, inproc_drs: SignedDrs, mode: str, start_count: int
) -> None:
    job = inproc.admin.create_jobs(1)[0]["id"]
    inproc.admin.add_fault("batch-starting", mode)

    with pytest.raises(requests.ConnectionError) as raised:
        inproc_drs.start(job)

    (cause,) = raised.value.args
    assert isinstance(cause, ProtocolError)
    assert cause.args[0] == "Connection aborted."
    assert isinstance(cause.args[1], RemoteDisconnected)
    assert inproc.admin.get_job(job)["start_count"] == start_count


def test_a_delay_past_the_read_timeout_raises_read_timeout_after_the_work(
    inproc: InProcessEmulator, inproc_drs: SignedDrs
) -> None:
    job = inproc.admin.create_jobs(1)[0]["id"]
    inproc.admin.add_fault("batch-starting", "delay", delay_seconds=3600)

    with pytest.raises(requests.ReadTimeout, match=r"read timeout=0\.05"):
        inproc_drs.start(job, timeout=0.05)

    assert inproc.admin.get_job(job)["start_count"] == 1
    assert inproc.admin.requests_log()[0]["fault"] == "delay"


def test_a_delay_within_the_read_timeout_answers_normally(inproc: InProcessEmulator, inproc_drs: SignedDrs) -> None:
    inproc.admin.add_fault("batch-status", "delay", delay_seconds=0.01)

    assert inproc_drs.status(["x"], {"cur_page": 1, "per_page": 1}).status_code == 200


def test_status_after_answers_the_fault_after_the_work(inproc: InProcessEmulator, inproc_drs: SignedDrs) -> None:
    job = inproc.admin.create_jobs(1)[0]["id"]
    inproc.admin.add_fault("batch-starting", "status_after", status=504)

    assert inproc_drs.start(job).status_code == 504
    assert inproc.admin.get_job(job)["status"] == "STARTJOBING"


def test_the_clock_moves_a_time_based_transition(
    inproc: InProcessEmulator, inproc_drs: SignedDrs, clock: FakeClock
) -> None:
    job = inproc.admin.create_jobs(1)[0]["id"]
    inproc_drs.start(job)

    before = inproc_drs.status_of(job)
    clock.advance(10)

    assert (before, inproc_drs.status_of(job)) == ("STARTJOBING", "FULL_TRANSFER_STARTED")


def test_several_threads_may_send_at_once(inproc: InProcessEmulator, inproc_drs: SignedDrs) -> None:
    jobs = [job["id"] for job in inproc.admin.create_jobs(16)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda job: inproc_drs.start(job).status_code, jobs))

    assert codes == [202] * 16
    assert {job["start_count"] for job in inproc.admin.list_jobs()} == {1}
    assert len(inproc.admin.requests_log()) == 16


def test_a_caller_inside_a_running_event_loop_is_served(inproc: InProcessEmulator, inproc_drs: SignedDrs) -> None:
    async def call() -> int:
        return inproc_drs.status(["x"]).status_code

    assert asyncio.run(call()) == 200


def test_state_gives_direct_control_and_admin_the_same_api_as_over_http(
    inproc: InProcessEmulator, inproc_drs: SignedDrs
) -> None:
    job = inproc.admin.create_jobs(1)[0]["id"]
    inproc.state.settings.transition_seconds = 0
    inproc_drs.start(job)

    inproc.admin.set_status(job, "PAUSING")
    inproc.admin.update_job(job, rpo=9)

    assert inproc.state.backend.describe_job(job)["rpo"] == 9
    assert inproc.admin.health()["project_id"] == inproc.config.project_id
    inproc.admin.clear_requests()
    inproc.admin.add_fault("batch-status", "status", times=0)
    inproc.admin.clear_faults()
    assert inproc_drs.status([job]).status_code == 200
    inproc.admin.reset()
    assert (inproc.admin.list_jobs(), inproc.state.settings.transition_seconds) == ([], 10)


def test_only_the_emulators_url_is_routed_to_it() -> None:
    with InProcessEmulator(EmulatorConfig(), url="http://other.emulator.test:8080/") as emu:
        session = emu.session()

        assert emu.url == "http://other.emulator.test:8080"
        assert session.get_adapter(emu.url + "/v3") is emu.adapter
        assert session.get_adapter("http://other.emulator.test:80/v3") is not emu.adapter
        assert session.get(emu.url + "/_emulator/health", timeout=5).json()["status"] == "ok"

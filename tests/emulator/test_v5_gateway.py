"""The gateway in front of /v5 exactly as in front of /v3: AK/SK signatures over path, query and body,
tokens, faults, and a request log that names the jobs of v5 bodies, paths and list queries."""

from __future__ import annotations

import pytest
import requests
from emulator_helpers import SignedDrsV5, token_request

from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess

SIGNATURE_FAIL = "APIGW.0301"


def test_a_query_other_than_the_signed_one_is_refused(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1)[0]["id"]
    signed = [("job_type", "migration"), ("name", job)]

    honest = drs5.drs.request("GET", "", path=drs5.jobs, query=signed)
    tampered = drs5.drs.request("GET", "", path=drs5.jobs, query=signed, sent_query=[("job_type", "sync")])

    assert honest.status_code == 200
    assert (tampered.status_code, tampered.json()["error_code"]) == (401, SIGNATURE_FAIL)


def test_a_tampered_action_body_is_refused_and_does_nothing(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1)[0]["id"]
    body = {"jobs": [{"job_id": job, "action_name": "start"}]}

    response = drs5.drs.request("POST", "", body, path=f"{drs5.jobs}/action", sent_body=b'{"jobs": []}')

    assert (response.status_code, response.json()["error_code"]) == (401, SIGNATURE_FAIL)
    assert manual.get_job(job)["start_count"] == 0


def test_an_iam_token_is_accepted_on_v5(emulator: EmulatorProcess, drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1)[0]["id"]
    token = requests.post(f"{emulator.url}/v3/auth/tokens", json=token_request()).headers["X-Subject-Token"]

    response = drs5.drs.request("GET", "", path=f"{drs5.jobs}/{job}/actions", token=token)

    assert response.status_code == 200
    assert manual.requests_log()[-1]["auth"] == "token"


@pytest.mark.parametrize("path", ["/jobs/action", "/jobs/batch-stop"])
def test_a_status_fault_on_a_v5_action_answers_without_doing_the_work(
    drs5: SignedDrsV5, manual: EmulatorAdmin, path: str
) -> None:
    job = manual.create_jobs(1, status="INCRE_TRANSFER_STARTED")[0]["id"]
    manual.add_fault(path, "status", status=503)

    response = drs5.batch_stop(job) if "stop" in path else drs5.act("stop", job)

    assert response.status_code == 503
    assert manual.get_job(job)["status"] == "INCRE_TRANSFER_STARTED"


def test_a_drop_after_a_v5_start_does_the_work(drs5: SignedDrsV5, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1)[0]["id"]
    manual.add_fault("/v5/", "drop_after", method="POST")

    with pytest.raises(requests.ConnectionError):
        drs5.act("start", job)

    assert manual.get_job(job)["start_count"] == 1
    assert manual.requests_log()[-1]["fault"] == "drop_after"


def test_the_log_names_the_jobs_of_v5_bodies_paths_and_list_queries(
    drs5: SignedDrsV5, manual: EmulatorAdmin
) -> None:
    a, b = (j["id"] for j in manual.create_jobs(2))
    drs5.act("start", a, b)
    drs5.batch_stop(b)
    drs5.list(name=f"{a},{b}")
    drs5.list()
    drs5.show_actions(a)
    drs5.show_job_detail(b)

    log = manual.requests_log()

    assert [(entry["method"], entry["status_code"]) for entry in log] == [("POST", 200)] * 2 + [("GET", 200)] * 4
    assert [entry["job_ids"] for entry in log] == [[a, b], [b], [a, b], [], [a], [b]]
    assert log[4]["path"].endswith(f"/v5/{drs5.drs.project_id}/jobs/{a}/actions")

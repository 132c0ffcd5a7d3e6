"""Authentication as the API gateway does it: AK/SK signatures (checked against the official SDK),
IAM password tokens, the fixed raw token, and the project checks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests
from emulator_helpers import FakeClock, SignedDrs, token_request
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkdrs.v3 import (
    BatchListJobStatusRequest,
    BatchQueryJobReqPage,
    BatchStartJobReq,
    BatchStartJobsRequest,
    DrsClient,
    PageReq,
    StartInfo,
)

from pulumi_drs.emulator import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_PROJECT_ID,
    DEFAULT_REGION,
    DEFAULT_SECRET_KEY,
    EmulatorAdmin,
    EmulatorProcess,
    InProcessEmulator,
)

# The SDK marks its v3 batch methods deprecated (v3 is "no longer promoted"); they are what we emulate.
sdk_v3 = pytest.mark.filterwarnings("ignore:Method .* of DrsClient is deprecated:DeprecationWarning")

SIGNATURE_FAIL = {
    "error_code": "APIGW.0301",
    "error_msg": "Incorrect IAM authentication information: verify aksk signature fail",
}


def sdk_client(url: str, secret_key: str = DEFAULT_SECRET_KEY) -> Any:
    credentials = BasicCredentials(DEFAULT_ACCESS_KEY, secret_key, DEFAULT_PROJECT_ID)
    return DrsClient.new_builder().with_credentials(credentials).with_endpoints([url]).build()


def _gateway_error(response: requests.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert body.pop("request_id")
    return body


# --- the official SDK ---------------------------------------------------------------------------


@sdk_v3
def test_official_sdk_starts_jobs(emulator: EmulatorProcess, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1)[0]["id"]
    request = BatchStartJobsRequest(body=BatchStartJobReq(jobs=[StartInfo(job_id=job)]))

    response = sdk_client(emulator.url).batch_start_jobs(request)

    assert response.status_code == 202
    assert response.count == 1
    assert (response.results[0].id, response.results[0].status) == (job, "success")
    assert manual.get_job(job)["start_count"] == 1


@sdk_v3
def test_official_sdk_reads_job_statuses(emulator: EmulatorProcess, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1)[0]["id"]
    manual.set_status(job, "INCRE_TRANSFER_STARTED")
    body = BatchQueryJobReqPage(jobs=[job], page_req=PageReq(cur_page=1, per_page=0))

    response = sdk_client(emulator.url).batch_list_job_status(BatchListJobStatusRequest(body=body))

    assert response.status_code == 200
    assert (response.results[0].id, response.results[0].status) == (job, "INCRE_TRANSFER_STARTED")


@sdk_v3
def test_official_sdk_with_wrong_secret_key_gets_401(
    emulator: EmulatorProcess, manual: EmulatorAdmin
) -> None:
    body = BatchQueryJobReqPage(jobs=["x"])

    with pytest.raises(ClientRequestException) as raised:
        sdk_client(emulator.url, "WRONG").batch_list_job_status(BatchListJobStatusRequest(body=body))

    assert raised.value.status_code == 401
    assert (raised.value.error_code, raised.value.error_msg) == (
        SIGNATURE_FAIL["error_code"],
        SIGNATURE_FAIL["error_msg"],
    )


# --- AK/SK signature checks -----------------------------------------------------------------------


def test_body_changed_after_signing_gets_401(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    job = manual.create_jobs(1)[0]["id"]
    signed = {"jobs": [{"job_id": job}]}

    response = drs.request("POST", "batch-starting", signed, sent_body=b'{"jobs": [{"job_id": "other"}]}')

    assert response.status_code == 401
    assert _gateway_error(response) == SIGNATURE_FAIL
    assert manual.get_job(job)["start_count"] == 0


@pytest.mark.parametrize(
    "change",
    [{"secret_key": "WRONG"}, {"access_key": "UNKNOWNAK"}, {"unsigned_headers": ["X-Sdk-Date"]}],
    ids=["wrong-sk", "unknown-ak", "no-sdk-date"],
)
def test_bad_signature_gets_401(drs: SignedDrs, admin: EmulatorAdmin, change: dict[str, Any]) -> None:
    response = drs.request("POST", "batch-status", {"jobs": ["x"]}, **change)

    assert response.status_code == 401
    assert _gateway_error(response) == SIGNATURE_FAIL


def test_signed_header_changed_after_signing_gets_401(drs: SignedDrs, admin: EmulatorAdmin) -> None:
    response = drs.request(
        "POST",
        "batch-status",
        {"jobs": ["x"]},
        headers={"X-Language": "en-us"},
        unsigned_headers=["X-Language"],
    )

    assert response.status_code == 401
    assert _gateway_error(response) == SIGNATURE_FAIL  # a signed header not sent: refused, not hashed as ""


@pytest.mark.parametrize("offset_minutes", [-16, 16])
def test_sdk_date_more_than_15_minutes_off_gets_401_apigw_0303(
    drs: SignedDrs, admin: EmulatorAdmin, offset_minutes: int
) -> None:
    signed_at = datetime.now(timezone.utc) + timedelta(minutes=offset_minutes)

    response = drs.request("POST", "batch-status", {"jobs": ["x"]}, signed_at=signed_at)

    assert response.status_code == 401
    assert response.json()["error_code"] == "APIGW.0303"


def test_sdk_date_14_minutes_old_is_accepted(drs: SignedDrs, admin: EmulatorAdmin) -> None:
    signed_at = datetime.now(timezone.utc) - timedelta(minutes=14)

    assert drs.request("POST", "batch-status", {"jobs": ["x"]}, signed_at=signed_at).status_code == 200


def test_no_credentials_at_all_gets_401(emulator: EmulatorProcess, admin: EmulatorAdmin) -> None:
    response = requests.post(
        f"{emulator.url}/v3/{DEFAULT_PROJECT_ID}/jobs/batch-status", json={"jobs": ["x"]}
    )

    assert response.status_code == 401
    assert response.json()["error_code"] == "APIGW.0301"


def test_x_project_id_other_than_the_path_gets_403_m00261(drs: SignedDrs, admin: EmulatorAdmin) -> None:
    response = drs.request("POST", "batch-status", {"jobs": ["x"]}, headers={"X-Project-Id": "f" * 32})

    assert response.status_code == 403
    assert response.json()["error_code"] == "DRS.M00261"


# --- IAM tokens -----------------------------------------------------------------------------------


def issue_token(url: str) -> str:
    response = requests.post(f"{url}/v3/auth/tokens", json=token_request())
    assert response.status_code == 201, response.text
    return response.headers["X-Subject-Token"]


def test_iam_issues_a_token_in_x_subject_token(emulator: EmulatorProcess, admin: EmulatorAdmin) -> None:
    response = requests.post(f"{emulator.url}/v3/auth/tokens", json=token_request())

    assert response.status_code == 201
    assert response.headers["X-Subject-Token"]
    token = response.json()["token"]
    assert token["expires_at"].endswith("Z")
    assert token["project"]["id"] == DEFAULT_PROJECT_ID


@pytest.mark.parametrize("body", [token_request(password="wrong"), token_request(project="nowhere")])
def test_iam_rejects_wrong_password_or_project_with_401(
    emulator: EmulatorProcess, admin: EmulatorAdmin, body: dict[str, Any]
) -> None:
    response = requests.post(f"{emulator.url}/v3/auth/tokens", json=body)

    assert response.status_code == 401
    assert "X-Subject-Token" not in response.headers
    assert response.json()["error"]["code"] == 401
    assert response.json()["error_msg"]


def test_issued_token_authenticates_drs_calls(emulator: EmulatorProcess, drs: SignedDrs) -> None:
    token = issue_token(emulator.url)

    response = drs.request("POST", "batch-status", {"jobs": ["x"]}, token=token)

    assert response.status_code == 200


def test_unknown_token_gets_401(drs: SignedDrs) -> None:
    response = drs.request("POST", "batch-status", {"jobs": ["x"]}, token="MIIforged")

    assert response.status_code == 401
    assert response.json()["error_code"] == "APIGW.0301"


def test_expired_token_gets_401(inproc: InProcessEmulator, inproc_drs: SignedDrs, clock: FakeClock) -> None:
    inproc.admin.settings(token_ttl_seconds=60)
    response = inproc.session().post(f"{inproc.url}/v3/auth/tokens", json=token_request())
    token = response.headers["X-Subject-Token"]
    assert response.json()["token"]["expires_at"] == "2023-11-14T22:14:20.000000Z"
    assert inproc_drs.request("POST", "batch-status", {"jobs": ["x"]}, token=token).status_code == 200

    clock.advance(60)

    assert inproc_drs.request("POST", "batch-status", {"jobs": ["x"]}, token=token).status_code == 401


def test_projects_lists_the_project_by_region_name(emulator: EmulatorProcess, admin: EmulatorAdmin) -> None:
    headers = {"X-Auth-Token": issue_token(emulator.url)}

    found = requests.get(f"{emulator.url}/v3/projects", params={"name": DEFAULT_REGION}, headers=headers)
    other = requests.get(f"{emulator.url}/v3/projects", params={"name": "elsewhere"}, headers=headers)

    assert found.json() == {"projects": [{"id": DEFAULT_PROJECT_ID, "name": DEFAULT_REGION}]}
    assert other.json() == {"projects": []}
    assert requests.get(f"{emulator.url}/v3/projects").status_code == 401


def test_projects_accepts_aksk(drs: SignedDrs) -> None:
    response = drs.request("GET", "", path="/v3/projects")

    assert response.status_code == 200


@pytest.fixture(scope="module")
def raw_token_emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess("--auth-token", "fixed-raw-token") as process:
        yield process


def test_fixed_auth_token_is_accepted(raw_token_emulator: EmulatorProcess) -> None:
    drs = SignedDrs(raw_token_emulator.url)

    assert drs.request("POST", "batch-status", {"jobs": ["x"]}, token="fixed-raw-token").status_code == 200
    assert drs.request("POST", "batch-status", {"jobs": ["x"]}, token="fixed-raw-tokem").status_code == 401

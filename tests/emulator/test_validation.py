"""Whole-request errors are DRS JSON, never FastAPI's 422 `detail` shape."""

from __future__ import annotations

import pytest
from emulator_helpers import SignedDrs

from pulumi_drs.emulator import EmulatorAdmin


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        ("batch-starting", {"jobs": [{"start_time": "1"}]}),
        ("batch-starting", {"nothing": True}),
        ("batch-status", {"jobs": "not-a-list"}),
        ("batch-progress", {"jobs": [{"nested": 1}]}),
        ("batch-retry-task", {}),
        ("batch-rpo-and-rto", {"jobs": [1, 2]}),
        ("", {"cur_page": "first", "db_use_type": "migration"}),
    ],
)
def test_malformed_body_answers_400_m00007(
    drs: SignedDrs, admin: EmulatorAdmin, operation: str, body: object
) -> None:
    path = f"/v3/{drs.project_id}/jobs/{operation}".rstrip("/")
    response = drs.request("POST", operation, body, path=path)

    assert response.status_code == 400
    assert set(response.json()) == {"error_code", "error_msg"}
    assert response.json()["error_code"] == "DRS.M00007"


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[]"])
def test_unparsable_body_answers_400_m00007(drs: SignedDrs, admin: EmulatorAdmin, raw: bytes) -> None:
    response = drs.request("POST", "batch-status", raw=raw)

    assert response.status_code == 400
    assert response.json()["error_code"] == "DRS.M00007"


@pytest.mark.parametrize(
    "operation", ["batch-starting", "batch-status", "batch-detail", "batch-progress", "batch-rpo-and-rto"]
)
def test_empty_jobs_answers_400_m00201(drs: SignedDrs, admin: EmulatorAdmin, operation: str) -> None:
    response = drs.request("POST", operation, {"jobs": []})

    assert response.status_code == 400
    assert response.json()["error_code"] == "DRS.M00201"


def test_wrong_project_in_path_answers_403_m00261(drs: SignedDrs, admin: EmulatorAdmin) -> None:
    other = "ffffffffffffffffffffffffffffffff"

    response = drs.request(
        "POST", "batch-status", {"jobs": ["x"]}, project_id=other, headers={"X-Project-Id": other}
    )

    assert response.status_code == 403
    assert response.json()["error_code"] == "DRS.M00261"


def test_unknown_route_answers_404_in_gateway_shape(drs: SignedDrs, admin: EmulatorAdmin) -> None:
    response = drs.request("POST", "batch-teleport", {"jobs": ["x"]})

    assert response.status_code == 404
    assert response.json()["error_code"] == "APIGW.0101"

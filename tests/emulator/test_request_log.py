"""The request log: what tests and benchmarks count, and never a credential."""

from __future__ import annotations

import json

import requests
from emulator_helpers import SignedDrs, token_request

from pulumi_drs.emulator import (
    DEFAULT_PASSWORD,
    DEFAULT_SECRET_KEY,
    EmulatorAdmin,
    EmulatorProcess,
)


def test_log_records_method_path_status_job_ids_and_duration(drs: SignedDrs, manual: EmulatorAdmin) -> None:
    a, b = (j["id"] for j in manual.create_jobs(2))
    drs.start(a, b)
    drs.status([a])

    first, second = manual.requests_log()

    assert first["method"] == "POST"
    assert first["path"].endswith("/jobs/batch-starting")
    assert first["status_code"] == 202
    assert first["job_ids"] == [a, b]
    assert first["duration_ms"] >= 0
    assert first["auth"] == "aksk"
    assert second["job_ids"] == [a]


def test_admin_calls_are_not_logged(manual: EmulatorAdmin) -> None:
    manual.create_jobs(1)
    manual.list_jobs()

    assert manual.requests_log() == []


def test_log_holds_no_secret(emulator: EmulatorProcess, drs: SignedDrs, manual: EmulatorAdmin) -> None:
    token_response = requests.post(f"{emulator.url}/v3/auth/tokens", json=token_request())
    token = token_response.headers["X-Subject-Token"]
    signed = drs.status(["x"])
    drs.request("POST", "batch-status", {"jobs": ["x"]}, token=token)
    drs.request("POST", "batch-status", {"jobs": ["x"]}, secret_key="WRONG")
    signature = signed.request.headers["Authorization"].rsplit("Signature=", 1)[1]

    log = json.dumps(manual.requests_log())

    assert len(manual.requests_log()) == 4
    for secret in (DEFAULT_SECRET_KEY, DEFAULT_PASSWORD, token, signature, "Signature=", "SDK-HMAC"):
        assert secret not in log

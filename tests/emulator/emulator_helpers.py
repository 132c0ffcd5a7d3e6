"""Helpers for the emulator tests: a bare AK/SK-signing DRS v3 caller.

`SignedDrs` signs with `pulumi_drs.signing` (never the package's client, which these tests must not
depend on) and sends exactly the bytes it signed, unless a test asks it to tamper with them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import requests

from pulumi_drs import signing
from pulumi_drs.emulator import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_DOMAIN_NAME,
    DEFAULT_PASSWORD,
    DEFAULT_PROJECT_ID,
    DEFAULT_REGION,
    DEFAULT_SECRET_KEY,
    DEFAULT_USER_NAME,
)

UNKNOWN_JOB = "00000000-0000-0000-0000-0000000jb101"


def token_request(password: str = DEFAULT_PASSWORD, project: str = DEFAULT_REGION) -> dict[str, Any]:
    user = {"name": DEFAULT_USER_NAME, "password": password, "domain": {"name": DEFAULT_DOMAIN_NAME}}
    identity = {"methods": ["password"], "password": {"user": user}}
    return {"auth": {"identity": identity, "scope": {"project": {"name": project}}}}


def items_by_id(response: requests.Response) -> dict[str, dict[str, Any]]:
    return {item.get("id") or item["job_id"]: item for item in response.json()["results"]}


class SignedDrs:
    """A bare DRS v3 caller: signs with SDK-HMAC-SHA256 and sends exactly the signed bytes."""

    def __init__(self, url: str, project_id: str = DEFAULT_PROJECT_ID) -> None:
        self.url = url
        self.project_id = project_id
        self.session = requests.Session()

    def request(
        self,
        method: str,
        operation: str,
        body: Any = None,
        *,
        access_key: str = DEFAULT_ACCESS_KEY,
        secret_key: str = DEFAULT_SECRET_KEY,
        signed_at: datetime | None = None,
        headers: Mapping[str, str] | None = None,
        raw: bytes | None = None,
        sent_body: bytes | None = None,
        path: str | None = None,
        project_id: str | None = None,
        unsigned_headers: Sequence[str] = (),
        token: str | None = None,
    ) -> requests.Response:
        """`operation` is the part after `/v3/{project_id}/jobs/`; `body` is sent as JSON, or `raw` as is.

        `sent_body`, when given, is sent instead of the signed bytes (tampering); `unsigned_headers` are
        signed, then removed. With `token`, the request carries `X-Auth-Token` and is not signed.
        """
        path = path or f"/v3/{project_id or self.project_id}/jobs/{operation}"
        if raw is None:
            raw = b"" if body is None else json.dumps(body).encode()
        all_headers = {
            "Content-Type": "application/json",
            "Host": urlsplit(self.url).netloc,
            "X-Sdk-Date": signing.format_sdk_date(signed_at or datetime.now(timezone.utc)),
            "X-Project-Id": self.project_id,
            **(headers or {}),
        }
        if token is not None:
            all_headers = {"Content-Type": "application/json", "X-Auth-Token": token, **(headers or {})}
        else:
            all_headers["Authorization"] = signing.sign(
                method, path, [], all_headers, raw, access_key, secret_key
            )
        for name in unsigned_headers:
            del all_headers[name]
        data = raw if sent_body is None else sent_body
        return self.session.request(method, self.url + path, data=data, headers=all_headers, timeout=30)

    def start(self, *jobs: str | Mapping[str, Any], **kw: Any) -> requests.Response:
        infos = [{"job_id": job} if isinstance(job, str) else dict(job) for job in jobs]
        return self.request("POST", "batch-starting", {"jobs": infos}, **kw)

    def status(self, job_ids: Sequence[str], page_req: Mapping[str, int] | None = None) -> requests.Response:
        return self.request("POST", "batch-status", _query(job_ids, page_req))

    def detail(self, job_ids: Sequence[str], page_req: Mapping[str, int] | None = None) -> requests.Response:
        return self.request("POST", "batch-detail", _query(job_ids, page_req))

    def progress(self, job_ids: Sequence[str]) -> requests.Response:
        return self.request("POST", "batch-progress", {"jobs": list(job_ids)})

    def retry(self, *job_ids: str) -> requests.Response:
        return self.request("POST", "batch-retry-task", {"jobs": [{"job_id": j} for j in job_ids]})

    def delete(self, delete_type: str, *job_ids: str) -> requests.Response:
        body = {"jobs": [{"delete_type": delete_type, "job_id": j} for j in job_ids]}
        return self.request("DELETE", "batch-jobs", body)

    def status_of(self, job_id: str) -> str:
        response = self.status([job_id])
        assert response.status_code == 200, response.text
        result: str = response.json()["results"][0]["status"]
        return result


def _query(job_ids: Sequence[str], page_req: Mapping[str, int] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"jobs": list(job_ids)}
    if page_req is not None:
        body["page_req"] = dict(page_req)
    return body

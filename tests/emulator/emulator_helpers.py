"""Helpers for the emulator tests: bare AK/SK-signing DRS v3 and v5 callers and a clock tests move.

`SignedDrs` signs with `pulumi_drs.signing` (never the package's client, which these tests must not
depend on) and sends exactly the bytes it signed, unless a test asks it to tamper with them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode, urlsplit

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


class FakeClock:
    """Epoch seconds that move only when a test moves them."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def token_request(password: str = DEFAULT_PASSWORD, project: str = DEFAULT_REGION) -> dict[str, Any]:
    user = {"name": DEFAULT_USER_NAME, "password": password, "domain": {"name": DEFAULT_DOMAIN_NAME}}
    identity = {"methods": ["password"], "password": {"user": user}}
    return {"auth": {"identity": identity, "scope": {"project": {"name": project}}}}


def items_by_id(response: requests.Response) -> dict[str, dict[str, Any]]:
    return {item.get("id") or item["job_id"]: item for item in response.json()["results"]}


class SignedDrs:
    """A bare DRS v3 caller: signs with SDK-HMAC-SHA256 and sends exactly the signed bytes."""

    def __init__(
        self, url: str, project_id: str = DEFAULT_PROJECT_ID, session: requests.Session | None = None
    ) -> None:
        self.url = url
        self.project_id = project_id
        self.session = session or requests.Session()

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
        timeout: float = 30,
        query: Sequence[tuple[str, str]] = (),
        sent_query: Sequence[tuple[str, str]] | None = None,
    ) -> requests.Response:
        """`operation` is the part after `/v3/{project_id}/jobs/`; `body` is sent as JSON, or `raw` as is.

        `sent_body`, when given, is sent instead of the signed bytes (tampering), and `sent_query` instead
        of the signed `query`; `unsigned_headers` are signed, then removed. With `token`, the request
        carries `X-Auth-Token` and is not signed.
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
                method, path, query, all_headers, raw, access_key, secret_key
            )
        for name in unsigned_headers:
            del all_headers[name]
        data = raw if sent_body is None else sent_body
        sent = query if sent_query is None else sent_query
        url = self.url + path + (f"?{urlencode(list(sent))}" if sent else "")
        return self.session.request(method, url, data=data, headers=all_headers, timeout=timeout)

    def start(self, *jobs: str | Mapping[str, Any], **kw: Any) -> requests.Response:
        infos = [{"job_id": job} if isinstance(job, str) else dict(job) for job in jobs]
        return self.request("POST", "batch-starting", {"jobs": infos}, **kw)

    def status(self, job_ids: Sequence[str], page_req: Mapping[str, int] | None = None) -> requests.Response:
        return self.request("POST", "batch-status", _query(job_ids, page_req))

    def detail(self, job_ids: Sequence[str], page_req: Mapping[str, int] | None = None) -> requests.Response:
        return self.request("POST", "batch-detail", _query(job_ids, page_req))

    def progress(self, job_ids: Sequence[str]) -> requests.Response:
        return self.request("POST", "batch-progress", {"jobs": list(job_ids)})

    def retry(self, *job_ids: str, is_sync_re_edit: bool | None = None) -> requests.Response:
        extra = {} if is_sync_re_edit is None else {"is_sync_re_edit": is_sync_re_edit}
        return self.request("POST", "batch-retry-task", {"jobs": [{"job_id": j, **extra} for j in job_ids]})

    def rpo_and_rto(self, job_ids: Sequence[str]) -> requests.Response:
        return self.request("POST", "batch-rpo-and-rto", {"jobs": list(job_ids)})

    def job_list(self, **query: Any) -> requests.Response:
        """`POST /v3/{project_id}/jobs` (show_job_list): page 1 of 10 migration tasks unless `query` says."""
        body = {"cur_page": 1, "per_page": 10, "db_use_type": "migration", **query}
        return self.request("POST", "", body, path=f"/v3/{self.project_id}/jobs")

    def delete(self, delete_type: str, *job_ids: str) -> requests.Response:
        body = {"jobs": [{"delete_type": delete_type, "job_id": j} for j in job_ids]}
        return self.request("DELETE", "batch-jobs", body)

    def status_of(self, job_id: str) -> str:
        response = self.status([job_id])
        assert response.status_code == 200, response.text
        result: str = response.json()["results"][0]["status"]
        return result


class SignedDrsV5:
    """A bare DRS v5 caller over `SignedDrs`: one method per v5 operation the emulator serves."""

    def __init__(self, drs: SignedDrs) -> None:
        self.drs = drs
        self.jobs = f"/v5/{drs.project_id}/jobs"

    def action(self, *items: Mapping[str, Any], **kw: Any) -> requests.Response:
        """`POST jobs/action` (batch_execute_job_actions) with these ActionReq items."""
        return self.drs.request("POST", "", {"jobs": [dict(item) for item in items]}, path=f"{self.jobs}/action", **kw)

    def act(self, action_name: str, *job_ids: str, **action_params: Any) -> requests.Response:
        """The same action, with the same params (if any), on every job."""
        params = {"action_params": action_params} if action_params else {}
        return self.action(*({"job_id": j, "action_name": action_name, **params} for j in job_ids))

    def batch_stop(self, *job_ids: str, is_force_stop: bool | None = None) -> requests.Response:
        extra = {} if is_force_stop is None else {"is_force_stop": is_force_stop}
        body = {"jobs": [{"job_id": j, **extra} for j in job_ids]}
        return self.drs.request("POST", "", body, path=f"{self.jobs}/batch-stop")

    def list(self, **query: Any) -> requests.Response:
        """`GET jobs` (list_jobs): migration tasks unless `query` says; a None value is left out."""
        pairs = [(k, str(v)) for k, v in {"job_type": "migration", **query}.items() if v is not None]
        return self.drs.request("GET", "", path=self.jobs, query=pairs)

    def show_actions(self, job_id: str) -> requests.Response:
        return self.drs.request("GET", "", path=f"{self.jobs}/{job_id}/actions")

    def show_job_detail(self, job_id: str, detail_type: str | None = "detail") -> requests.Response:
        query = [] if detail_type is None else [("type", detail_type)]
        return self.drs.request("GET", "", path=f"{self.jobs}/{job_id}", query=query)

    def show_task_execute_progress(self, async_job_id: str, **query: str) -> requests.Response:
        """`GET jobs/{async_job_id}/progress` (show_task_execute_progress)."""
        return self.drs.request("GET", "", path=f"{self.jobs}/{async_job_id}/progress", query=list(query.items()))

    def items(self, response: requests.Response) -> dict[str, dict[str, Any]]:
        """The `jobs` items of an action's answer, by job id."""
        assert response.status_code == 200, response.text
        return {item["id"]: item for item in response.json()["jobs"]}

    def queries(self, response: requests.Response) -> dict[str, str]:
        """The query of each job of an action answered asynchronously (202), by job id."""
        assert response.status_code == 202, response.text
        return {item["id"]: item["query_id"] for item in response.json()["jobs"]}

    def progress(self, async_job_id: str) -> dict[str, Any]:
        """The progress answer of a query, which must be a 200."""
        response = self.show_task_execute_progress(async_job_id)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def listed(self, job_id: str, job_type: str = "migration") -> dict[str, Any]:
        """The job's entry in the job list."""
        response = self.list(job_type=job_type, name=job_id)
        assert response.status_code == 200, response.text
        (job,) = response.json()["jobs"]
        return dict(job)


def _query(job_ids: Sequence[str], page_req: Mapping[str, int] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"jobs": list(job_ids)}
    if page_req is not None:
        body["page_req"] = dict(page_req)
    return body

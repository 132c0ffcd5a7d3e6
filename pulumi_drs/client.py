"""DrsClient: one method per DRS v3 batch operation, with chunking, pagination and safe retries.

Owns the HTTP conversation with DRS and IAM: URLs, headers, (connect, read) timeouts, logging and
retries. Idempotent reads (batch-status, -detail, -progress, IAM) are retried by urllib3's `Retry` on
the session's adapters. Calls that change jobs (batch-starting, batch-retry-task, batch-jobs) are
retried there only when no connection could be opened; when their answer is lost the client asks
batch-status which jobs already moved and re-sends only the rest, so no job is started twice.
Throttling only the body shows (DRS.M01503 on HTTP 400) is retried here. `_transmit` is the one place
where requests/urllib3 exceptions become `errors.TransportError`s. A session passed in is used as
given (its adapters decide transport retries). Knows nothing of Pulumi; never pickled.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar
from urllib.parse import urlsplit

import requests
import urllib3.exceptions as u3
from pydantic import BaseModel
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from urllib3.util.retry import Retry

from pulumi_drs import wire
from pulumi_drs.auth import build_auth, lookup_project_id
from pulumi_drs.errors import (
    ConfigurationError,
    ConnectError,
    ConnectionDroppedError,
    DrsError,
    ReadTimeoutError,
    RequestError,
    ServerError,
    ThrottledError,
    TransportError,
    error_from_response,
    parse_retry_after,
    redact,
)
from pulumi_drs.settings import Settings, default_endpoint, where
from pulumi_drs.statuses import StatusClass, classify, has_left_pre_start

if TYPE_CHECKING:
    from typing_extensions import Self

log = logging.getLogger("pulumi_drs.client")

READ_OPERATIONS = ("batch-status", "batch-detail", "batch-progress")
IAM_PATHS = ("/v3/auth/tokens", "/v3/projects")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
PAGE_ERROR_CODES = frozenset({"DRS.M00210", "DRS.M00211"})
MISSING_CODE = "DRS.M05003"
MISSING_MSG = "DRS's answer did not include this job"
_MISSING = {"error_code": MISSING_CODE, "error_message": MISSING_MSG}
USER_AGENT = "pulumi-drs/0.1"
_NOT_SENT = (requests.ConnectTimeout, requests.exceptions.SSLError, requests.exceptions.ProxyError,
             requests.exceptions.InvalidURL)
LOST_ANSWER = (ReadTimeoutError, ConnectionDroppedError, ServerError, ThrottledError)
"""Errors after which a request that changes jobs may or may not have reached DRS."""

R = TypeVar("R", wire.StartJobResult, wire.ActionResult)
Q = TypeVar("Q", wire.JobStatusResult, wire.JobDetail)
M = TypeVar("M", bound=BaseModel)
Item = dict[str, Any]


def _now() -> float:
    return time.monotonic()


class RetryPolicy(Retry):
    """urllib3's `Retry` with a bound on total time: exhausted once `deadline_seconds` have passed since
    the first failure; backoff and `Retry-After` waits never run past it."""

    def __init__(self, *args: Any, deadline_seconds: float = 300.0, started: float | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadline_seconds = deadline_seconds
        self.started = started

    def new(self, **kw: Any) -> Self:
        kw.setdefault("deadline_seconds", self.deadline_seconds)
        kw.setdefault("started", _now() if self.started is None else self.started)
        return super().new(**kw)

    def remaining(self) -> float:
        return math.inf if self.started is None else self.deadline_seconds - (_now() - self.started)

    def is_exhausted(self) -> bool:
        return super().is_exhausted() or self.remaining() <= 0

    def get_backoff_time(self) -> float:
        return max(0.0, min(super().get_backoff_time(), self.remaining()))

    def parse_retry_after(self, retry_after: str) -> float:
        """Seconds to wait; 0 (use the backoff) for a value that is neither a number nor a date."""
        seconds = parse_retry_after(retry_after) or 0.0
        return max(0.0, min(seconds, float(self.retry_after_max), self.remaining()))


def retry_policy(settings: Settings, **counts: Any) -> RetryPolicy:
    """The configured tries, backoff (with jitter) and deadline; `counts` narrows what is retried."""
    return RetryPolicy(total=settings.max_retries, backoff_factor=settings.backoff_factor,
                       backoff_max=settings.backoff_max, backoff_jitter=settings.backoff_factor,
                       raise_on_status=False, deadline_seconds=settings.retry_deadline_seconds, **counts)


def read_policy(settings: Settings) -> RetryPolicy:
    """Idempotent reads: connection failures, timeouts, 429 and 5xx are retried, POST included."""
    n = settings.max_retries
    return retry_policy(settings, connect=n, read=n, status=n, other=0, status_forcelist=RETRY_STATUSES,
                        allowed_methods=frozenset({"GET", "POST"}))


def write_policy(settings: Settings) -> RetryPolicy:
    """Calls that change jobs: only a connection that could not be opened (nothing sent) is retried."""
    return retry_policy(settings, connect=settings.max_retries, read=False, status=0, other=0,
                        allowed_methods=frozenset({"GET"}))


def build_session(settings: Settings) -> requests.Session:
    """A session whose adapters carry the retry policies: reads by path prefix, everything else as a write."""
    session = requests.Session()
    session.headers["User-Agent"] = f"{USER_AGENT} {requests.utils.default_user_agent()}"
    reads = HTTPAdapter(max_retries=read_policy(settings))
    if settings.endpoint:
        session.mount(f"{settings.endpoint}/", HTTPAdapter(max_retries=write_policy(settings)))
        if settings.project_id:
            for operation in READ_OPERATIONS:
                session.mount(settings.endpoint + jobs_path(settings.project_id, operation), reads)
    if settings.iam_endpoint:
        for path in IAM_PATHS:
            session.mount(settings.iam_endpoint + path, reads)
    return session


def jobs_path(project_id: str, operation: str) -> str:
    return f"/v3/{project_id}/jobs/{operation}"


# --- what a lost answer means, per call that changes jobs -------------------------------------------

_UNDER_WAY = frozenset({StatusClass.STARTING, StatusClass.SCHEDULED, StatusClass.RUNNING,
                        StatusClass.PAUSED, StatusClass.TRANSITIONAL, StatusClass.UNKNOWN})


def _is_under_way(status: str | None) -> bool:
    return status is not None and classify(status) in _UNDER_WAY


@dataclass(frozen=True)
class _WriteOp:
    name: str
    method: str
    done: Callable[[str | None], bool]
    """The job no longer needs this request: an earlier copy of it may have reached DRS."""
    succeeded: Callable[[str | None], bool]
    """For a job that is done: its status shows the request took effect."""


_START = _WriteOp("batch-starting", "POST", has_left_pre_start, _is_under_way)
_RETRY = _WriteOp("batch-retry-task", "POST", lambda _status: True, _is_under_way)
"""A paused job shows no change until a resume takes effect, so a lost resume or retry answer is
never followed by a second request: the caller watches the status and a rerun asks again."""
_TERMINATE = _WriteOp("batch-jobs", "DELETE", lambda s: classify(s) is StatusClass.GONE,
                      lambda s: s is not None and not s.endswith("_FAILED"))


class DrsClient:
    def __init__(self, settings: Settings, session: requests.Session | None = None) -> None:
        if not settings.endpoint:
            raise ConfigurationError(f"no DRS endpoint: set {where('region')} or {where('endpoint')}")
        self.settings = settings
        self._owns_session = session is None
        self._session = build_session(settings) if session is None else session
        self._auth = build_auth(settings, lambda method, url, body: self._transmit(method, url, body, None))
        self.sleep: Callable[[float], None] = time.sleep
        """How the client waits between tries; tests replace it."""

    def __repr__(self) -> str:
        return f"DrsClient(endpoint={self.settings.endpoint!r}, project_id={self.settings.project_id!r})"

    def __getstate__(self) -> NoReturn:
        raise TypeError("DrsClient holds a session and credentials and is never pickled: "
                        "build one per process from Settings")

    def close(self) -> None:
        """Closes the session only if the client built it."""
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- operations ---------------------------------------------------------------------------

    def start_jobs(self, jobs: Sequence[wire.StartInfo]) -> list[wire.StartJobResult]:
        """batch-starting, in chunks; one result per distinct job, in input order; never starts one twice."""
        by_id: dict[str, wire.StartInfo] = {}
        for job in jobs:
            by_id.setdefault(job.job_id, job)

        def body(ids: list[str]) -> Item:
            return wire.BatchStartJobsRequest(jobs=[by_id[i] for i in ids]).to_wire()

        return self._write_all(_START, list(by_id), body, wire.StartJobResult)

    def retry_jobs(self, job_ids: Sequence[str]) -> list[wire.ActionResult]:
        """batch-retry-task: resume paused jobs and retry failed transfers."""
        def body(ids: list[str]) -> Item:
            return wire.BatchRetryTaskRequest(jobs=[wire.RetryInfo(job_id=i) for i in ids]).to_wire()

        return self._write_all(_RETRY, _unique(job_ids), body, wire.ActionResult)

    def terminate_jobs(self, job_ids: Sequence[str]) -> list[wire.ActionResult]:
        """DELETE batch-jobs with delete_type `terminate`."""
        def body(ids: list[str]) -> Item:
            jobs = [wire.DeleteInfo(delete_type="terminate", job_id=i) for i in ids]
            return wire.BatchDeleteJobsRequest(jobs=jobs).to_wire()

        return self._write_all(_TERMINATE, _unique(job_ids), body, wire.ActionResult)

    def job_statuses(self, job_ids: Sequence[str]) -> dict[str, wire.JobStatusResult]:
        """batch-status; a job DRS does not know gets an item with `error_code` and no status."""
        found = self._query("batch-status", job_ids, wire.JobStatusResult)
        return {j: found.get(j) or wire.JobStatusResult(id=j, **_MISSING) for j in _unique(job_ids)}

    def job_details(self, job_ids: Sequence[str]) -> dict[str, wire.JobDetail]:
        """batch-detail; a job DRS does not know gets an item with `error_code` and no status."""
        found = self._query("batch-detail", job_ids, wire.JobDetail)
        return {j: found.get(j) or wire.JobDetail(id=j, **_MISSING) for j in _unique(job_ids)}

    def job_progress(self, job_ids: Sequence[str]) -> dict[str, wire.JobProgress]:
        """batch-progress (answered with 202), in chunks of at most 100."""
        found: dict[str, wire.JobProgress] = {}
        for chunk in _chunks(_unique(job_ids), wire.MAX_PER_PAGE):
            body = wire.BatchProgressRequest(jobs=chunk).to_wire()
            for item in _parse(wire.JobProgress, self._read("batch-progress", body)):
                if item.job_id in chunk:
                    found.setdefault(item.job_id, item)
        return {j: found.get(j) or wire.JobProgress(job_id=j, error_code=MISSING_CODE, error_msg=MISSING_MSG)
                for j in _unique(job_ids)}

    def project_id_for_region(self, region: str) -> str:
        """The ID of the IAM project named after `region`."""
        if not region:
            raise ConfigurationError(f"no region to look the project ID up for: set {where('region')} "
                                     f"or {where('project_id')}")
        iam = self.settings.iam_endpoint or default_endpoint("iam", region)
        return lookup_project_id(self._send, iam, region, self._secrets())

    # --- calls that change jobs: reconcile, then re-send only what did not happen -----------------

    def _write_all(self, op: _WriteOp, job_ids: list[str], body: Callable[[list[str]], Item],
                   model: type[R]) -> list[R]:
        results: dict[str, R] = {}
        for chunk in _chunks(job_ids, self.settings.max_batch_size):
            results.update(self._write(op, chunk, body, model))
        return [results[j] for j in job_ids]

    def _write(self, op: _WriteOp, chunk: list[str], body: Callable[[list[str]], Item],
               model: type[R]) -> dict[str, R]:
        done: dict[str, R] = {}
        pending, policy = list(chunk), retry_policy(self.settings)
        while True:
            try:
                answered = _answered(model, self._exchange(op.method, op.name, body(pending)), pending)
            except LOST_ANSWER as lost:
                policy = self._wait_before_retry(policy, op.name, lost)
                if isinstance(lost, ThrottledError):
                    continue  # refused before DRS processed it: the same request may be sent again
                done.update(self._already_done(op, pending, model, f"the answer was lost ({lost.brief()})"))
                pending = [j for j in pending if j not in done]
                if not pending:
                    return done
                continue
            if policy.history:
                refused = [j for j, r in answered.items() if r.error_code == "DRS.M00304"]
                why = "a re-sent request was refused (DRS.M00304) after an earlier one took effect"
                answered.update(self._already_done(op, refused, model, why))
            return {**done, **answered}

    def _already_done(self, op: _WriteOp, job_ids: list[str], model: type[R], why: str) -> dict[str, R]:
        """Results for the jobs whose status shows they need this request no more."""
        if not job_ids:
            return {}
        statuses = self.job_statuses(job_ids)
        return {j: _synthesized(model, op, statuses[j], why) for j in job_ids if op.done(statuses[j].status)}

    # --- reads: chunks of 100, every page walked ------------------------------------------------

    def _query(self, operation: str, job_ids: Sequence[str], model: type[Q]) -> dict[str, Q]:
        found: dict[str, Q] = {}
        for chunk in _chunks(_unique(job_ids), wire.MAX_PER_PAGE):
            found.update(self._pages(operation, chunk, model))
        return found

    def _pages(self, operation: str, chunk: list[str], model: type[Q]) -> dict[str, Q]:
        """Page after page until every job is seen or a page brings none new."""
        found: dict[str, Q] = {}
        wanted = set(chunk)
        for page in range(1, len(chunk) + 1):
            fresh = {i.id: i for i in _parse(model, self._page(operation, chunk, page))
                     if i.id in wanted and i.id not in found}
            found.update(fresh)
            if not fresh or len(found) == len(wanted):
                break
        return found

    def _page(self, operation: str, chunk: list[str], page: int) -> list[Item]:
        page_req = wire.PageReq(cur_page=page, per_page=wire.MAX_PER_PAGE)
        try:
            return self._read(operation, wire.BatchJobsQuery(jobs=chunk, page_req=page_req).to_wire())
        except RequestError as exc:
            if page > 1 and exc.error_code in PAGE_ERROR_CODES:
                return []
            raise

    def _read(self, operation: str, body: Item) -> list[Item]:
        """An idempotent read; here only throttling the adapter cannot see (a 400 body's code) is retried."""
        policy = retry_policy(self.settings)
        while True:
            try:
                return self._exchange("POST", operation, body)
            except ThrottledError as exc:
                if exc.status_code in RETRY_STATUSES:
                    raise
                policy = self._wait_before_retry(policy, operation, exc)

    # --- one exchange -------------------------------------------------------------------------

    def _exchange(self, method: str, operation: str, body: Item) -> list[Item]:
        """The `results` items of a success, or of a 400 batch body; any other error answer raises."""
        response = self._send(method, self._jobs_url(operation), json.dumps(body).encode("utf-8"))
        if response.ok:
            items = _results(response)
            if items is None:
                raise ServerError(f"{operation}: DRS answered HTTP {response.status_code} with a body "
                                  "pulumi-drs cannot read: retry later", status_code=response.status_code)
            return items
        if response.status_code == 400:
            items = _batch_items(response)
            if items is not None:
                return items
        raise error_from_response(response.status_code, response.content, operation=operation,
                                  headers=response.headers, secrets=self._secrets())

    def _send(self, method: str, url: str, body: bytes | None) -> requests.Response:
        """Authenticated; a 401 with a cached IAM token fetches a new token and tries once more."""
        response = self._transmit(method, url, body, self._auth)
        if response.status_code == 401 and self._auth.invalidate():
            response = self._transmit(method, url, body, self._auth)
        return response

    def _transmit(self, method: str, url: str, body: bytes | None,
                  auth: AuthBase | None) -> requests.Response:
        path = urlsplit(url).path
        headers = {"Content-Type": "application/json", "X-Language": self.settings.language}
        started = time.monotonic()
        try:
            response = self._session.request(method, url, data=body, headers=headers, auth=auth,
                                             timeout=self.settings.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            error = self._transport_error(exc, f"{method} {path}")
            log.warning("%s %s failed after %.0f ms: %s", method, path, _ms(started), error.brief())
            raise error from exc
        log.debug("%s %s -> %s in %.0f ms", method, path, response.status_code, _ms(started))
        return response

    def _transport_error(self, exc: requests.RequestException, request: str) -> TransportError:
        """The one translation of requests/urllib3 exceptions."""
        cause = _root_cause(exc)
        detail = redact(_clip(f"{type(cause).__name__}: {cause}"), self._secrets())
        if isinstance(exc, requests.ReadTimeout) or isinstance(cause, u3.ReadTimeoutError):
            return ReadTimeoutError(f"{request}: DRS did not answer within {self.settings.read_timeout:g} s: "
                                    f"retry later, or raise {where('read_timeout')}")
        if isinstance(exc, _NOT_SENT) or isinstance(cause, u3.ConnectTimeoutError):
            return ConnectError(f"{request}: could not connect ({detail}): check {where('endpoint')}, "
                                f"{where('region')}, the network and any proxy, then retry")
        return ConnectionDroppedError(f"{request}: the connection closed before DRS answered ({detail}): "
                                      "retry later")

    # --- helpers ---------------------------------------------------------------------------------

    def _jobs_url(self, operation: str) -> str:
        if not self.settings.project_id:
            raise ConfigurationError(f"no project ID: set {where('project_id')}, or look it up with "
                                     "project_id_for_region")
        return f"{self.settings.endpoint}{jobs_path(self.settings.project_id, operation)}"

    def _wait_before_retry(self, policy: RetryPolicy, operation: str, error: DrsError) -> RetryPolicy:
        """The next policy after sleeping; raises `error` when tries or time are used up."""
        try:
            following: RetryPolicy | None = policy.increment(method="POST", url=operation)
        except u3.MaxRetryError:
            following = None
        if following is None:
            raise error
        backoff = max(following.get_backoff_time(), self.settings.backoff_factor)
        delay = max(0.0, min(backoff if error.retry_after is None else error.retry_after, following.remaining()))
        log.warning("%s: %s; try %d in %.2f s", operation, error.brief(), len(following.history) + 1, delay)
        self.sleep(delay)
        return following

    def _secrets(self) -> list[str]:
        return self.settings.secrets() + list(self._auth.secrets())


# --- pure helpers ---------------------------------------------------------------------------------


def _unique(job_ids: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(job_ids))


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _results(response: requests.Response) -> list[Item] | None:
    data = _json(response)
    results = data.get("results", []) if isinstance(data, dict) else None
    return [r for r in results if isinstance(r, dict)] if isinstance(results, list) else None


def _batch_items(response: requests.Response) -> list[Item] | None:
    """The items of a batch-shaped error body (`{"count","results":[...]}`); None for other bodies."""
    data = _json(response)
    if not isinstance(data, dict) or data.get("error_code") or not isinstance(data.get("results"), list):
        return None
    return [r for r in data["results"] if isinstance(r, dict)]


def _parse(model: type[M], items: list[Item]) -> Iterator[M]:
    """Items that fit the model; `error_msg` is copied to `error_message` where the model says so."""
    for raw in items:
        if "error_message" in model.model_fields and "error_message" not in raw and "error_msg" in raw:
            raw = {**raw, "error_message": raw["error_msg"]}
        try:
            yield model.model_validate(raw)
        except ValueError:
            log.warning("skipped an item DRS sent that does not fit %s", model.__name__)


def _answered(model: type[R], items: list[Item], pending: list[str]) -> dict[str, R]:
    wanted = set(pending)
    out: dict[str, R] = {}
    for item in _parse(model, items):
        if item.id in wanted:
            out.setdefault(item.id, item)
    for job_id in pending:
        out.setdefault(job_id, model(id=job_id, status="failed",
                                     error_msg=f"{MISSING_MSG}: check the job's status before trying again"))
    return out


def _synthesized(model: type[R], op: _WriteOp, item: wire.JobStatusResult, why: str) -> R:
    ok = op.succeeded(item.status)
    msg = f"{op.name}: {why}; DRS now shows the job in status {item.status or 'unknown'}"
    if not ok and item.error_message:
        msg += f" ({item.error_message})"
    return model(id=item.id, status="success" if ok else "failed", error_code=None if ok else item.error_code,
                 error_msg=msg)


def _root_cause(exc: BaseException) -> BaseException:
    """The urllib3 error under a requests exception (inside a MaxRetryError when retries ran out)."""
    cause = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc
    if isinstance(cause, u3.MaxRetryError) and cause.reason is not None:
        return cause.reason
    return cause


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _ms(started: float) -> float:
    return (time.monotonic() - started) * 1000


"""The wire under every DRS API version: sessions, retry policy, authentication and the one translation
of transport failures and HTTP error answers into `errors`.

Two sessions: reads (idempotent, retried by urllib3's `Retry` on their adapter: connection failures,
timeouts, 429 and 5xx) and writes (calls that change jobs, retried there only when no connection
could be opened, since a lost answer may hide work done). What a lost write answer means is decided by
the version's client, which asks DRS before it re-sends. `_transmit` is the one place where
requests/urllib3 exceptions become `errors.TransportError`s; `_raise_for_answer` the one place an
HTTP error answer becomes an `errors.ApiError`. Knows nothing of Pulumi or of job statuses; never pickled.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

import requests
import urllib3.exceptions as u3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from pulumi_drs import __version__
from pulumi_drs.auth import build_auth
from pulumi_drs.errors import (
    ConnectError,
    ConnectionDroppedError,
    DrsError,
    ReadTimeoutError,
    ServerError,
    Service,
    ThrottledError,
    TransportError,
    error_from_response,
    parse_retry_after,
    redact,
)
from pulumi_drs.settings import Settings, where

if TYPE_CHECKING:
    from typing_extensions import Self

log = logging.getLogger("pulumi_drs.transport")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = f"pulumi-drs/{__version__}"
_NOT_SENT = (requests.ConnectTimeout, requests.exceptions.SSLError, requests.exceptions.ProxyError,
             requests.exceptions.InvalidURL)
LOST_ANSWER = (ReadTimeoutError, ConnectionDroppedError, ServerError, ThrottledError)
"""Errors after which a request that changes jobs may or may not have reached DRS."""


def _now() -> float:
    return time.monotonic()


class RetryPolicy(Retry):
    """urllib3's `Retry` with a bound on total time: exhausted once `deadline_seconds` have passed since
    the first failure; backoff and `Retry-After` waits never run past it."""

    def __init__(self, *, deadline_seconds: float, started: float | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
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


def build_session(policy: RetryPolicy) -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = f"{USER_AGENT} {requests.utils.default_user_agent()}"
    adapter = HTTPAdapter(max_retries=policy)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


Item = dict[str, Any]


class Transport:
    """Sends JSON to DRS and IAM, authenticated, and returns the parsed answer of a success.

    `session`, when given (tests: the emulator in process), serves both reads and writes as it is.
    """

    def __init__(self, settings: Settings, session: requests.Session | None = None) -> None:
        self.settings = settings
        self._owned = session is None
        self._reads = session or build_session(read_policy(settings))
        self._writes = session or build_session(write_policy(settings))
        self._auth = build_auth(settings, lambda method, url, body: self._transmit(self._reads, method, url, body,
                                                                                   None, "IAM"))
        self.sleep: Callable[[float], None] = time.sleep
        """How the transport waits between tries; tests replace it."""

    def __repr__(self) -> str:
        return f"Transport(endpoint={self.settings.endpoint!r})"

    def __getstate__(self) -> NoReturn:
        raise TypeError("a Transport holds sessions and credentials and is never pickled: "
                        "build one per process from Settings")

    def close(self) -> None:
        """Closes the sessions only if the transport built them."""
        if self._owned:
            self._reads.close()
            self._writes.close()

    # --- what version clients call ------------------------------------------------------------

    def read(self, method: str, url: str, body: object, operation: str, batch_key: str = "results") -> Any:
        """An idempotent call. Retried here, beside what urllib3 retries on the adapter: throttling only
        the body shows (a 400 body's code), and an answer lost after its headers (urllib3 retries only
        up to the headers; requests reads the body after it returned)."""
        policy = self.new_policy()
        while True:
            try:
                return self.exchange(self._reads, method, url, body, operation, batch_key)
            except ThrottledError as exc:
                if exc.status_code in RETRY_STATUSES:
                    raise
                policy = self.wait_before_retry(policy, operation, exc)
            except (ReadTimeoutError, ConnectionDroppedError) as exc:
                if exc.retries_exhausted:
                    raise
                policy = self.wait_before_retry(policy, operation, exc)

    def write(self, method: str, url: str, body: object, operation: str, batch_key: str = "results") -> Any:
        """A call that changes jobs, sent once; the caller decides what a lost answer means."""
        return self.exchange(self._writes, method, url, body, operation, batch_key)

    def iam(self, method: str, url: str, body: bytes | None) -> requests.Response:
        """An IAM call made with the configured credentials (the project lookup), retried as a read. The
        token request itself goes out unauthenticated, through `_transmit` (see `__init__`)."""
        return self._send(self._reads, method, url, body, "IAM")

    def new_policy(self) -> RetryPolicy:
        return retry_policy(self.settings)

    def wait_before_retry(self, policy: RetryPolicy, operation: str, error: DrsError) -> RetryPolicy:
        """The next policy after sleeping; raises `error` when tries or time are used up."""
        try:
            following: RetryPolicy | None = policy.increment()  # no error or response: counts one try
        except u3.MaxRetryError:
            following = None
        if following is None:
            raise error
        backoff = max(following.get_backoff_time(), self.settings.backoff_factor)
        delay = max(0.0, min(backoff if error.retry_after is None else error.retry_after, following.remaining()))
        log.warning("%s: %s; try %d in %.2f s", operation, error.brief(), len(following.history) + 1, delay)
        self.sleep(delay)
        return following

    def secrets(self) -> list[str]:
        return self.settings.secrets() + list(self._auth.secrets())

    # --- one exchange -------------------------------------------------------------------------

    def exchange(self, session: requests.Session, method: str, url: str, body: object, operation: str,
                 batch_key: str) -> Any:
        """The parsed JSON of a success, or of a 400 whose body is a batch answer (per-item errors)."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        response = self._send(session, method, url, data)
        parsed = _json(response)
        if response.ok:
            if not isinstance(parsed, dict):
                raise ServerError(f"{operation}: DRS answered HTTP {response.status_code} with a body "
                                  "pulumi-drs cannot read: retry later", status_code=response.status_code)
            return parsed
        if response.status_code == 400 and _is_batch_answer(parsed, batch_key):
            return parsed
        raise error_from_response(response.status_code, response.content, operation=operation,
                                  headers=response.headers, secrets=self.secrets())

    def _send(self, session: requests.Session, method: str, url: str, body: bytes | None,
              service: Service = "DRS") -> requests.Response:
        """Authenticated; a 401 with a cached IAM token fetches a new token and tries once more."""
        response = self._transmit(session, method, url, body, self._auth, service)
        if response.status_code == 401 and self._auth.invalidate():
            response = self._transmit(session, method, url, body, self._auth, service)
        return response

    def _transmit(self, session: requests.Session, method: str, url: str, body: bytes | None,
                  auth: requests.auth.AuthBase | None, service: Service) -> requests.Response:
        """One request to `service` (DRS, or IAM at drs:iamEndpoint), its failure said of that service."""
        path = urlsplit(url).path
        # X-Language: API reference starting_tasks_in_batches.rst, Table 2 (optional; "en-us" or "zh-cn").
        headers = {"Content-Type": "application/json", "X-Language": self.settings.language}
        started = time.monotonic()
        try:
            response = session.request(method, url, data=body, headers=headers, auth=auth,
                                       timeout=self.settings.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            error = self._transport_error(exc, f"{method} {path}", service)
            log.warning("%s %s failed after %.0f ms: %s", method, path, _ms(started), error.brief())
            raise error from exc
        log.debug("%s %s -> %s in %.0f ms", method, path, response.status_code, _ms(started))
        return response

    def _transport_error(self, exc: requests.RequestException, request: str, service: Service) -> TransportError:
        """The one translation of requests/urllib3 exceptions."""
        endpoint = where("iam_endpoint" if service == "IAM" else "endpoint")
        cause = _root_cause(exc)
        detail = redact(_clip(f"{type(cause).__name__}: {cause}"), self.secrets())
        error: TransportError
        if isinstance(exc, requests.ReadTimeout) or isinstance(cause, u3.ReadTimeoutError):
            error = ReadTimeoutError(f"{request}: {service} did not answer within {self.settings.read_timeout:g} s: "
                                     f"retry later, or raise {where('read_timeout')}")
        elif isinstance(exc, _NOT_SENT) or isinstance(cause, u3.ConnectTimeoutError):
            error = ConnectError(f"{request}: could not connect ({detail}): check {endpoint}, "
                                 f"{where('region')}, the network and any proxy, then retry")
        else:
            error = ConnectionDroppedError(f"{request}: the connection closed before {service} answered "
                                           f"({detail}): retry later")
        error.retries_exhausted = _exhausted(exc)
        return error


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _is_batch_answer(data: Any, key: str) -> bool:
    """A batch-shaped error body (`{"count", "results": [...]}`): DRS refused every item, each says why."""
    return isinstance(data, dict) and not data.get("error_code") and isinstance(data.get(key), list)


def _exhausted(exc: BaseException) -> bool:
    """urllib3 already retried this request as often as the policy allows (it raised MaxRetryError)."""
    return bool(exc.args) and isinstance(exc.args[0], u3.MaxRetryError)


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

"""The wire under every DRS API version (`pulumi_drs.api.transport`): retry policies, the one translation
of transport failures and of HTTP error answers, headers and timeouts, 401 handling, secrecy, closing.

DRS is the emulator in process, except where only a real socket shows the behaviour: urllib3's `Retry`
runs only on a real `HTTPAdapter`, so the adapter's retries, a read timeout on a real connection and
closing a connection pool are shown over loopback HTTP (fixture `loopback`); and the translation of every
requests/urllib3 exception is fed by an adapter that raises it. A 401 for an IAM token (a new token, one
more try) is in test_iam.py; what a lost answer means for a call that changes jobs, in test_v3_client.py.
"""

from __future__ import annotations

import json
import logging
import math
import pickle
import threading
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import requests
import urllib3.exceptions as u3
import urllib3.util.retry
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3.response import HTTPResponse

from pulumi_drs import __version__
from pulumi_drs.api import connect
from pulumi_drs.api import transport as transport_module
from pulumi_drs.api.base import Act
from pulumi_drs.api.transport import RetryPolicy, Transport, read_policy, write_policy
from pulumi_drs.api.v3.client import V3Client
from pulumi_drs.emulator import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_PROJECT_ID,
    DEFAULT_SECRET_KEY,
    EmulatorConfig,
    InProcessEmulator,
)
from pulumi_drs.errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    ConnectError,
    ConnectionDroppedError,
    JobNotFoundError,
    JobStatusError,
    PermissionDeniedError,
    ReadTimeoutError,
    RequestError,
    ServerError,
    ThrottledError,
)
from pulumi_drs.semantics import code_fact
from pulumi_drs.settings import Settings

MakeSettings = Callable[..., Settings]
JOB = "12345678-0000-4000-8000-0000000jb101"
STATUS_PATH = f"/v3/{DEFAULT_PROJECT_ID}/jobs/batch-status"
PROJECT = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def emu() -> Iterator[InProcessEmulator]:
    with InProcessEmulator(EmulatorConfig(transition_seconds=3600)) as emulator:
        yield emulator


@pytest.fixture
def on_emulator(make_settings: MakeSettings, emu: InProcessEmulator) -> Callable[..., V3Client]:
    """A client of the in-process emulator (AK/SK), sleeping nowhere; keyword arguments tune Settings."""

    def make(session: requests.Session | None = None, **overrides: Any) -> V3Client:
        settings = make_settings(**{"endpoint": emu.url, "project_id": DEFAULT_PROJECT_ID,
                                    "access_key": DEFAULT_ACCESS_KEY, "secret_key": DEFAULT_SECRET_KEY, **overrides})
        api = connect(settings, session=session or emu.session())
        assert isinstance(api, V3Client)
        api.transport.sleep = lambda _seconds: None
        return api

    return make


@pytest.fixture
def seen(emu: InProcessEmulator, monkeypatch: pytest.MonkeyPatch) -> list[tuple[requests.PreparedRequest, Any]]:
    """Every request the emulator's adapter received, with the timeout it was sent with."""
    received: list[tuple[requests.PreparedRequest, Any]] = []
    send = emu.adapter.send

    def spy(request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        received.append((request, kwargs["timeout"]))
        return send(request, **kwargs)

    monkeypatch.setattr(emu.adapter, "send", spy)
    return received


def operations(emu: InProcessEmulator) -> list[str]:
    return [entry["path"].rsplit("/", 1)[-1] for entry in emu.admin.requests_log()]


def with_sleeps(api: V3Client) -> list[float]:
    """The waits `api` asks for between tries, recorded instead of slept."""
    sleeps: list[float] = []
    api.transport.sleep = sleeps.append
    return sleeps


# --- retry policies -------------------------------------------------------------------------------


def test_retry_policy_deadline_and_fractional_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(transport_module, "_now", lambda: now[0])
    policy = RetryPolicy(total=100, backoff_factor=10, backoff_max=60, deadline_seconds=30)
    assert policy.remaining() == math.inf
    policy = policy.increment("POST", "/x").increment("POST", "/x")
    assert policy.started == 1000.0 and policy.get_backoff_time() == 20.0
    now[0] = 1025.0
    assert policy.get_backoff_time() == 5.0
    assert policy.parse_retry_after("0.5") == 0.5 and policy.parse_retry_after("3600") == 5.0
    assert policy.parse_retry_after("soon") == 0.0
    capped = RetryPolicy(total=1, deadline_seconds=3600, retry_after_max=60).increment("POST", "/x")
    assert (capped.parse_retry_after("59.5"), capped.parse_retry_after("61")) == (59.5, 60.0)
    now[0] = 1031.0
    with pytest.raises(u3.MaxRetryError):
        policy.increment("POST", "/x")


def test_read_policy_retries_posts_on_429_and_5xx_within_the_configured_bounds(make_settings: MakeSettings) -> None:
    policy = read_policy(make_settings(max_retries=4, retry_deadline_seconds=12.5))
    assert [s for s in (400, 401, 404, 429, 500, 501, 502, 503, 504) if policy.is_retry("POST", s)] == [
        429, 500, 502, 503, 504]
    assert (policy.total, policy.connect, policy.read, policy.status) == (4, 4, 4, 4)
    assert not policy.raise_on_status and policy.deadline_seconds == 12.5
    timeout = u3.ReadTimeoutError(None, "/x", "timed out")  # type: ignore[arg-type]
    assert policy.increment("POST", "/x", error=timeout).read == 3


def test_write_policy_never_retries_after_a_read_error_or_an_error_answer(make_settings: MakeSettings) -> None:
    policy = write_policy(make_settings(max_retries=3))
    assert not any(policy.is_retry(method, s) for method in ("POST", "DELETE") for s in (429, 500, 502, 503, 504))
    for error in (u3.ReadTimeoutError(None, "/x", "timed out"),  # type: ignore[arg-type]
                  u3.ProtocolError("Connection aborted.", ConnectionResetError())):
        with pytest.raises(type(error)):
            policy.increment("POST", "/x", error=error)
    refused = u3.NewConnectionError(None, "refused")  # type: ignore[arg-type]
    assert policy.increment("POST", "/x", error=refused).connect == 2  # nothing was sent


def test_each_guard_of_the_write_policy_alone_keeps_a_write_from_being_resent(make_settings: MakeSettings) -> None:
    """Three guards, each tested on its own, so that losing any one fails: a read error is never retried
    whatever the method, a status answer never, and no method that changes jobs is retryable at all."""
    policy = write_policy(make_settings(max_retries=3))
    for method in ("GET", "POST", "DELETE"):
        with pytest.raises(u3.ReadTimeoutError):
            policy.increment(method, "/x", error=u3.ReadTimeoutError(None, "/x", "timed out"))  # type: ignore[arg-type]
    with pytest.raises(u3.MaxRetryError):
        policy.increment("GET", "/x", response=HTTPResponse(status=503))
    assert not any(policy.is_retry(method, 503, has_retry_after=True) for method in ("POST", "DELETE", "PUT"))


@pytest.mark.parametrize("policy_of", [read_policy, write_policy], ids=["read", "write"])
def test_an_error_neither_connect_nor_read_is_not_retried_by_the_adapter(make_settings: MakeSettings,
                                                                        policy_of: Any) -> None:
    """A TLS or proxy failure after the request went out ("other" to urllib3, which does not look at the
    method for those): resent, a start could run twice; the transport's own layer decides instead."""
    policy = policy_of(make_settings(max_retries=3))
    with pytest.raises(u3.MaxRetryError):
        policy.increment("POST", "/x", error=u3.SSLError("tls alert after the request was sent"))


def test_the_read_policy_retries_both_read_methods_and_no_method_that_changes_jobs(
        make_settings: MakeSettings) -> None:
    policy = read_policy(make_settings(max_retries=3))
    timeout = u3.ReadTimeoutError(None, "/x", "timed out")  # type: ignore[arg-type]
    assert [policy.increment(method, "/x", error=timeout).read for method in ("GET", "POST")] == [2, 2]
    assert policy.is_retry("GET", 503) and not policy.is_retry("DELETE", 503)
    with pytest.raises(u3.ReadTimeoutError):
        policy.increment("DELETE", "/x", error=timeout)


def test_backoff_is_jittered_by_the_backoff_factor_and_capped(make_settings: MakeSettings,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(urllib3.util.retry.random, "random", lambda: 1.0)  # the most jitter urllib3 adds
    policy = read_policy(make_settings(max_retries=10, backoff_factor=0.25, backoff_max=1.5))
    backoffs = []
    for _ in range(4):
        policy = policy.increment("GET", "/x", response=HTTPResponse(status=503))
        backoffs.append(policy.get_backoff_time())
    assert backoffs == [0.0, 0.25 * 2 + 0.25, 0.25 * 4 + 0.25, 1.5]


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_built_session_retries_on_both_schemes_and_names_pulumi_drs(make_settings: MakeSettings,
                                                                      scheme: str) -> None:
    policy = write_policy(make_settings())
    session = transport_module.build_session(policy)
    adapter = session.get_adapter(f"{scheme}://drs.ap-southeast-1.myhuaweicloud.com/v3/")
    assert isinstance(adapter, HTTPAdapter) and adapter.max_retries is policy
    assert str(session.headers["User-Agent"]).startswith(f"pulumi-drs/{__version__} python-requests/")


def test_backoff_grows_and_a_fractional_retry_after_is_respected(on_emulator: Callable[..., V3Client],
                                                                  emu: InProcessEmulator) -> None:
    api = on_emulator(backoff_factor=0.25, backoff_max=10.0)
    sleeps = with_sleeps(api)
    [job] = [j["id"] for j in emu.admin.create_jobs(1)]
    emu.admin.add_fault("batch-starting", "status", status=503, times=2)
    emu.admin.add_fault("batch-starting", "status", status=400, error_code="DRS.M01503", retry_after=1.5)
    assert api.act(Act.START, [job])[job].accepted
    assert sleeps[0] == pytest.approx(0.25) and 0.5 <= sleeps[1] <= 0.75 and sleeps[2] == 1.5
    assert len(sleeps) == 3 and emu.admin.get_job(job)["start_count"] == 1


def test_a_throttled_read_shown_only_in_the_body_is_retried_here(on_emulator: Callable[..., V3Client],
                                                                 emu: InProcessEmulator,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="pulumi_drs.transport")
    api = on_emulator()
    sleeps = with_sleeps(api)
    [job] = [j["id"] for j in emu.admin.create_jobs(1)]
    emu.admin.add_fault("batch-status", "status", status=400, error_code="DRS.M01503", times=2)
    assert api.read_statuses([job])[job].status == "CONFIGURATION"
    assert operations(emu) == ["batch-status"] * 3 and len(sleeps) == 2
    assert [m.partition(";")[0] for m in caplog.messages] == ["batch-status: ThrottledError HTTP 400 DRS.M01503"] * 2


@pytest.mark.parametrize(("fault", "error"), [
    ({"mode": "status", "status": 429}, ThrottledError),
    ({"mode": "status", "status": 503}, ServerError),
], ids=["429", "503"])
def test_read_errors_the_adapter_retries_are_not_retried_again_here(
        on_emulator: Callable[..., V3Client], emu: InProcessEmulator, fault: dict[str, Any],
        error: type[Exception]) -> None:
    api = on_emulator(read_timeout=0.05)
    emu.admin.add_fault("batch-status", **fault)
    with pytest.raises(error):
        api.read_statuses([JOB])
    assert operations(emu) == ["batch-status"]


@pytest.mark.parametrize("fault", [{"mode": "delay", "delay_seconds": 5}, {"mode": "drop_after"}],
                         ids=["timeout", "dropped"])
def test_a_read_answer_lost_that_the_adapter_did_not_retry_is_asked_again_here(
        on_emulator: Callable[..., V3Client], emu: InProcessEmulator, fault: dict[str, Any]) -> None:
    """An answer lost after its headers reaches the transport without urllib3 having retried it (the in-process
    adapter has no urllib3 retry either): a read is idempotent, so the transport asks again."""
    api = on_emulator(read_timeout=0.05)
    with_sleeps(api)
    [job] = [j["id"] for j in emu.admin.create_jobs(1)]
    emu.admin.add_fault("batch-status", **fault)
    assert api.read_statuses([job])[job].status == "CONFIGURATION"
    assert operations(emu) == ["batch-status", "batch-status"]


# --- one translation of transport failures ---------------------------------------------------------------

TRANSPORT_CASES: list[tuple[Exception, type[Exception], str]] = [
    (requests.ConnectTimeout("connect timed out"), ConnectError, "drs:endpoint/HW_DRS_ENDPOINT"),
    (requests.ConnectionError(u3.MaxRetryError(None, "/x", u3.NewConnectionError(None, "refused"))),  # type: ignore[arg-type]
     ConnectError, "drs:region/HW_REGION_NAME"),
    (requests.ConnectionError(u3.MaxRetryError(None, "/x", u3.NameResolutionError("h", None, OSError()))),  # type: ignore[arg-type]
     ConnectError, "could not connect (NameResolutionError"),
    (requests.ConnectionError(u3.MaxRetryError(None, "/x", u3.ConnectTimeoutError())), ConnectError, "proxy"),  # type: ignore[arg-type]
    (requests.exceptions.SSLError("bad certificate"), ConnectError, "bad certificate"),
    (requests.exceptions.ProxyError("proxy refused"), ConnectError, "proxy refused"),
    (requests.exceptions.InvalidURL("no host"), ConnectError, "no host"),
    (requests.ReadTimeout("read timed out"), ReadTimeoutError, "within 60 s"),
    (requests.ConnectionError(u3.MaxRetryError(None, "/x", u3.ReadTimeoutError(None, "/x", "t"))),  # type: ignore[arg-type]
     ReadTimeoutError, "drs:readTimeout/PULUMI_DRS_READ_TIMEOUT"),
    (requests.ConnectionError(u3.ProtocolError("Connection aborted.", ConnectionResetError())),
     ConnectionDroppedError, "the connection closed before DRS answered (ProtocolError"),
    (requests.exceptions.ChunkedEncodingError("incomplete read"), ConnectionDroppedError, "incomplete read"),
    (requests.exceptions.ContentDecodingError("bad gzip"), ConnectionDroppedError, "bad gzip"),
    (requests.RequestException("anything else"), ConnectionDroppedError, "retry later"),
]


class Raising(BaseAdapter):
    """An adapter that raises `error` for every request: feeds the translation every foreign exception."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def send(self, *args: Any, **kwargs: Any) -> requests.Response:
        raise self.error

    def close(self) -> None:
        pass


@pytest.mark.parametrize(("foreign", "ours", "says"), TRANSPORT_CASES,
                         ids=[f"{type(c[0]).__name__}-{c[1].__name__}-{n}" for n, c in enumerate(TRANSPORT_CASES)])
def test_every_transport_failure_becomes_a_transport_error(make_settings: MakeSettings, foreign: Exception,
                                                           ours: type[Exception], says: str) -> None:
    session = requests.Session()
    session.mount("https://", Raising(foreign))
    api = connect(make_settings(project_id=PROJECT), session=session)
    with pytest.raises(ours) as info:
        api.read_statuses([JOB])
    assert type(info.value) is ours and info.value.__cause__ is foreign
    assert str(info.value).startswith(f"POST /v3/{PROJECT}/jobs/batch-status: ") and says in str(info.value)


IAM_CASES: list[tuple[Exception, type[Exception], str]] = [
    (requests.ConnectTimeout("connect timed out"), ConnectError,
     "could not connect (ConnectTimeout: connect timed out): check drs:iamEndpoint/HW_IAM_ENDPOINT, "
     "drs:region/HW_REGION_NAME, the network and any proxy, then retry"),
    (requests.ReadTimeout("read timed out"), ReadTimeoutError,
     "IAM did not answer within 60 s: retry later, or raise drs:readTimeout/PULUMI_DRS_READ_TIMEOUT"),
    (requests.exceptions.ChunkedEncodingError("cut"), ConnectionDroppedError,
     "the connection closed before IAM answered (ChunkedEncodingError: cut): retry later"),
]


@pytest.mark.parametrize(("call", "request_line"), [("token", "POST /v3/auth/tokens"),
                                                    ("project lookup", "GET /v3/projects")])
@pytest.mark.parametrize(("foreign", "ours", "says"), IAM_CASES, ids=[c[1].__name__ for c in IAM_CASES])
def test_a_transport_failure_at_iam_is_said_of_iam_and_its_endpoint(
        make_settings: MakeSettings, call: str, request_line: str, foreign: Exception, ours: type[Exception],
        says: str) -> None:
    credentials = ({"access_key": None, "secret_key": None, "user_name": "u", "password": "p", "domain_name": "d"}
                   if call == "token" else {"project_id": None})
    settings = make_settings(**credentials)
    session = requests.Session()
    session.mount(str(settings.iam_endpoint), Raising(foreign))  # DRS itself is never reached
    with pytest.raises(ours) as info:
        connect(settings, session=session).read_statuses([JOB])
    assert str(info.value) == f"{request_line}: {says}"


@pytest.mark.parametrize("length", [200, 201, 500])
def test_a_long_cause_is_clipped_to_200_characters_in_the_error(make_settings: MakeSettings, length: int) -> None:
    prefix = "ChunkedEncodingError: "
    cause = "y" * (length - len(prefix))
    session = requests.Session()
    session.mount("https://", Raising(requests.exceptions.ChunkedEncodingError(cause)))
    with pytest.raises(ConnectionDroppedError) as info:
        connect(make_settings(project_id=PROJECT), session=session).read_statuses([JOB])
    detail = f"{prefix}{cause}" if length <= 200 else f"{prefix}{cause}"[:200] + "..."
    assert f"({detail}): retry later" in str(info.value)


def test_each_request_is_logged_with_its_time_in_milliseconds(make_settings: MakeSettings, loopback: Any,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    ticks = iter([100.0, 102.0, 200.0, 200.5])  # seconds: when each request was sent, and when it ended
    monkeypatch.setattr(transport_module, "time", SimpleNamespace(monotonic=lambda: next(ticks), sleep=time.sleep))
    base, _ = loopback(lambda request: (200, JSON, json.dumps({"count": 0, "results": []}).encode()))
    caplog.set_level(logging.DEBUG, logger="pulumi_drs.transport")
    transport = Transport(make_settings(endpoint=base))
    transport.read("POST", f"{base}{STATUS_PATH}", {"jobs": [JOB]}, "batch-status")
    assert f"POST {STATUS_PATH} -> 200 in 2000 ms" in caplog.messages
    transport._writes.mount("http://", Raising(requests.exceptions.ChunkedEncodingError("cut")))
    with pytest.raises(ConnectionDroppedError):
        transport.write("POST", f"{base}{STATUS_PATH}", {"jobs": [JOB]}, "batch-status")
    assert f"POST {STATUS_PATH} failed after 500 ms: ConnectionDroppedError" in caplog.messages, caplog.messages


# --- one translation of error answers ------------------------------------------------------------------

ERROR_ANSWERS: list[tuple[int, str, type[ApiError]]] = [
    (400, "DRS.M00007", RequestError),
    (400, "DRS.M00304", JobStatusError),
    (400, "DRS.M05003", JobNotFoundError),
    (401, "APIGW.0301", AuthenticationError),
    (403, "DRS.M00261", PermissionDeniedError),
    (404, "APIGW.0101", RequestError),
    (429, "APIG.0308", ThrottledError),
    (500, "DRS.M00004", ServerError),
    (503, "DRS.M00004", ServerError),
]


@pytest.mark.parametrize(("status", "code", "error"), ERROR_ANSWERS, ids=[f"{s}-{c}" for s, c, _ in ERROR_ANSWERS])
def test_an_error_answer_becomes_its_api_error_with_the_drs_code_and_advice(
        on_emulator: Callable[..., V3Client], emu: InProcessEmulator, status: int, code: str,
        error: type[ApiError]) -> None:
    emu.admin.add_fault("batch-status", "status", status=status, error_code=code, error_msg="Said DRS.")
    with pytest.raises(error) as info:
        on_emulator().read_statuses([JOB])
    fact = code_fact(code)
    assert fact is not None
    advice = fact.advice[:1].upper() + fact.advice[1:]
    assert type(info.value) is error and (info.value.status_code, info.value.error_code) == (status, code)
    assert str(info.value) == f"batch-status: DRS answered HTTP {status} {code}: Said DRS. {advice}."
    assert operations(emu) == ["batch-status"]


@pytest.mark.parametrize(("status", "code", "error"), [(400, "DRS.M00007", RequestError),
                                                       (400, "DRS.M00304", JobStatusError),
                                                       (401, "APIGW.0301", AuthenticationError)])
def test_a_refusal_of_a_whole_start_request_is_raised_not_reconciled(
        on_emulator: Callable[..., V3Client], emu: InProcessEmulator, status: int, code: str,
        error: type[ApiError]) -> None:
    [job] = [j["id"] for j in emu.admin.create_jobs(1)]
    emu.admin.add_fault("batch-starting", "status", status=status, error_code=code)
    with pytest.raises(error, match=f"batch-starting: DRS answered HTTP {status} {code}"):
        on_emulator().act(Act.START, [job])
    assert operations(emu) == ["batch-starting"] and emu.admin.get_job(job)["start_count"] == 0


# --- headers, timeouts, authentication --------------------------------------------------------------------


def test_requests_carry_json_language_and_project_headers_and_both_timeouts(
        on_emulator: Callable[..., V3Client], emu: InProcessEmulator,
        seen: list[tuple[requests.PreparedRequest, Any]]) -> None:
    [job] = [j["id"] for j in emu.admin.create_jobs(1)]
    api = on_emulator(language="zh-cn", connect_timeout=2.0, read_timeout=7.0)
    assert api.read_statuses([job])[job].status == "CONFIGURATION"
    [(request, timeout)] = [(r, t) for r, t in seen if r.path_url == STATUS_PATH]
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Language"] == "zh-cn"
    assert request.headers["X-Project-Id"] == DEFAULT_PROJECT_ID
    assert request.headers["Authorization"].startswith(f"SDK-HMAC-SHA256 Access={DEFAULT_ACCESS_KEY}, ")
    assert request.url == f"{emu.url}{STATUS_PATH}" and timeout == (2.0, 7.0)


def test_a_401_for_an_ak_sk_signature_is_not_sent_again(on_emulator: Callable[..., V3Client],
                                                         emu: InProcessEmulator) -> None:
    with pytest.raises(AuthenticationError) as info:
        on_emulator(secret_key="definitely-wrong-key").read_statuses([JOB])
    text = str(info.value) + repr(info.value)
    assert "HTTP 401 APIGW.0301" in text and "drs:secretKey/HW_SECRET_KEY" in text
    assert "definitely-wrong-key" not in text
    assert [(e["path"], e["status_code"]) for e in emu.admin.requests_log()] == [(STATUS_PATH, 401)]


def test_connect_needs_credentials_and_an_endpoint(make_settings: MakeSettings) -> None:
    with pytest.raises(ConfigurationError, match="drs:accessKey/HW_ACCESS_KEY"):
        connect(make_settings(access_key=None, secret_key=None))
    with pytest.raises(ConfigurationError, match="drs:region/HW_REGION_NAME or drs:endpoint") as info:
        connect(make_settings(endpoint=None))
    assert info.value.setting == "endpoint"


# --- secrets and lifetime ------------------------------------------------------------------------------


def test_nothing_secret_reaches_a_log_line_a_repr_or_an_error(
        on_emulator: Callable[..., V3Client], emu: InProcessEmulator, caplog: pytest.LogCaptureFixture,
        seen: list[tuple[requests.PreparedRequest, Any]]) -> None:
    caplog.set_level(logging.DEBUG)
    api = on_emulator(security_token="STS-token-secret")
    [job] = [j["id"] for j in emu.admin.create_jobs(1)]
    emu.admin.add_fault("batch-starting", "drop_after")
    emu.admin.add_fault("batch-status", "status", status=400, error_code="DRS.M00007",
                        error_msg=f"echoed {DEFAULT_SECRET_KEY} and STS-token-secret")
    with pytest.raises(RequestError) as info:
        api.act(Act.START, [job])
    assert str(info.value).endswith("echoed *** and ***. This is a pulumi-drs bug if it persists: report it "
                                    "with the job IDs.")
    assert "batch-starting" in caplog.text and "ConnectionDroppedError" in caplog.text
    text = caplog.text + str(info.value) + repr(api.transport) + repr(api.settings) + repr(api.transport._auth)
    signatures = [r.headers["Authorization"].rsplit("=", 1)[-1] for r, _ in seen if r.path_url.startswith("/v3/")]
    assert len(signatures) == 2 and all(len(s) == 64 for s in signatures)
    for secret in (DEFAULT_SECRET_KEY, DEFAULT_ACCESS_KEY, "STS-token-secret", *signatures):
        assert secret not in text


def test_a_transport_is_never_pickled(on_emulator: Callable[..., V3Client]) -> None:
    api = on_emulator()
    for holder in (api.transport, api):
        with pytest.raises(TypeError) as info:
            pickle.dumps(holder)
        assert str(info.value) == ("a Transport holds sessions and credentials and is never pickled: "
                                   "build one per process from Settings")


def test_close_closes_the_sessions_the_transport_built(make_settings: MakeSettings, loopback: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[requests.Session] = []
    build = transport_module.build_session

    def recording(policy: RetryPolicy) -> requests.Session:
        built.append(build(policy))
        return built[-1]

    monkeypatch.setattr(transport_module, "build_session", recording)
    base, _ = loopback(lambda request: (200, JSON, json.dumps({"count": 0, "results": []}).encode()))
    transport = Transport(make_settings(endpoint=base))
    assert len(built) == 2
    transport.read("POST", f"{base}{STATUS_PATH}", {"jobs": [JOB]}, "batch-status")
    transport.write("POST", f"{base}/v3/{DEFAULT_PROJECT_ID}/jobs/batch-starting", {"jobs": []}, "batch-starting")
    assert [len(pools(s)) for s in built] == [1, 1]
    transport.close()
    assert [len(pools(s)) for s in built] == [0, 0]


def test_close_leaves_a_given_session_open(make_settings: MakeSettings, loopback: Any) -> None:
    base, received = loopback(lambda request: (200, JSON, json.dumps({"count": 0, "results": []}).encode()))
    given = requests.Session()
    transport = Transport(make_settings(endpoint=base), given)
    transport.read("POST", f"{base}{STATUS_PATH}", {"jobs": [JOB]}, "batch-status")
    transport.close()
    assert len(pools(given)) == 1
    assert given.get(f"{base}/still-open").status_code == 200 and len(received) == 2


def pools(session: requests.Session) -> list[Any]:
    adapter = session.get_adapter("http://127.0.0.1/")
    assert isinstance(adapter, HTTPAdapter)
    return list(adapter.poolmanager.pools.keys())


# --- over a real socket: urllib3 retries reads on the adapter, never a write ------------------------------

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


def over_http(make_settings: MakeSettings, base: str, **overrides: Any) -> V3Client:
    api = connect(make_settings(endpoint=base, iam_endpoint=base, **overrides))
    assert isinstance(api, V3Client)
    api.transport.sleep = lambda _seconds: None
    return api


def test_the_adapter_retries_a_read_on_503_over_http(make_settings: MakeSettings, loopback: Any) -> None:
    state = {JOB: "CONFIGURATION", "starts": ""}
    base, received = loopback(scripted_drs({"batch-status": [503, 502]}, state, {}))
    assert over_http(make_settings, base).read_statuses([JOB])[JOB].status == "CONFIGURATION"
    assert [r["path"].rsplit("/", 1)[-1] for r in received] == ["batch-status"] * 3
    agent = received[0]["headers"]["user-agent"]
    assert agent.startswith(f"pulumi-drs/{__version__} python-requests/"), agent


def test_the_adapter_never_resends_a_start_over_http(make_settings: MakeSettings, loopback: Any) -> None:
    state = {JOB: "CONFIGURATION", "starts": ""}
    base, received = loopback(scripted_drs({"batch-starting": [503]}, state, {}))
    outcome = over_http(make_settings, base).act(Act.START, [JOB])[JOB]
    assert outcome.accepted and outcome.note is None
    assert [r["path"].rsplit("/", 1)[-1] for r in received] == ["batch-starting", "batch-status", "batch-starting"]
    assert state["starts"] == "x"


def test_a_read_timeout_on_a_start_is_reconciled_from_batch_status_not_resent_over_http(
        make_settings: MakeSettings, loopback: Any) -> None:
    state = {JOB: "CONFIGURATION", "starts": ""}
    base, received = loopback(scripted_drs({}, state, {"batch-starting": 0.5}))
    outcome = over_http(make_settings, base, read_timeout=0.2).act(Act.START, [JOB])[JOB]
    assert outcome.accepted and "the answer was lost (ReadTimeoutError)" in (outcome.note or "")
    assert [r["path"].rsplit("/", 1)[-1] for r in received] == ["batch-starting", "batch-status"]
    assert state["starts"] == "x"


def test_iam_calls_are_retried_as_reads_over_http(make_settings: MakeSettings, loopback: Any) -> None:
    answers = [(502, JSON, b"{}"), (200, JSON, json.dumps({"projects": [{"id": PROJECT, "name": "r-1"}]}).encode())]
    base, received = loopback(lambda request: answers.pop(0))
    api = over_http(make_settings, base, project_id=None, region="r-1")
    assert api.transport.settings.project_id == PROJECT
    assert [(r["method"], r["path"], r["query"]) for r in received] == [("GET", "/v3/projects", "name=r-1")] * 2


@pytest.mark.parametrize("body", [b"<html>busy</html>", b"[]"])
def test_a_success_answer_that_cannot_be_read_is_a_server_error(make_settings: MakeSettings, loopback: Any,
                                                                 body: bytes) -> None:
    base, received = loopback(lambda request: (200, {"Content-Type": "text/html"}, body))
    with pytest.raises(ServerError, match="batch-status: DRS answered HTTP 200 with a body pulumi-drs cannot read"):
        over_http(make_settings, base).read_statuses([JOB])
    assert len(received) == 1


@pytest.mark.parametrize(("body", "batch"), [
    ({"count": 2, "results": [{"id": "a"}, {"id": "b"}]}, True),  # DRS refused every item, each says why
    ({"count": 0, "results": []}, True),
    ({"error_code": "DRS.M00301", "error_msg": "duplicate", "results": []}, False),  # a refusal of the request
    ({"jobs": []}, False),  # a list, under another key than the operation's
    ({"results": None}, False),
    (None, False),  # a body that is not JSON
    ([{"id": "a"}], False),
])
def test_only_a_400_shaped_as_the_batch_is_read_as_per_item_answers(body: Any, batch: bool) -> None:
    assert transport_module._is_batch_answer(body, "results") is batch


# --- what one exchange sends and what it makes of an answer, exactly ---------------------------------------


class Counting(Raising):
    """`Raising`, counting the requests it was given."""

    sent = 0

    def send(self, *args: Any, **kwargs: Any) -> requests.Response:
        self.sent += 1
        return super().send(*args, **kwargs)


def test_a_redirect_is_not_followed_and_is_an_error_naming_its_status(make_settings: MakeSettings,
                                                                      loopback: Any) -> None:
    """A 3xx would send the request (and its signature or token) somewhere DRS did not name."""
    base, received = loopback(lambda request: (302, {"Location": "/elsewhere"}, b""))
    transport = Transport(make_settings(endpoint=base))
    for send in (transport.read, transport.write):
        with pytest.raises(ServerError) as info:
            send("POST", f"{base}{STATUS_PATH}", {"jobs": [JOB]}, "batch-status")
        assert info.value.status_code == 302
        assert str(info.value).startswith("batch-status: DRS answered HTTP 302 with a body pulumi-drs cannot read")
    assert [r["path"] for r in received] == [STATUS_PATH, STATUS_PATH]


def test_a_call_without_a_body_sends_none_and_a_call_with_one_sends_its_json(make_settings: MakeSettings,
                                                                           loopback: Any) -> None:
    base, received = loopback(lambda request: (200, JSON, b'{"count": 0, "results": []}'))
    transport = Transport(make_settings(endpoint=base))
    transport.read("GET", f"{base}/v3/{PROJECT}/jobs", None, "list")
    transport.write("POST", f"{base}{STATUS_PATH}", {"jobs": ["é"]}, "batch-status")
    assert [(r["method"], r["body"], "content-length" in r["headers"]) for r in received] == [
        ("GET", b"", False), ("POST", b'{"jobs": ["\\u00e9"]}', True)]


@pytest.mark.parametrize("send", ["read", "write"])
def test_a_400_shaped_as_the_batch_is_returned_to_the_client_under_its_own_key(
        make_settings: MakeSettings, loopback: Any, send: str) -> None:
    per_item = {"count": 1, "results": [{"id": JOB, "status": "failed", "error_code": "DRS.M00304"}]}
    base, _ = loopback(lambda request: (400, JSON, json.dumps(per_item).encode()))
    transport = Transport(make_settings(endpoint=base))
    call = getattr(transport, send)
    assert call("POST", f"{base}{STATUS_PATH}", {"jobs": [JOB]}, "batch-status") == per_item  # default key
    with pytest.raises(JobStatusError):  # the same body under another operation's key: the error it names
        call("POST", f"{base}{STATUS_PATH}", {"jobs": [JOB]}, "batch-status", batch_key="jobs")


def test_a_batch_shaped_body_of_another_error_status_is_still_that_error(make_settings: MakeSettings,
                                                                          loopback: Any) -> None:
    base, _ = loopback(lambda request: (403, JSON, b'{"count": 0, "results": []}'))
    with pytest.raises(PermissionDeniedError):
        Transport(make_settings(endpoint=base)).write("POST", f"{base}{STATUS_PATH}", {}, "batch-status")


def test_a_read_urllib3_already_retried_to_exhaustion_is_not_tried_again_here(make_settings: MakeSettings) -> None:
    exhausted = requests.ConnectionError(u3.MaxRetryError(None, "/x", u3.ReadTimeoutError(None, "/x", "t")))  # type: ignore[arg-type]
    adapter = Counting(exhausted)
    session = requests.Session()
    session.mount("https://", adapter)
    transport = Transport(make_settings(project_id=PROJECT, max_retries=3), session=session)
    transport.sleep = lambda _seconds: None
    with pytest.raises(ReadTimeoutError) as info:
        transport.read("POST", f"https://drs.example.com{STATUS_PATH}", {}, "batch-status")
    assert info.value.retries_exhausted and adapter.sent == 1
    adapter.error = requests.ReadTimeout("read timed out")  # not retried by urllib3: tried here, 1 + 3 times
    with pytest.raises(ReadTimeoutError) as again:
        transport.read("POST", f"https://drs.example.com{STATUS_PATH}", {}, "batch-status")
    assert not again.value.retries_exhausted and adapter.sent == 1 + 4


def test_each_try_again_is_logged_with_the_operation_the_error_and_the_wait(
        on_emulator: Callable[..., V3Client], emu: InProcessEmulator, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(urllib3.util.retry.random, "random", lambda: 0.0)  # no jitter: the waits are exact
    api = on_emulator(backoff_factor=0.25, backoff_max=5.0)
    sleeps = with_sleeps(api)
    [job] = [j["id"] for j in emu.admin.create_jobs(1)]
    emu.admin.add_fault("batch-status", "drop_after", times=2)
    caplog.set_level(logging.WARNING, logger="pulumi_drs.transport")
    api.read_statuses([job])
    tries = [m for m in caplog.messages if m.startswith("batch-status: ")]
    assert tries == ["batch-status: ConnectionDroppedError; try 2 in 0.25 s",
                     "batch-status: ConnectionDroppedError; try 3 in 0.50 s"], caplog.messages
    assert sleeps == [0.25, 0.5]


def test_the_retry_deadline_ends_retries_the_moment_it_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr(transport_module, "_now", lambda: clock[0])
    policy = RetryPolicy(total=10, deadline_seconds=10, started=100.0)
    for now, exhausted in [(109.5, False), (110.0, True), (110.5, True)]:
        clock[0] = now
        assert policy.is_exhausted() is exhausted, now


def test_a_built_transport_gives_reads_and_writes_their_own_policies(make_settings: MakeSettings) -> None:
    transport = Transport(make_settings(project_id=PROJECT, max_retries=4))
    reads = transport._reads.get_adapter("https://drs.example.com").max_retries
    writes = transport._writes.get_adapter("https://drs.example.com").max_retries
    assert isinstance(reads, RetryPolicy) and isinstance(writes, RetryPolicy)
    assert (reads.total, reads.read, reads.status, reads.connect) == (4, 4, 4, 4)
    assert (writes.total, writes.read, writes.status, writes.connect) == (4, False, 0, 4)
    assert writes.allowed_methods == frozenset({"GET"}) and reads.deadline_seconds == writes.deadline_seconds == 30

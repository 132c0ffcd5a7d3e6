"""IAM as pulumi-drs uses it (`pulumi_drs.iam`, `pulumi_drs.auth`), against the emulator's IAM in process:
password tokens cached process-wide and refreshed before they expire, a rejected token replaced once,
raw tokens, the project ID looked up from the region once per process, and IAM's time format.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter

from pulumi_drs import api as api_module
from pulumi_drs import iam
from pulumi_drs.api import connect
from pulumi_drs.auth import IamPasswordAuth
from pulumi_drs.emulator import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_DOMAIN_NAME,
    DEFAULT_PASSWORD,
    DEFAULT_PROJECT_ID,
    DEFAULT_REGION,
    DEFAULT_SECRET_KEY,
    DEFAULT_USER_NAME,
    EmulatorConfig,
    InProcessEmulator,
)
from pulumi_drs.emulator.exceptions import IamUnauthorized
from pulumi_drs.errors import AuthenticationError, ConfigurationError, ConnectError, RequestError
from pulumi_drs.settings import Settings

TOKENS = "/v3/auth/tokens"
PROJECTS = "/v3/projects"
STATUS = f"/v3/{DEFAULT_PROJECT_ID}/jobs/batch-status"
RAW_TOKEN = "MIIraw-token-given-0123"
USER = {"access_key": None, "secret_key": None, "user_name": DEFAULT_USER_NAME, "password": DEFAULT_PASSWORD,
        "domain_name": DEFAULT_DOMAIN_NAME, "region": DEFAULT_REGION}


class Clock:
    """Epoch seconds from now on, moved only by the test."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _fresh_project_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Project IDs are looked up once per process; each test starts without any."""
    monkeypatch.setattr(api_module, "_project_ids", {})


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def emu(clock: Clock) -> Iterator[InProcessEmulator]:
    with InProcessEmulator(EmulatorConfig(transition_seconds=3600, auth_token=RAW_TOKEN), clock=clock) as emulator:
        yield emulator


@pytest.fixture
def sent() -> list[requests.PreparedRequest]:
    return []


@pytest.fixture
def client(make_settings: Callable[..., Settings], emu: InProcessEmulator,
           sent: list[requests.PreparedRequest]) -> Callable[..., Any]:
    """A client of the emulator (IAM user credentials unless overridden); `sent` records what it sent."""

    def make(**overrides: Any) -> Any:
        session = emu.session()
        session.hooks["response"].append(lambda r, *_a, **_k: sent.append(r.request))
        settings = make_settings(**{**USER, "endpoint": emu.url, "iam_endpoint": emu.url,
                                    "project_id": DEFAULT_PROJECT_ID, **overrides})
        return connect(settings, session=session)

    return make


def calls(emu: InProcessEmulator) -> list[tuple[str, int | None]]:
    return [(e["path"], e["status_code"]) for e in emu.admin.requests_log()]


def job(emu: InProcessEmulator) -> str:
    return str(emu.admin.create_jobs(1)[0]["id"])


def auth_on(emu: InProcessEmulator, clock: Callable[[], float]) -> IamPasswordAuth:
    session = emu.session()

    def transmit(method: str, url: str, body: bytes | None) -> requests.Response:
        return session.request(method, url, data=body, headers={"Content-Type": "application/json"})

    return IamPasswordAuth(emu.url, DEFAULT_USER_NAME, DEFAULT_PASSWORD, DEFAULT_DOMAIN_NAME, DEFAULT_REGION,
                           transmit, clock=clock)


# --- password tokens ----------------------------------------------------------------------------------


def test_a_password_token_is_fetched_once_and_shared_by_every_client(
        client: Callable[..., Any], emu: InProcessEmulator, sent: list[requests.PreparedRequest]) -> None:
    job_id = job(emu)
    for api in (client(), client()):
        assert [api.read_statuses([job_id])[job_id].status for _ in range(2)] == ["CONFIGURATION"] * 2
    assert calls(emu) == [(TOKENS, 201)] + [(STATUS, 200)] * 4
    drs_requests = [r for r in sent if r.path_url == STATUS]
    assert len({r.headers["X-Auth-Token"] for r in drs_requests}) == 1
    assert not any("Authorization" in r.headers for r in drs_requests)
    assert {e["auth"] for e in emu.admin.requests_log() if e["path"] == STATUS} == {"token"}


def test_the_token_is_refreshed_five_minutes_before_it_expires(emu: InProcessEmulator, clock: Clock) -> None:
    emu.admin.settings(token_ttl_seconds=3600)
    auth = auth_on(emu, clock)
    first = auth.token()
    clock.now += 3600 - 301
    assert auth.token() == first
    clock.now += 2
    second = auth.token()
    assert second != first and auth.token() == second
    assert calls(emu) == [(TOKENS, 201), (TOKENS, 201)]


def test_the_token_is_fetched_once_when_threads_ask_at_once(emu: InProcessEmulator, clock: Clock) -> None:
    emu.admin.settings(latency_ms=50)  # every thread asks while the first fetch is under way
    auth = auth_on(emu, clock)
    tokens = run_together(8, auth.token)
    assert len(set(tokens)) == 1 and calls(emu) == [(TOKENS, 201)]


def test_clients_built_in_parallel_threads_share_one_token(client: Callable[..., Any], emu: InProcessEmulator) -> None:
    job_id = job(emu)
    emu.admin.settings(latency_ms=200)  # every client asks while the first fetch is under way
    statuses = run_together(8, lambda: client().read_statuses([job_id])[job_id].status)
    assert statuses == ["CONFIGURATION"] * 8
    assert [p for p, _ in calls(emu)].count(TOKENS) == 1


def run_together(count: int, work: Callable[[], Any]) -> list[Any]:
    """`work()` in `count` threads released at once; their results."""
    gate = threading.Barrier(count)
    results: list[Any] = []

    def worker() -> None:
        gate.wait()
        results.append(work())

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_a_rejected_cached_token_is_replaced_once(client: Callable[..., Any], emu: InProcessEmulator,
                                                  clock: Clock, sent: list[requests.PreparedRequest]) -> None:
    job_id = job(emu)
    emu.admin.settings(token_ttl_seconds=3600)
    api = client()
    api.read_statuses([job_id])
    clock.now += 3601  # IAM says the token expired; this machine's clock does not
    assert api.read_statuses([job_id])[job_id].status == "CONFIGURATION"
    assert client().read_statuses([job_id])[job_id].status == "CONFIGURATION"  # another client: the new token
    assert calls(emu) == [(TOKENS, 201), (STATUS, 200), (STATUS, 401), (TOKENS, 201), (STATUS, 200), (STATUS, 200)]
    used = [r.headers["X-Auth-Token"] for r in sent if r.path_url == STATUS]
    assert used[0] == used[1] != used[2] == used[3]


def test_a_fresh_token_rejected_again_raises(client: Callable[..., Any], emu: InProcessEmulator) -> None:
    emu.admin.settings(token_ttl_seconds=0)  # every token IAM issues is already expired
    with pytest.raises(AuthenticationError, match=r"batch-status: DRS answered HTTP 401 APIGW\.0301"):
        client().read_statuses([job(emu)])
    assert calls(emu) == [(TOKENS, 201), (STATUS, 401), (TOKENS, 201), (STATUS, 401)]


def test_an_iam_rejection_names_the_settings_not_the_password(client: Callable[..., Any],
                                                              emu: InProcessEmulator) -> None:
    with pytest.raises(AuthenticationError) as info:
        client(password="Wrong-Password-9").read_statuses([job(emu)])
    text = str(info.value)
    assert text.startswith("IAM token: IAM answered HTTP 401 IAM.0004: The username or password is wrong.")
    assert "drs:password/HW_PASSWORD" in text and "Wrong-Password-9" not in text
    assert calls(emu) == [(TOKENS, 401)]


def test_nothing_from_iam_that_is_secret_reaches_a_log_line_a_repr_or_an_error(
        client: Callable[..., Any], emu: InProcessEmulator, sent: list[requests.PreparedRequest],
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    job_id = job(emu)
    api = client()
    emu.admin.add_fault("batch-status", "status", status=400, error_code="DRS.M00007",
                        error_msg=f"echoed {DEFAULT_PASSWORD}")
    with pytest.raises(RequestError) as info:
        api.read_statuses([job_id])
    token = sent[-1].headers["X-Auth-Token"]
    text = caplog.text + str(info.value) + repr(api.transport) + repr(api.transport._auth) + repr(api.settings)
    assert "echoed ***" in str(info.value) and "batch-status" in caplog.text
    assert token not in text and DEFAULT_PASSWORD not in text


def test_a_given_token_is_passed_as_is_and_not_replaced(client: Callable[..., Any], emu: InProcessEmulator,
                                                        sent: list[requests.PreparedRequest]) -> None:
    job_id = job(emu)
    assert client(auth_token=RAW_TOKEN, user_name=None).read_statuses([job_id])[job_id].status == "CONFIGURATION"
    assert sent[-1].headers["X-Auth-Token"] == RAW_TOKEN and "Authorization" not in sent[-1].headers
    with pytest.raises(AuthenticationError, match=r"HTTP 401 APIGW\.0301"):
        client(auth_token="MIInot-a-token", user_name=None).read_statuses([job_id])
    assert calls(emu) == [(STATUS, 200), (STATUS, 401)]


# --- the project ID of a region --------------------------------------------------------------------------


@pytest.mark.parametrize("credentials", [
    {"access_key": DEFAULT_ACCESS_KEY, "secret_key": DEFAULT_SECRET_KEY, "user_name": None},
    {},
], ids=["ak-sk", "iam-password"])
def test_the_project_id_is_looked_up_from_the_region_once_per_process(
        client: Callable[..., Any], emu: InProcessEmulator, sent: list[requests.PreparedRequest],
        credentials: dict[str, Any]) -> None:
    job_id = job(emu)
    for _ in range(2):
        api = client(project_id=None, **credentials)
        assert api.read_statuses([job_id])[job_id].status == "CONFIGURATION"
    lookups = [r.url for r in sent if r.path_url.startswith(PROJECTS)]
    assert lookups == [f"{emu.url}{PROJECTS}?name={DEFAULT_REGION}"]
    assert [p for p, _ in calls(emu) if p != TOKENS] == [PROJECTS, STATUS, STATUS]


def test_a_region_iam_does_not_know_names_the_settings(client: Callable[..., Any], emu: InProcessEmulator) -> None:
    with pytest.raises(ConfigurationError, match="IAM knows no project named 'ap-southeast-1'") as info:
        client(project_id=None, region="ap-southeast-1", access_key=DEFAULT_ACCESS_KEY,
               secret_key=DEFAULT_SECRET_KEY)
    assert "drs:region/HW_REGION_NAME" in str(info.value) and "drs:projectId/HW_PROJECT_ID" in str(info.value)
    assert info.value.setting == "region"


def test_without_a_project_id_or_a_region_the_project_setting_is_named(client: Callable[..., Any],
                                                                      emu: InProcessEmulator) -> None:
    with pytest.raises(ConfigurationError, match="no project ID: set drs:projectId/HW_PROJECT_ID") as info:
        client(project_id=None, region=None, access_key=DEFAULT_ACCESS_KEY, secret_key=DEFAULT_SECRET_KEY)
    assert info.value.setting == "project_id" and calls(emu) == []


# --- IAM's times ---------------------------------------------------------------------------------------

PY310_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(.\d{2}(:\d{2}(:\d{2}(\.\d{3}(\d{3})?)?)?)?([+-]\d{2}:\d{2})?)?")
"""What `datetime.fromisoformat` reads on Python 3.10, the oldest the project supports (no `Z`, no `+0800`,
fractions of 3 or 6 digits only)."""


class Py310Datetime(datetime):
    @classmethod
    def fromisoformat(cls, date_string: str) -> Any:
        if not PY310_ISO.fullmatch(date_string):
            raise ValueError(f"Invalid isoformat string: {date_string!r}")
        return datetime.fromisoformat(date_string)


@pytest.mark.parametrize(("text", "epoch"), [
    ("2023-11-14T22:13:20Z", 1_700_000_000.0),
    ("2023-11-14T22:13:20z", 1_700_000_000.0),
    ("2023-11-14T22:13:20.855000Z", 1_700_000_000.855),
    ("2023-11-14T22:13:20.855Z", 1_700_000_000.855),
    ("2023-11-15T06:13:20.855000+08:00", 1_700_000_000.855),
    ("2023-11-14T17:13:20-05:00", 1_700_000_000.0),
    ("2023-11-14T22:13:20", 1_700_000_000.0),
    ("2023-11-14T22:13:20.000001", 1_700_000_000.000001),
])
@pytest.mark.parametrize("python", ["running", "3.10"])
@pytest.mark.usefixtures("far_from_utc")
def test_iam_times_are_read_as_utc_on_every_supported_python(monkeypatch: pytest.MonkeyPatch, text: str,
                                                             epoch: float, python: str) -> None:
    if python == "3.10":
        monkeypatch.setattr(iam, "datetime", Py310Datetime)
    assert iam.parse_time(text) == pytest.approx(epoch, abs=1e-6)


def test_a_token_strategy_shows_no_token() -> None:
    from pulumi_drs.auth import TokenAuth

    assert repr(TokenAuth(RAW_TOKEN)) == "TokenAuth()" and RAW_TOKEN not in str(TokenAuth(RAW_TOKEN))


# --- IAM's answers, one at a time (a transmit that answers what the test says) ----------------------------

IAM_SECRET = "Echoed-Secret-77"


def answer(status: int, body: bytes, **headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.headers.update(headers)
    return response


def transmit_of(response: requests.Response, seen: list[tuple[str, str, bytes | None]]) -> iam.Transmit:
    def transmit(method: str, url: str, body: bytes | None) -> requests.Response:
        seen.append((method, url, body))
        return response

    return transmit


class RefusesTheLookupThenFails(BaseAdapter):
    """IAM that issues tokens, refuses the first project lookup with 401 (a token it no longer takes), and
    cannot be reached for the lookup sent again with a new token."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        self.sent.append(f"{request.method} {request.path_url.split('?')[0]}")
        if request.path_url == TOKENS:
            return answer(201, b"{}", **{"X-Subject-Token": f"MIItoken-{len(self.sent)}"})
        if self.sent.count(f"GET {PROJECTS}") == 1:
            return answer(401, REFUSAL)
        raise requests.ConnectTimeout("connect timed out")

    def close(self) -> None:
        pass


def test_a_lookup_sent_again_with_a_new_token_is_still_said_of_iam_when_it_fails(
        make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(**{**USER, "password": "Only-This-Test-1", "project_id": None})
    iam_answers = RefusesTheLookupThenFails()
    session = requests.Session()
    session.mount(str(settings.iam_endpoint), iam_answers)
    with pytest.raises(ConnectError) as info:
        connect(settings, session=session)
    assert iam_answers.sent == [f"POST {TOKENS}", f"GET {PROJECTS}", f"POST {TOKENS}", f"GET {PROJECTS}"]
    assert str(info.value) == ("GET /v3/projects: could not connect (ConnectTimeout: connect timed out): check "
                               "drs:iamEndpoint/HW_IAM_ENDPOINT, drs:region/HW_REGION_NAME, the network and any "
                               "proxy, then retry")


REFUSAL = json.dumps(IamUnauthorized(f"no user with password {IAM_SECRET}").body()).encode()
"""The body the emulator's IAM refuses with (Keystone's `error` and Huawei's `error_code`/`error_msg`)."""
REFUSAL_HEADERS = {"X-Request-Id": "req-iam-1", "Retry-After": "7"}


def test_a_token_refusal_keeps_iams_request_id_and_retry_after_and_hides_the_secrets() -> None:
    seen: list[tuple[str, str, bytes | None]] = []
    request = iam.token_request(DEFAULT_USER_NAME, IAM_SECRET, DEFAULT_DOMAIN_NAME, DEFAULT_REGION)
    with pytest.raises(AuthenticationError) as info:
        iam.fetch_token(transmit_of(answer(401, REFUSAL, **REFUSAL_HEADERS), seen), "https://iam.example/",
                        request, secrets=[IAM_SECRET])
    assert str(info.value).startswith("IAM token: IAM answered HTTP 401 IAM.0004: no user with password ***")
    assert IAM_SECRET not in str(info.value)
    assert (info.value.request_id, info.value.retry_after, info.value.status_code) == ("req-iam-1", 7.0, 401)
    assert [(method, url) for method, url, _ in seen] == [("POST", "https://iam.example/v3/auth/tokens")]


def test_a_token_answer_without_the_token_header_names_the_iam_endpoint_setting() -> None:
    request = iam.token_request(DEFAULT_USER_NAME, DEFAULT_PASSWORD, DEFAULT_DOMAIN_NAME, DEFAULT_REGION)
    with pytest.raises(AuthenticationError) as info:
        iam.fetch_token(transmit_of(answer(201, b"{}"), []), "https://iam.example", request, secrets=())
    assert str(info.value) == ("IAM token: IAM answered HTTP 201 without an X-Subject-Token header: "
                               "check drs:iamEndpoint/HW_IAM_ENDPOINT")
    assert info.value.status_code == 201


def test_a_token_comes_with_the_expiry_iam_gives_it() -> None:
    request = iam.token_request(DEFAULT_USER_NAME, DEFAULT_PASSWORD, DEFAULT_DOMAIN_NAME, DEFAULT_REGION)
    body = b'{"token": {"expires_at": "2023-11-14T22:13:20.000000Z"}}'
    got = iam.fetch_token(transmit_of(answer(201, body, **{"X-Subject-Token": "MIItok"}), []), "https://iam.example",
                          request, secrets=())
    assert got == ("MIItok", 1_700_000_000.0)


def test_a_project_lookup_refusal_keeps_iams_request_id_and_hides_the_secrets() -> None:
    seen: list[tuple[str, str, bytes | None]] = []
    with pytest.raises(AuthenticationError) as info:
        iam.lookup_project_id(transmit_of(answer(401, REFUSAL, **REFUSAL_HEADERS), seen), "https://iam.example/",
                              "eu-west/0", secrets=[IAM_SECRET])
    text = str(info.value)
    assert text.startswith("IAM project lookup: IAM answered HTTP 401 IAM.0004: no user with password ***")
    assert IAM_SECRET not in text
    assert (info.value.request_id, info.value.retry_after, info.value.status_code) == ("req-iam-1", 7.0, 401)
    # one query value, whatever the region holds; the endpoint's trailing slash not doubled
    assert seen == [("GET", "https://iam.example/v3/projects?name=eu-west%2F0", None)]


def test_a_project_list_iam_answers_unreadably_names_the_region_setting() -> None:
    with pytest.raises(ConfigurationError, match="IAM knows no project named 'eu-west-0'") as info:
        iam.lookup_project_id(transmit_of(answer(200, b"<html>maintenance</html>"), []), "https://iam.example",
                              "eu-west-0")
    assert info.value.setting == "region"


# --- when a password token is fetched again (IAM answers what the test says, at times the test sets) --------

EXPIRY = 1_700_000_000.0
"""2023-11-14T22:13:20Z, the expiry of every token `tokens_until` gives."""


def tokens_until(expiry: str | None, fetched: list[str]) -> iam.Transmit:
    """IAM giving a new token at each request (MIItok1, MIItok2, ...), valid until `expiry` (None: unsaid)."""

    def transmit(method: str, url: str, body: bytes | None) -> requests.Response:
        fetched.append(url)
        token = {} if expiry is None else {"expires_at": expiry}
        return answer(201, json.dumps({"token": token}).encode(), **{"X-Subject-Token": f"MIItok{len(fetched)}"})

    return transmit


def password_auth(transmit: iam.Transmit, clock: Callable[[], float], endpoint: str = "https://iam.example") -> (
        IamPasswordAuth):
    return IamPasswordAuth(endpoint, DEFAULT_USER_NAME, DEFAULT_PASSWORD, DEFAULT_DOMAIN_NAME, DEFAULT_REGION,
                           transmit, clock=clock)


def test_a_token_is_fetched_again_exactly_five_minutes_before_the_expiry_iam_gave() -> None:
    clock, fetched = Clock(), list[str]()
    clock.now = EXPIRY - 10_000  # far more than the hour assumed when IAM gives no expiry
    auth = password_auth(tokens_until("2023-11-14T22:13:20.000000Z", fetched), clock)

    assert auth.token() == "MIItok1"
    clock.now = EXPIRY - 300 - 0.001
    assert auth.token() == "MIItok1"
    clock.now = EXPIRY - 300
    assert auth.token() == "MIItok2"
    assert len(fetched) == 2


def test_a_token_iam_gives_no_expiry_for_is_fetched_again_after_55_minutes() -> None:
    clock, fetched = Clock(), list[str]()
    clock.now = EXPIRY
    auth = password_auth(tokens_until(None, fetched), clock)

    assert auth.token() == "MIItok1"
    clock.now = EXPIRY + 3300 - 0.001
    assert auth.token() == "MIItok1"
    clock.now = EXPIRY + 3300
    assert auth.token() == "MIItok2"


def test_one_iam_endpoint_written_with_or_without_a_trailing_slash_shares_one_token() -> None:
    clock, fetched = Clock(), list[str]()
    transmit = tokens_until(None, fetched)

    tokens = [password_auth(transmit, clock, endpoint).token() for endpoint in ("https://iam.example/",
                                                                               "https://iam.example")]

    assert tokens == ["MIItok1", "MIItok1"] and fetched == ["https://iam.example/v3/auth/tokens"]
    assert repr(password_auth(transmit, clock, "https://iam.example/")) == (
        f"IamPasswordAuth(iam_endpoint='https://iam.example', project_name={DEFAULT_REGION!r})")


def test_invalidating_a_token_never_fetched_says_so_and_a_fetched_one_is_fetched_again() -> None:
    clock, fetched = Clock(), list[str]()
    auth = password_auth(tokens_until(None, fetched), clock)

    assert auth.invalidate() is False
    assert auth.token() == "MIItok1"
    assert auth.invalidate() is True
    assert auth.token() == "MIItok2"

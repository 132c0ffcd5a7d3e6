"""Bad input, table-driven: every input of the resource and every `drs:*` configuration key, through the
provider's `check` served by `python -m pulumi.dynamic` over gRPC (as the engine calls it at preview),
against the emulator. Each case fails naming the property (or the job) with its message, and DRS sees
no start request; inputs that only DRS can judge cost read calls, nothing else.

Then property-based tests of `check` on the provider object itself: whatever the property bag, it
returns failures instead of raising, and checking its own output again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pulumi.dynamic import CheckResult, ConfigureRequest
from pulumi.dynamic.config import Config
from pulumi.output import Unknown

from drs_testing.e2e import AK, PROJECT_ID, SK
from drs_testing.grpc_provider import DynamicProviderProcess
from pulumi_drs.emulator import EmulatorProcess
from pulumi_drs.emulator.config import DEFAULT_DOMAIN_NAME, DEFAULT_PASSWORD, DEFAULT_REGION, DEFAULT_USER_NAME
from pulumi_drs.inputs import INPUT_KEYS
from pulumi_drs.provider import StartedJobBatchProvider
from reliability.support import FAST_ENV, calls, fresh

JOB = "{job}"
"""Placeholders, replaced per run: a job in CONFIGURATION, one released, a parent task, one whose start
failed, a running DR forward job, and a well-formed ID DRS does not know."""
GONE, PARENT, FAILED, FORWARD, GHOST = "{gone}", "{parent}", "{failed}", "{forward}", "{ghost}"
WRONG_PROJECT = "0123456789abcdef0123456789abcdef"
WRONG_SECRET = "wrong-secret-key-must-not-leak-0001"
WRONG_PASSWORD = "wrong-password-must-not-leak-0002"
WRONG_TOKEN = "wrong-token-must-not-leak-0003"
LEAKABLE = (SK, WRONG_SECRET, WRONG_PASSWORD, WRONG_TOKEN, DEFAULT_PASSWORD)
PAST_MS = int(datetime(2020, 1, 1, tzinfo=timezone.utc).timestamp() * 1000)
PASSWORD_LOGIN = {"drs:accessKey": None, "drs:secretKey": None, "drs:userName": DEFAULT_USER_NAME,
                  "drs:domainName": DEFAULT_DOMAIN_NAME, "drs:region": DEFAULT_REGION}


@dataclass(frozen=True)
class Case:
    name: str
    news: dict[str, Any]
    prop: str
    says: tuple[str, ...]
    config: dict[str, str | None] = field(default_factory=dict)
    """Changes to the base configuration (endpoint, project ID, AK/SK); None removes a key."""
    asks_drs: bool = False
    """Only DRS (or IAM) can tell: read calls are expected, a start call never."""


def ids(*job_ids: str) -> dict[str, Any]:
    return {"job_ids": list(job_ids)}


CASES = [
    # --- job_ids ---
    Case("job_ids missing", {}, "job_ids", ("is required",)),
    Case("job_ids empty", ids(), "job_ids", ("must list at least one DRS job ID",)),
    Case("job_ids a string", {"job_ids": JOB}, "job_ids", ("must be a list of DRS job IDs, got str",)),
    Case("job_ids a number", {"job_ids": 7}, "job_ids", ("must be a list of DRS job IDs",)),
    Case("job_ids a map", {"job_ids": {"a": JOB}}, "job_ids", ("must be a list of DRS job IDs",)),
    Case("job id not a string", {"job_ids": [JOB, 5]}, "job_ids", ("item 1 is a", "not a string")),
    Case("job id uppercase", ids("140B5236-88AD-43C8-811C-1268453JB101"), "job_ids", ("is not a DRS job ID",)),
    Case("job id truncated", ids("140b5236-88ad"), "job_ids", ("'140b5236-88ad' is not a DRS job ID",)),
    Case("job id empty string", ids(""), "job_ids", ("'' is not a DRS job ID",)),
    Case("job id with spaces", ids(" 140b5236-88ad-43c8-811c-1268453jb101"), "job_ids", ("is not a DRS job ID",)),
    Case("job id listed twice", ids(JOB, JOB), "job_ids", ("is listed twice",)),
    Case("job DRS does not know", ids(GHOST), "job_ids", (f"job {GHOST}", "DRS does not know this job"),
         asks_drs=True),
    Case("job released", ids(GONE), "job_ids", (f"job {GONE}", "cannot be started again"), asks_drs=True),
    Case("parent task", ids(PARENT), "job_ids", (f"job {PARENT} is a parent task", "list them in job_ids"),
         asks_drs=True),
    Case("job whose start failed", ids(FAILED), "job_ids",
         (f"job {FAILED}: DRS could not start the job", "(status START_JOB_FAILED)"), asks_drs=True),
    # --- forward_job_ids ---
    Case("forward_job_ids a string", {**ids(JOB), "forward_job_ids": FORWARD}, "forward_job_ids",
         ("must be a list of DRS job IDs, got str",)),
    Case("forward job id malformed", {**ids(JOB), "forward_job_ids": ["forward"]}, "forward_job_ids",
         ("'forward' is not a DRS job ID",)),
    Case("forward job also in job_ids", {**ids(JOB, FORWARD), "forward_job_ids": [FORWARD]}, "forward_job_ids",
         (f"{FORWARD} is also in job_ids",)),
    # --- start_time ---
    Case("start_time in the past", {**ids(JOB), "start_time": PAST_MS}, "start_time", ("is in the past",)),
    Case("start_time in epoch seconds", {**ids(JOB), "start_time": 1_900_000_000}, "start_time",
         ("looks like epoch seconds",)),
    Case("start_time seconds as a string", {**ids(JOB), "start_time": "1900000000"}, "start_time",
         ("looks like epoch seconds",)),
    Case("start_time words", {**ids(JOB), "start_time": "tomorrow"}, "start_time",
         ("neither an ISO-8601 time nor epoch milliseconds",)),
    Case("start_time without a timezone", {**ids(JOB), "start_time": "2031-01-01T00:00:00"}, "start_time",
         ("has no timezone",)),
    Case("start_time a bool", {**ids(JOB), "start_time": True}, "start_time", ("not a bool",)),
    Case("start_time absurd", {**ids(JOB), "start_time": 1e16}, "start_time", ("too large",)),
    Case("start_time empty", {**ids(JOB), "start_time": ""}, "start_time", ("neither an ISO-8601",)),
    # --- wait, timeout, stop_on_delete, language ---
    Case("wait unknown mode", {**ids(JOB), "wait": "forever"}, "wait", ("is not a wait mode",)),
    Case("wait wrong case", {**ids(JOB), "wait": "Running"}, "wait", ("is not a wait mode",)),
    Case("wait a number", {**ids(JOB), "wait": 3}, "wait", ("is not a wait mode",)),
    Case("timeout negative", {**ids(JOB), "timeout": -5}, "timeout", ("outside 10 s to 24 h",)),
    Case("timeout zero", {**ids(JOB), "timeout": 0}, "timeout", ("outside 10 s to 24 h",)),
    Case("timeout absurd", {**ids(JOB), "timeout": 1e9}, "timeout", ("outside 10 s to 24 h",)),
    Case("timeout absurd duration", {**ids(JOB), "timeout": "100h"}, "timeout", ("outside 10 s to 24 h",)),
    Case("timeout negative duration", {**ids(JOB), "timeout": "-5m"}, "timeout", ("not seconds or a duration",)),
    Case("timeout words", {**ids(JOB), "timeout": "soon"}, "timeout", ("not seconds or a duration",)),
    Case("timeout fractional", {**ids(JOB), "timeout": 12.5}, "timeout", ("not a whole number",)),
    Case("stop_on_delete a string", {**ids(JOB), "stop_on_delete": "yes"}, "stop_on_delete",
         ("must be true or false",)),
    Case("language unknown", {**ids(JOB), "language": "fr-fr"}, "language", ("is not supported",)),
    Case("api_version unknown", {**ids(JOB), "api_version": "v4"}, "api_version",
         ("'v4' is not a DRS API version pulumi-drs speaks; use one of v3, v5",)),
    Case("resource_name empty", {**ids(JOB), "resource_name": ""}, "resource_name", ("must be a non-empty string",)),
    # --- region, project_id, endpoint inputs ---
    Case("region malformed", {**ids(JOB), "region": "Mars"}, "region", ("is not a Huawei Cloud region name",)),
    Case("region unknown without an endpoint", {**ids(JOB), "region": "xx-nowhere-9"}, "region",
         ("DRS is not known in region 'xx-nowhere-9'",), config={"drs:endpoint": None}),
    Case("project_id malformed", {**ids(JOB), "project_id": "my-project"}, "project_id",
         ("is not a project ID (32 lowercase hex digits)",)),
    Case("project_id of another project", {**ids(JOB), "project_id": WRONG_PROJECT}, "project_id",
         ("DRS.M00261", "drs:projectId"), asks_drs=True),
    Case("endpoint not a URL", {**ids(JOB), "endpoint": "drs.example.com"}, "endpoint",
         ("is not an http(s) URL",)),
    Case("endpoint with credentials", {**ids(JOB), "endpoint": f"https://user:{WRONG_PASSWORD}@drs.example.com"},
         "endpoint", ("must not contain a user name or password",)),
    Case("endpoint with a query", {**ids(JOB), "endpoint": "https://drs.example.com/?x=1"}, "endpoint",
         ("must not have a query or fragment",)),
    Case("endpoint with a bad port", {**ids(JOB), "endpoint": "https://drs.example.com:99999"}, "endpoint",
         ("has an invalid port",)),
    # --- drs:* configuration ---
    Case("drs:endpoint malformed", ids(JOB), "endpoint", ("is not an http(s) URL", "check drs:endpoint"),
         config={"drs:endpoint": "ftp://drs.example.com"}),
    Case("drs:endpoint nobody listens on", ids(JOB), "endpoint", ("could not connect", "drs:endpoint"),
         config={"drs:endpoint": "http://127.0.0.1:9"}, asks_drs=True),
    Case("drs:region malformed", ids(JOB), "region", ("is not a Huawei Cloud region name", "check drs:region"),
         config={"drs:region": "Mars!"}),
    Case("drs:region unknown without an endpoint", ids(JOB), "region",
         ("DRS is not known in region 'xx-nowhere-9'",), config={"drs:region": "xx-nowhere-9", "drs:endpoint": None}),
    Case("drs:region IAM has no project for", ids(JOB), "region",
         ("IAM knows no project named 'ap-southeast-1'", "drs:projectId"),
         config={"drs:region": "ap-southeast-1", "drs:projectId": None}, asks_drs=True),
    Case("drs:projectId of another project", ids(JOB), "project_id", ("DRS.M00261", "drs:projectId"),
         config={"drs:projectId": WRONG_PROJECT}, asks_drs=True),
    Case("drs:language unknown", ids(JOB), "language", ("language: 'fr' is not supported", "check drs:language"),
         config={"drs:language": "fr"}),
    Case("drs:apiVersion unknown", ids(JOB), "api_version",
         ("'v9' is not a DRS API version pulumi-drs speaks", "check drs:apiVersion/HW_DRS_API_VERSION"),
         config={"drs:apiVersion": "v9"}),
    Case("no credentials at all", ids(JOB), "job_ids", ("No complete Huawei Cloud credentials", "None is set"),
         config={"drs:accessKey": None, "drs:secretKey": None}),
    Case("drs:accessKey without drs:secretKey", ids(JOB), "job_ids",
         ("No complete Huawei Cloud credentials", "Only drs:accessKey is set"), config={"drs:secretKey": None}),
    Case("drs:secretKey wrong", ids(JOB), "job_ids", ("APIGW.0301", "drs:secretKey"),
         config={"drs:secretKey": WRONG_SECRET}, asks_drs=True),
    Case("drs:accessKey unknown to IAM", ids(JOB), "job_ids", ("APIGW.0301", "drs:accessKey"),
         config={"drs:accessKey": "NOSUCHACCESSKEY"}, asks_drs=True),
    Case("drs:authToken wrong", ids(JOB), "job_ids", ("APIGW.0301", "drs:authToken"),
         config={"drs:accessKey": None, "drs:secretKey": None, "drs:authToken": WRONG_TOKEN}, asks_drs=True),
    Case("drs:password wrong", ids(JOB), "job_ids", ("IAM token", "401"),
         config={**PASSWORD_LOGIN, "drs:password": WRONG_PASSWORD}, asks_drs=True),
    Case("drs:userName without drs:domainName", ids(JOB), "job_ids",
         ("No complete Huawei Cloud credentials", "drs:password"),
         config={**PASSWORD_LOGIN, "drs:password": DEFAULT_PASSWORD, "drs:domainName": None}),
    Case("drs:maxRetries negative", ids(JOB), "job_ids", ("max_retries must be a number of at least 0",),
         config={"drs:maxRetries": "-1"}),
    Case("drs:readTimeout not a number", ids(JOB), "job_ids", ("read_timeout must be a number",),
         config={"drs:readTimeout": "forever"}),
]


@dataclass
class Jobs:
    """The jobs the placeholders stand for."""

    by_placeholder: dict[str, str]

    def fill(self, value: Any) -> Any:
        if isinstance(value, str):
            for placeholder, job_id in self.by_placeholder.items():
                value = value.replace(placeholder, job_id)
            return value
        if isinstance(value, (list, tuple)):
            return type(value)(self.fill(v) for v in value)
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        return value


@pytest.fixture(scope="module")
def jobs(emulator: EmulatorProcess) -> Jobs:
    admin = emulator.admin
    job, gone, parent, failed = (j["id"] for j in admin.create_jobs(4))
    admin.set_status(gone, "RELEASE_RESOURCE_COMPLETE")
    admin.set_status(failed, "START_JOB_FAILED")
    admin.create_jobs([{"parent_id": parent}])
    forward = admin.create_jobs(1, status="INCRE_TRANSFER_STARTED")[0]["id"]
    ghost = "0badc0de-0000-4000-8000-0000000jb101"
    return Jobs({JOB: job, GONE: gone, PARENT: parent, FAILED: failed, FORWARD: forward, GHOST: ghost})


@pytest.fixture(scope="module")
def servers(emulator: EmulatorProcess) -> Iterator[Callable[[dict[str, str]], DynamicProviderProcess]]:
    """A provider process per configuration: like the engine's, each configures its provider only once."""
    env = {**FAST_ENV, "PULUMI_DRS_MAX_RETRIES": "1"}
    started: dict[tuple[tuple[str, str], ...], DynamicProviderProcess] = {}

    def server_for(config: dict[str, str]) -> DynamicProviderProcess:
        key = tuple(sorted(config.items()))
        if key not in started:
            started[key] = DynamicProviderProcess(env).__enter__()
            started[key].configure(config)
        return started[key]

    yield server_for
    for proc in started.values():
        proc.__exit__(None, None, None)


def base_config(emulator: EmulatorProcess) -> dict[str, str]:
    return {"drs:endpoint": emulator.url, "drs:iamEndpoint": emulator.url, "drs:projectId": PROJECT_ID,
            "drs:accessKey": AK, "drs:secretKey": SK}


def configured(emulator: EmulatorProcess, changes: dict[str, str | None]) -> dict[str, str]:
    config = {**base_config(emulator), **changes}
    return {k: v for k, v in config.items() if v is not None}


def test_the_table_has_at_least_30_cases_covering_every_input_and_config_key() -> None:
    assert len(CASES) >= 30
    assert set(INPUT_KEYS) <= {key for case in CASES for key in case.news} | {"job_ids"}
    covered = {key for case in CASES for key in case.config}
    for key in ("drs:endpoint", "drs:region", "drs:projectId", "drs:accessKey", "drs:secretKey",
                "drs:authToken", "drs:userName", "drs:password", "drs:domainName", "drs:language", "drs:apiVersion"):
        assert key in covered, key


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_fails_check_naming_the_property_with_no_start_call(
        servers: Callable[[dict[str, str]], DynamicProviderProcess], emulator: EmulatorProcess, jobs: Jobs,
        case: Case) -> None:
    server = servers(configured(emulator, case.config))
    admin = fresh(emulator.admin)

    _, failures = server.check(jobs.fill(case.news))

    assert failures, "check accepted the input"
    by_property = dict(failures)
    assert case.prop in by_property, f"failures name {list(by_property)}, not {case.prop}: {failures}"
    for text in jobs.fill(case.says):
        assert text in by_property[case.prop], f"{text!r} not in {by_property[case.prop]!r}"
    assert all(secret not in reason for _, reason in failures for secret in LEAKABLE)
    log = admin.requests_log()
    assert calls(log, "batch-starting") == [], "check sent a start request"
    if not case.asks_drs:
        assert log == [], f"check asked DRS although the input alone is wrong: {log}"


def test_good_input_passes_check_with_reads_only(servers: Callable[[dict[str, str]], DynamicProviderProcess],
                                                 emulator: EmulatorProcess, jobs: Jobs) -> None:
    server = servers(base_config(emulator))
    admin = fresh(emulator.admin)
    inputs, failures = server.check(jobs.fill({**ids(JOB), "timeout": "1h30m", "wait": "accepted"}))
    assert failures == []
    assert inputs["timeout"] == 5400
    assert {r["path"].rsplit("/", 1)[1] for r in admin.requests_log()} == {"batch-status", "batch-detail", "jobs"}
    assert all(r["method"] == "POST" and r["status_code"] == 200 for r in admin.requests_log())


def test_an_unknown_region_passes_check_when_drs_endpoint_is_configured(
        servers: Callable[[dict[str, str]], DynamicProviderProcess], emulator: EmulatorProcess, jobs: Jobs) -> None:
    """The failure for an unknown region says "set `endpoint` (or drs:endpoint)": with drs:endpoint set,
    the region needs no default endpoint and check must accept it."""
    server = servers(base_config(emulator))
    _, failures = server.check(jobs.fill({**ids(JOB), "region": "xx-nowhere-9"}))
    assert failures == []


# --- property-based: check on the provider object, with arbitrary property bags ------------------

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
    | st.datetimes(timezones=st.none() | st.timezones()) | st.builds(Unknown),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


HUGE_INTS = st.integers(min_value=10**308, max_value=10**400) | st.integers(max_value=-(10**308))
"""Whole numbers a Python program can pass but no float can hold."""


NO_NUMBERS: st.SearchStrategy[Any] = st.nothing()


def property_bags(job_ids: list[str], numbers: st.SearchStrategy[Any] = NO_NUMBERS
                  ) -> st.SearchStrategy[dict[str, Any]]:
    real_job_ids = st.lists(st.sampled_from(job_ids), min_size=1, max_size=3)
    well_formed = st.from_regex(r"\A[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}\Z")
    values: dict[str, st.SearchStrategy[Any]] = {
        "job_ids": JSONISH | real_job_ids | st.lists(well_formed | st.text(max_size=40), max_size=4),
        "start_time": JSONISH | numbers | st.integers(min_value=0, max_value=10**15).map(str),
        "wait": JSONISH | st.sampled_from(["accepted", "running", "incremental"]),
        "timeout": JSONISH | numbers | st.from_regex(r"\A(\d{1,3}h)?(\d{1,3}m)?(\d{1,5}s)?\Z"),
        "stop_on_delete": JSONISH,
        "language": JSONISH | st.sampled_from(["en-us", "zh-cn"]),
        "region": JSONISH | st.sampled_from(["cn-north-4", "xx-nowhere-9", "ap-southeast-1"]),
        "project_id": JSONISH | st.just(PROJECT_ID) | st.from_regex(r"\A[0-9a-f]{32}\Z"),
        "endpoint": JSONISH | st.sampled_from(["not a url", "ftp://x", "http://[::1", "https://h:99999",
                                               "https://u:p@h"]),
        "api_version": JSONISH | st.sampled_from(["v3", "v5", "V3"]),
        "forward_job_ids": JSONISH | real_job_ids,
        "resource_name": JSONISH,
    }
    known = st.fixed_dictionaries({}, optional=values)
    extra = st.dictionaries(st.text(min_size=1, max_size=10).filter(lambda k: k not in INPUT_KEYS), JSONISH,
                            max_size=2)
    return st.builds(lambda a, b: {**b, **a}, known, extra)


@pytest.fixture(scope="module")
def provider(emulator: EmulatorProcess) -> Iterator[StartedJobBatchProvider]:
    """The provider object configured for the emulator in this process, as the engine's process holds it."""
    instance = StartedJobBatchProvider()
    instance.configure(ConfigureRequest(Config(base_config(emulator), "drs-e2e")))
    yield instance


@pytest.fixture
def fast_client(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**FAST_ENV, "PULUMI_DRS_MAX_RETRIES": "0"}.items():
        monkeypatch.setenv(name, value)


def test_check_returns_failures_and_never_raises_for_any_property_bag(
        provider: StartedJobBatchProvider, jobs: Jobs, emulator: EmulatorProcess, fast_client: None) -> None:
    admin = fresh(emulator.admin)

    @settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
    @given(bag=property_bags([jobs.by_placeholder[JOB], jobs.by_placeholder[GONE], jobs.by_placeholder[GHOST]],
                             numbers=HUGE_INTS))
    @example(bag={"job_ids": [jobs.by_placeholder[JOB]], "wait": "running"})  # always one bag that reaches DRS
    def check_any(bag: dict[str, Any]) -> None:
        result = provider.check({}, bag)
        assert isinstance(result, CheckResult)
        assert all(isinstance(f.property, str) and f.property and f.reason for f in result.failures or [])

    check_any()
    log = admin.requests_log()
    assert calls(log, "batch-starting") == []
    assert calls(log, "batch-status"), "no generated bag was valid enough to reach DRS"


def test_checking_the_checked_inputs_again_changes_nothing(
        provider: StartedJobBatchProvider, jobs: Jobs, emulator: EmulatorProcess, fast_client: None) -> None:

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(bag=property_bags([jobs.by_placeholder[JOB], jobs.by_placeholder[GHOST]]))
    def idempotent(bag: dict[str, Any]) -> None:
        once = provider.check({}, bag)
        twice = provider.check({}, once.inputs)
        assert twice.inputs == once.inputs
        if not once.failures:
            assert not twice.failures

    idempotent()

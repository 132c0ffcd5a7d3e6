"""check's validation and normalization: every input, each bad value with the message it gets."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi.output import Unknown

from pulumi_drs.inputs import BatchInputs, Failure, Recorded, contains_unknown, normalize

JOB = "140b5236-88ad-43c8-811c-1268453jb101"
JOB2 = "2c0e8b31-5f1d-4a77-9d0e-77aa1b2jb102"
NOW_MS = 1_800_000_000_000  # 2027-01-15
FUTURE_MS = NOW_MS + 3_600_000


def failures_of(props: dict[str, Any], olds: dict[str, Any] | None = None) -> dict[str, str]:
    _, failures = normalize(props, olds, now_ms=NOW_MS)
    return {f.property: f.reason for f in failures}


BAD_INPUTS: list[tuple[str, dict[str, Any], str, str]] = [
    ("job_ids missing", {}, "job_ids", "is required"),
    ("job_ids empty", {"job_ids": []}, "job_ids", "at least one"),
    ("job_ids a string", {"job_ids": JOB}, "job_ids", "must be a list"),
    ("job_ids a number", {"job_ids": 7}, "job_ids", "must be a list"),
    ("job_ids a dict", {"job_ids": {"a": JOB}}, "job_ids", "must be a list"),
    ("job id not a string", {"job_ids": [JOB, 5]}, "job_ids", "item 1 is a int"),
    ("job id uppercase", {"job_ids": [JOB.upper()]}, "job_ids", "is not a DRS job ID"),
    ("job id too short", {"job_ids": ["140b5236-88ad"]}, "job_ids", "is not a DRS job ID"),
    ("job id with spaces", {"job_ids": [f" {JOB}"]}, "job_ids", "is not a DRS job ID"),
    ("job id empty string", {"job_ids": [""]}, "job_ids", "is not a DRS job ID"),
    ("duplicate job id", {"job_ids": [JOB, JOB2, JOB]}, "job_ids", "listed twice"),
    ("start_time in the past", {"job_ids": [JOB], "start_time": NOW_MS - 3_600_000}, "start_time", "in the past"),
    ("start_time in seconds", {"job_ids": [JOB], "start_time": NOW_MS // 1000}, "start_time", "epoch seconds"),
    ("start_time seconds as string", {"job_ids": [JOB], "start_time": str(NOW_MS // 1000)}, "start_time",
     "epoch seconds"),
    ("start_time garbage", {"job_ids": [JOB], "start_time": "tomorrow"}, "start_time", "neither an ISO-8601"),
    ("start_time naive ISO", {"job_ids": [JOB], "start_time": "2030-01-01T00:00:00"}, "start_time",
     "no timezone"),
    ("start_time naive datetime", {"job_ids": [JOB], "start_time": datetime(2030, 1, 1)}, "start_time",
     "needs a timezone"),
    ("start_time bool", {"job_ids": [JOB], "start_time": True}, "start_time", "not a bool"),
    ("start_time fractional", {"job_ids": [JOB], "start_time": FUTURE_MS + 0.5}, "start_time",
     "not a whole number"),
    ("start_time absurd", {"job_ids": [JOB], "start_time": 10**16}, "start_time", "too large"),
    ("start_time list", {"job_ids": [JOB], "start_time": [FUTURE_MS]}, "start_time", "not list"),
    ("wait unknown mode", {"job_ids": [JOB], "wait": "forever"}, "wait", "not a wait mode"),
    ("wait wrong case", {"job_ids": [JOB], "wait": "Running"}, "wait", "not a wait mode"),
    ("timeout negative", {"job_ids": [JOB], "timeout": -5}, "timeout", "outside"),
    ("timeout zero", {"job_ids": [JOB], "timeout": 0}, "timeout", "outside"),
    ("timeout absurd", {"job_ids": [JOB], "timeout": 10**9}, "timeout", "outside"),
    ("timeout absurd duration", {"job_ids": [JOB], "timeout": "100h"}, "timeout", "outside"),
    ("timeout garbage", {"job_ids": [JOB], "timeout": "soon"}, "timeout", "not seconds or a duration"),
    ("timeout bool", {"job_ids": [JOB], "timeout": True}, "timeout", "not a bool"),
    ("timeout fractional", {"job_ids": [JOB], "timeout": 12.5}, "timeout", "not a whole number"),
    ("stop_on_delete string", {"job_ids": [JOB], "stop_on_delete": "yes"}, "stop_on_delete", "true or false"),
    ("language unknown", {"job_ids": [JOB], "language": "fr-fr"}, "language", "not supported"),
    ("region malformed", {"job_ids": [JOB], "region": "Mars 1"}, "region", "not a Huawei Cloud region"),
    ("project_id malformed", {"job_ids": [JOB], "project_id": "my-project"}, "project_id", "32 lowercase hex"),
    ("endpoint not a URL", {"job_ids": [JOB], "endpoint": "drs.example.com"}, "endpoint", "not an http(s) URL"),
    ("endpoint ftp", {"job_ids": [JOB], "endpoint": "ftp://drs.example.com"}, "endpoint", "not an http(s) URL"),
    ("endpoint with query", {"job_ids": [JOB], "endpoint": "https://drs.example.com/?a=1"}, "endpoint",
     "query or fragment"),
    ("endpoint with bad port", {"job_ids": [JOB], "endpoint": "https://drs.example.com:99999"}, "endpoint",
     "invalid port"),
    ("endpoint a number", {"job_ids": [JOB], "endpoint": 8080}, "endpoint", "must be a string"),
]


@pytest.mark.parametrize(("case", "props", "prop", "expected"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_names_the_property_and_the_reason(case: str, props: dict[str, Any], prop: str,
                                                     expected: str) -> None:
    failures = failures_of(props)
    assert prop in failures, f"{case}: no failure on {prop}, got {failures}"
    assert expected in failures[prop]


def test_endpoint_with_credentials_is_refused_without_echoing_them() -> None:
    failures = failures_of({"job_ids": [JOB], "endpoint": "https://ak:s3cr3t@drs.example.com"})
    assert "must not contain a user name or password" in failures["endpoint"]
    assert "s3cr3t" not in failures["endpoint"]


def test_every_problem_is_reported_at_once() -> None:
    failures = failures_of({"job_ids": [], "wait": "x", "timeout": -1, "language": "de"})
    assert set(failures) == {"job_ids", "wait", "timeout", "language"}


def test_valid_inputs_are_normalized() -> None:
    start = datetime.fromtimestamp(FUTURE_MS / 1000, timezone.utc)
    out, failures = normalize(
        {"job_ids": [JOB, JOB2], "start_time": start.isoformat(), "timeout": "1h30m", "wait": "incremental",
         "endpoint": "http://127.0.0.1:8080/", "region": "ap-southeast-1", "__provider": "blob"},
        now_ms=NOW_MS,
    )
    assert failures == []
    assert out["start_time"] == str(FUTURE_MS)
    assert out["timeout"] == 5400
    assert out["endpoint"] == "http://127.0.0.1:8080"
    assert out["__provider"] == "blob"


@pytest.mark.parametrize("given_time", [FUTURE_MS, str(FUTURE_MS), float(FUTURE_MS),
                                        datetime.fromtimestamp(FUTURE_MS / 1000, timezone.utc),
                                        datetime.fromtimestamp(FUTURE_MS / 1000, timezone.utc)
                                        .strftime("%Y-%m-%dT%H:%M:%SZ")])
def test_start_time_forms_all_become_the_millisecond_string(given_time: object) -> None:
    out, failures = normalize({"job_ids": [JOB], "start_time": given_time}, now_ms=NOW_MS)
    assert failures == []
    assert out["start_time"] == str(FUTURE_MS)


def test_a_start_time_that_passed_stays_valid_when_unchanged() -> None:
    past = str(NOW_MS - 86_400_000)
    assert failures_of({"job_ids": [JOB], "start_time": past}, olds={"start_time": past}) == {}
    assert "start_time" in failures_of({"job_ids": [JOB], "start_time": past}, olds={"start_time": None})


def test_unknown_values_during_preview_are_left_alone() -> None:
    unknown = Unknown()
    out, failures = normalize({"job_ids": [JOB, unknown], "start_time": unknown, "endpoint": unknown},
                              now_ms=NOW_MS)
    assert failures == []
    assert out["job_ids"][1] is unknown
    assert out["start_time"] is unknown
    out, failures = normalize({"job_ids": unknown}, now_ms=NOW_MS)
    assert failures == [] and out["job_ids"] is unknown


def test_checked_inputs_round_trip_and_record_only_what_the_program_set() -> None:
    inputs = BatchInputs.from_checked({"job_ids": [JOB], "timeout": 120.0, "stop_on_delete": True, "__provider": "x"})
    assert BatchInputs.from_checked(inputs.to_props()) == inputs
    assert inputs.to_props() == {"job_ids": [JOB], "timeout": 120, "stop_on_delete": True}
    assert (inputs.effective("wait"), inputs.effective("timeout"), inputs.effective("language")) == ("running", 120,
                                                                                                    None)


def test_settings_inputs_use_the_settings_validator() -> None:
    from pulumi_drs.settings import check_value

    for name, bad in (("region", "Mars 1"), ("project_id", "xyz"), ("endpoint", "ftp://x"), ("language", "de")):
        with pytest.raises(ValueError) as direct:
            check_value(name, bad)
        assert failures_of({"job_ids": [JOB], name: bad})[name] == str(direct.value)
    assert failures_of({"job_ids": [JOB], "region": "test-region-1"}) == {}


job_id_strategy = st.from_regex(r"[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}", fullmatch=True)
anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | job_id_strategy
    | st.datetimes(timezones=st.just(timezone.utc)),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)
keys = st.sampled_from(["job_ids", "start_time", "wait", "timeout", "stop_on_delete", "language", "region",
                        "project_id", "endpoint"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(keys, anything, max_size=9))
def test_normalize_never_raises_only_reports(props: dict[str, Any]) -> None:
    _, failures = normalize(props, now_ms=NOW_MS)
    assert all(f.property in props or f.property == "job_ids" for f in failures)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(job_id_strategy, min_size=1, max_size=5, unique=True),
    st.one_of(st.none(), st.integers(min_value=FUTURE_MS, max_value=FUTURE_MS * 2)),
    st.one_of(st.none(), st.integers(min_value=10, max_value=86_400), st.sampled_from(["45m", "1h", "90s"])),
    st.sampled_from([None, "accepted", "running", "incremental"]),
)
def test_normalizing_twice_changes_nothing(job_ids: list[str], start: int | None, timeout: object,
                                           wait: str | None) -> None:
    props = {"job_ids": job_ids, "start_time": start, "timeout": timeout, "wait": wait}
    once, failures = normalize(props, now_ms=NOW_MS)
    assert failures == []
    twice, failures = normalize(once, olds=once, now_ms=NOW_MS)
    assert failures == []
    assert twice == once


def test_a_start_time_in_the_future_by_the_real_clock_is_accepted() -> None:
    soon = datetime.now(timezone.utc) + timedelta(hours=1)
    _, failures = normalize({"job_ids": [JOB], "start_time": soon})
    assert failures == []


# --- exact messages and boundaries (mutation testing: docs/test-strength.md) ------------------------------

BAD_ID_HINT = "(expected the form 140b5236-88ad-43c8-811c-1268453jb101: lowercase letters and digits)"
EXACT_FAILURES: list[tuple[str, dict[str, Any], str, str]] = [
    ("job_ids missing", {}, "job_ids", "is required: list the DRS job IDs to start"),
    ("job_ids a string", {"job_ids": JOB}, "job_ids", "must be a list of DRS job IDs, got str"),
    ("job_ids empty", {"job_ids": []}, "job_ids", "must list at least one DRS job ID"),
    ("two bad job ids", {"job_ids": ["Bad", JOB, JOB]}, "job_ids",
     f"'Bad' is not a DRS job ID {BAD_ID_HINT}; '{JOB}' is listed twice"),
    ("wait unknown mode", {"job_ids": [JOB], "wait": "forever"}, "wait",
     "'forever' is not a wait mode; use one of accepted, running, incremental"),
    ("timeout bool", {"job_ids": [JOB], "timeout": True}, "timeout",
     "must be seconds or a duration such as '45m', not a bool"),
    ("timeout too short", {"job_ids": [JOB], "timeout": 5}, "timeout", "5 s is outside 10 s to 24 h"),
    ("resource_name not a string", {"job_ids": [JOB], "resource_name": 5}, "resource_name",
     "must be a non-empty string"),
    ("resource_name empty", {"job_ids": [JOB], "resource_name": ""}, "resource_name", "must be a non-empty string"),
    ("start_time just past the grace", {"job_ids": [JOB], "start_time": NOW_MS - 60_001}, "start_time",
     "2027-01-15T07:58:59.999000+00:00 is in the past: give a future time, or leave start_time out to start now"),
    ("start_time in seconds", {"job_ids": [JOB], "start_time": 10**11 - 1}, "start_time",
     "99999999999 looks like epoch seconds; DRS wants milliseconds (99999999999000)"),
    ("start_time bool", {"job_ids": [JOB], "start_time": True}, "start_time",
     "must be a datetime, an ISO-8601 string or epoch milliseconds, not a bool"),
    ("start_time naive datetime", {"job_ids": [JOB], "start_time": datetime(2030, 1, 1)}, "start_time",
     "a datetime needs a timezone (e.g. datetime(..., tzinfo=timezone.utc))"),
    ("start_time at the upper bound", {"job_ids": [JOB], "start_time": 10**14}, "start_time",
     "100000000000000 is too large for epoch milliseconds"),
    ("forward job also in job_ids", {"job_ids": [JOB, JOB2], "forward_job_ids": [JOB2, JOB]}, "forward_job_ids",
     f"{JOB}, {JOB2} is also in job_ids: a DR forward job belongs to the forward batch, not to the backward "
     "batch that waits for it"),
]


@pytest.mark.parametrize(("case", "props", "prop", "reason"), EXACT_FAILURES, ids=[c[0] for c in EXACT_FAILURES])
def test_each_bad_input_gets_exactly_its_message(case: str, props: dict[str, Any], prop: str, reason: str) -> None:
    assert failures_of(props) == {prop: reason}, case


def test_a_start_time_within_the_minute_of_grace_is_accepted() -> None:
    for start in (NOW_MS - 60_000, NOW_MS, NOW_MS + 1_000, 10**14 - 1):
        out, failures = normalize({"job_ids": [JOB], "start_time": start}, now_ms=NOW_MS)
        assert (failures, out["start_time"]) == ([], str(start))


def test_the_earliest_millisecond_value_is_milliseconds_not_seconds() -> None:
    earliest = str(10**11)
    out, failures = normalize({"job_ids": [JOB], "start_time": earliest}, olds={"start_time": earliest},
                              now_ms=NOW_MS)
    assert (failures, out["start_time"]) == ([], earliest)


def test_a_past_start_time_is_refused_when_the_recorded_one_is_unreadable() -> None:
    past = NOW_MS - 86_400_000
    assert set(failures_of({"job_ids": [JOB], "start_time": past}, olds={"start_time": "garbage"})) == {"start_time"}


def test_a_lowercase_z_start_time_is_utc() -> None:
    out, failures = normalize({"job_ids": [JOB], "start_time": "2027-01-15T09:00:00z"}, now_ms=NOW_MS)
    assert (failures, out["start_time"]) == ([], str(FUTURE_MS))  # NOW_MS is 2027-01-15T08:00:00Z


def test_without_now_ms_the_real_clock_decides_what_is_past() -> None:
    yesterday = datetime.now(timezone.utc) - timedelta(days=1)
    _, failures = normalize({"job_ids": [JOB], "start_time": yesterday})
    assert [f.property for f in failures] == ["start_time"]


def test_inputs_after_an_unknown_one_are_still_checked() -> None:
    _, failures = normalize({"job_ids": Unknown(), "wait": "forever", "timeout": 1}, now_ms=NOW_MS)
    assert [f.property for f in failures] == ["wait", "timeout"]
    _, failures = normalize({"job_ids": [Unknown(), "Bad"]}, now_ms=NOW_MS)
    assert failures == [Failure("job_ids", f"'Bad' is not a DRS job ID {BAD_ID_HINT}")]


def test_checked_inputs_come_back_typed_as_declared() -> None:
    inputs = BatchInputs.from_checked({"job_ids": (JOB,), "timeout": 120.0, "forward_job_ids": (JOB2,)})
    assert (inputs.job_ids, inputs.forward_job_ids) == ([JOB], [JOB2])
    assert type(inputs.timeout) is int and inputs.timeout == 120


def test_recorded_results_without_a_job_id_are_ignored() -> None:
    recorded = Recorded.from_outputs({"job_ids": [JOB], "results": [{"status": "failed"}, "junk",
                                                                      {"id": JOB, "status": "success"}]})
    assert recorded.results == {JOB: {"id": JOB, "status": "success"}}
    assert recorded.job_statuses == {}


def test_an_unknown_value_inside_a_mapping_is_unknown() -> None:
    assert contains_unknown({"a": "x", "b": Unknown()}) is True
    assert contains_unknown({"a": "x"}) is False


def test_a_timeout_the_engine_sends_as_a_whole_float_becomes_whole_seconds() -> None:
    out, failures = normalize({"job_ids": [JOB], "timeout": 600.0}, now_ms=NOW_MS)
    assert failures == [] and out["timeout"] == 600 and type(out["timeout"]) is int


@pytest.mark.parametrize(("timeout", "seconds"), [(10, 10), ("24h", 86400), (86400, 86400), ("23h59m59s", 86399)])
def test_a_timeout_at_either_end_of_its_range_is_accepted(timeout: object, seconds: int) -> None:
    out, failures = normalize({"job_ids": [JOB], "timeout": timeout}, now_ms=NOW_MS)
    assert failures == [] and out["timeout"] == seconds


@pytest.mark.parametrize("timeout", [9, 86401, "24h0m1s"])
def test_a_timeout_just_outside_its_range_names_the_range(timeout: object) -> None:
    _, failures = normalize({"job_ids": [JOB], "timeout": timeout}, now_ms=NOW_MS)
    assert [(f.property, f.reason) for f in failures] == [
        ("timeout", f"{9 if timeout == 9 else 86401} s is outside 10 s to 24 h")]

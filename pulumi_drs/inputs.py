"""The inputs of a StartedJobBatch: validation and normalization, once, at the top of each method.

`check` turns the raw property bag the engine sends into `BatchInputs` or into one failure per problem,
each naming its property. Values still unknown during a preview are left alone, never reported.
Normalizing is idempotent: the normalized form of a normalized bag is itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal
from urllib.parse import urlsplit

from pulumi.output import Unknown

from pulumi_drs.settings import LANGUAGES

JOB_ID_RE = re.compile(r"^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$")
"""DRS job IDs: UUID-shaped groups of lowercase letters and digits (`...-1268453jb101`)."""
PROJECT_ID_RE = re.compile(r"^[0-9a-f]{32}$")
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")

WaitMode = Literal["accepted", "running", "incremental"]
WAIT_MODES: tuple[WaitMode, ...] = ("accepted", "running", "incremental")
DEFAULT_TIMEOUT_SECONDS = 60 * 60
MIN_TIMEOUT_SECONDS = 10
MAX_TIMEOUT_SECONDS = 24 * 60 * 60
START_TIME_GRACE_MS = 60_000
"""A start time this little in the past is "now" (clocks drift; DRS starts it at once)."""
EARLIEST_MS = 10**11
"""Below this an epoch value is in seconds (10**11 ms is March 1973; 10**11 s is year 5138)."""

INPUT_KEYS = (
    "job_ids",
    "start_time",
    "wait",
    "timeout",
    "stop_on_delete",
    "language",
    "region",
    "project_id",
    "endpoint",
)


@dataclass(frozen=True)
class Failure:
    property: str
    reason: str


@dataclass(frozen=True)
class BatchInputs:
    """Validated, normalized inputs. Optional settings are None when the program left them out."""

    job_ids: list[str]
    start_time: str | None = None
    wait: WaitMode = "running"
    timeout: int = DEFAULT_TIMEOUT_SECONDS
    stop_on_delete: bool = False
    language: str | None = None
    region: str | None = None
    project_id: str | None = None
    endpoint: str | None = None

    def to_props(self) -> dict[str, Any]:
        props: dict[str, Any] = {key: getattr(self, key) for key in INPUT_KEYS}
        return {key: value for key, value in props.items() if value is not None}

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> BatchInputs:
        """Inputs from a recorded bag (state or checked inputs); raises ValueError if invalid."""
        normalized, failures = normalize(props, olds=props)  # a recorded start time may be past now
        if failures:
            raise ValueError("; ".join(f"{f.property}: {f.reason}" for f in failures))
        return cls(**{k: v for k, v in normalized.items() if k in INPUT_KEYS})


def is_unknown(value: object) -> bool:
    return isinstance(value, Unknown)


def contains_unknown(value: object) -> bool:
    if is_unknown(value):
        return True
    if isinstance(value, (list, tuple)):
        return any(contains_unknown(v) for v in value)
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    return False


def normalize(
    news: Mapping[str, Any], olds: Mapping[str, Any] | None = None, now_ms: int | None = None
) -> tuple[dict[str, Any], list[Failure]]:
    """Normalized copy of `news` (unknown values kept as they are) and the failures found."""
    now = now_ms if now_ms is not None else int(datetime.now(timezone.utc).timestamp() * 1000)
    olds = olds or {}
    out: dict[str, Any] = {k: v for k, v in news.items() if k not in INPUT_KEYS}
    failures: list[Failure] = []
    checks = (
        ("job_ids", _job_ids),
        ("wait", _wait),
        ("timeout", _timeout),
        ("stop_on_delete", _stop_on_delete),
        ("language", _language),
        ("region", _region),
        ("project_id", _project_id),
        ("endpoint", _endpoint),
    )
    for key, fn in checks:
        _apply(key, news, out, failures, fn)
    _apply(key="start_time", news=news, out=out, failures=failures,
           fn=lambda v: _start_time(v, olds.get("start_time"), now))
    return out, failures


def _apply(key: str, news: Mapping[str, Any], out: dict[str, Any], failures: list[Failure], fn: Any) -> None:
    if key not in news or news[key] is None:
        if key == "job_ids":
            failures.append(Failure("job_ids", "is required: list the DRS job IDs to start"))
        return
    value = news[key]
    if is_unknown(value):
        out[key] = value
        return
    try:
        out[key] = fn(value)
    except ValueError as exc:
        failures.append(Failure(key, str(exc)))


def _job_ids(value: object) -> list[Any]:
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"must be a list of DRS job IDs, got {type(value).__name__}")
    if not value:
        raise ValueError("must list at least one DRS job ID")
    problems: list[str] = []
    seen: set[str] = set()
    for index, job_id in enumerate(value):
        if is_unknown(job_id):
            continue
        if not isinstance(job_id, str):
            problems.append(f"item {index} is a {type(job_id).__name__}, not a string")
        elif not JOB_ID_RE.match(job_id):
            problems.append(f"{job_id!r} is not a DRS job ID (expected the form "
                            "140b5236-88ad-43c8-811c-1268453jb101: lowercase letters and digits)")
        elif job_id in seen:
            problems.append(f"{job_id!r} is listed twice")
        else:
            seen.add(job_id)
    if problems:
        raise ValueError("; ".join(problems))
    return list(value)


def _start_time(value: object, old_value: object, now_ms: int) -> str:
    millis = _to_millis(value)
    if not _same_time(old_value, millis) and millis < now_ms - START_TIME_GRACE_MS:
        when = datetime.fromtimestamp(millis / 1000, timezone.utc).isoformat()
        raise ValueError(f"{when} is in the past: give a future time, or leave start_time out to start now")
    return str(millis)


def _same_time(old_value: object, millis: int) -> bool:
    """An unchanged start time stays valid after it passed (the job was scheduled back then)."""
    if old_value is None or is_unknown(old_value):
        return False
    try:
        return _to_millis(old_value) == millis
    except ValueError:
        return False


def _to_millis(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("must be a datetime, an ISO-8601 string or epoch milliseconds, not a bool")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a datetime needs a timezone (e.g. datetime(..., tzinfo=timezone.utc))")
        return int(value.timestamp() * 1000)
    if isinstance(value, int):
        return _checked_millis(value)
    if isinstance(value, float):
        if not value.is_integer():  # also false for inf and nan
            raise ValueError(f"{value!r} is not a whole number of epoch milliseconds")
        return _checked_millis(int(value))
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[0-9]+", text):
            return _checked_millis(int(text))
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{value!r} is neither an ISO-8601 time nor epoch milliseconds") from None
        if parsed.tzinfo is None:
            raise ValueError(f"{value!r} has no timezone: add one, e.g. {text}Z")
        return int(parsed.timestamp() * 1000)
    raise ValueError(f"must be a datetime, an ISO-8601 string or epoch milliseconds, not {type(value).__name__}")


def _checked_millis(millis: int) -> int:
    if millis < EARLIEST_MS:
        raise ValueError(f"{millis} looks like epoch seconds; DRS wants milliseconds ({millis * 1000})")
    if millis >= 10**14:
        raise ValueError(f"{millis} is too large for epoch milliseconds")
    return millis


def _wait(value: object) -> str:
    if value not in WAIT_MODES:
        raise ValueError(f"{value!r} is not a wait mode; use one of {', '.join(WAIT_MODES)}")
    return str(value)


_DURATION_RE = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def _timeout(value: object) -> int:
    """Seconds, from a number of seconds or a duration string such as `45m` or `1h30m`."""
    if isinstance(value, bool):
        raise ValueError("must be seconds or a duration such as '45m', not a bool")
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, float):
        if not value.is_integer():  # also false for inf and nan
            raise ValueError(f"{value!r} is not a whole number of seconds")
        seconds = int(value)
    elif isinstance(value, str) and value.strip() and (match := _DURATION_RE.match(value.strip())):
        hours, minutes, secs = (int(g) if g else 0 for g in match.groups())
        seconds = hours * 3600 + minutes * 60 + secs
    else:
        raise ValueError(f"{value!r} is not seconds or a duration such as '45m' or '1h30m'")
    if not MIN_TIMEOUT_SECONDS <= seconds <= MAX_TIMEOUT_SECONDS:
        raise ValueError(f"{seconds} s is outside {MIN_TIMEOUT_SECONDS} s to {MAX_TIMEOUT_SECONDS // 3600} h")
    return seconds


def _stop_on_delete(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, not {value!r}")
    return value


def _language(value: object) -> str:
    if value not in LANGUAGES:
        raise ValueError(f"{value!r} is not supported; use one of {', '.join(LANGUAGES)}")
    return str(value)


def _region(value: object) -> str:
    if not isinstance(value, str) or not REGION_RE.match(value):
        raise ValueError(f"{value!r} is not a Huawei Cloud region name such as ap-southeast-1")
    return value


def _project_id(value: object) -> str:
    if not isinstance(value, str) or not PROJECT_ID_RE.match(value):
        raise ValueError(f"{value!r} is not a project ID (32 lowercase hex digits)")
    return value


def _endpoint(value: object) -> str:
    return validate_endpoint(value)


def validate_endpoint(value: object) -> str:
    """An http(s) base URL without credentials, query or fragment; trailing slash removed."""
    if not isinstance(value, str):
        raise ValueError(f"must be a URL string, not {type(value).__name__}")
    parts = urlsplit(value.strip())
    if "@" in parts.netloc:
        raise ValueError("must not contain credentials; configure drs:accessKey/drs:secretKey instead")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL such as https://drs.ap-southeast-1.myhuaweicloud.com")
    if parts.query or parts.fragment:
        raise ValueError(f"{value!r} must not have a query or fragment")
    try:
        _ = parts.port
    except ValueError:
        raise ValueError(f"{value!r} has an invalid port") from None
    return value.strip().rstrip("/")

"""The inputs of a StartedJobBatch: validated and normalized once (in `check`), then read through typed views.

`normalize` turns the raw property bag the engine sends into the checked inputs the engine stores, or
into one failure per problem, each naming its property; values still unknown during a preview are left
alone. It is idempotent, and adds no defaults: the recorded inputs hold what the program set, so a
refresh followed by a preview shows only what really differs. Each input is one field of `BatchInputs`
with its validator beside it; settings inputs (region, endpoint, ...) delegate to `settings.check_value`.
`Recorded` reads a batch's recorded outputs. Imports nothing heavy: the program process imports it too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from typing import Any, Literal, cast

from pulumi.output import Unknown

from pulumi_drs.settings import SETTING_DOC, camel, check_value, settings_field

JOB_ID_RE = re.compile(r"^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$")
"""DRS job IDs: UUID-shaped groups of lowercase letters and digits (`...-1268453jb101`). GUESS from the API
reference's examples (starting_tasks_in_batches.rst: `140b5236-...jb101`); no source states the format."""

WaitMode = Literal["accepted", "running", "incremental"]
WAIT_MODES: tuple[WaitMode, ...] = ("accepted", "running", "incremental")
DEFAULT_TIMEOUT_SECONDS = 60 * 60
MIN_TIMEOUT_SECONDS = 10
MAX_TIMEOUT_SECONDS = 24 * 60 * 60
START_TIME_GRACE_MS = 60_000
"""A start time this little in the past is "now" (clocks drift; DRS starts it at once)."""
EARLIEST_MS = 10**11
"""Below this an epoch value is in seconds (10**11 ms is March 1973; 10**11 s is year 5138)."""

Check = Callable[[Any], Any]
STRING: dict[str, Any] = {"type": "string"}
JOB_ID_LIST: dict[str, Any] = {"type": "array", "items": STRING}


def _check(fn: Check | None, default: object = None, *, doc: str, type: dict[str, Any]) -> dict[str, Any]:
    """An input's metadata: its validator (None: `normalize` checks it), its default, what it means (the
    schema's and the SDKs' docs) and its type in Pulumi's schema."""
    return {"check": fn, "default": default, "doc": doc, "type": type}


def _setting(name: str, type: dict[str, Any] = STRING) -> dict[str, Any]:
    """A provider setting the batch may override: checked as the setting is, documented by it."""
    doc = f"Overrides the provider's `{camel(name)}` for this batch. {settings_field(name).metadata[SETTING_DOC]}"
    return {"check": lambda value: check_value(name, value), "setting": True, "doc": doc, "type": type}


def _enum(name: str, values: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """A string enum of the schema: `values` are (value, what it means); the schema makes it a string type."""
    return {"enum_name": name, "enum": [{"value": v, "description": d} for v, d in values]}


@dataclass(frozen=True)
class Failure:
    """One problem with one input, reported by `check` against its property."""

    property: str
    reason: str


def _job_ids(value: object) -> list[Any]:
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"must be a list of DRS job IDs, got {type(value).__name__}")
    if not value:
        raise ValueError("must list at least one DRS job ID")
    problems: list[str] = []
    seen: set[str] = set()
    for index, job_id in enumerate(value):
        if isinstance(job_id, Unknown):
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


def _forward_job_ids(value: object) -> list[Any]:
    """The DR forward jobs a dual-active backward batch waits for: job IDs, as job_ids."""
    return _job_ids(value)


def _name(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("must be a non-empty string")
    return value


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


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, not {value!r}")
    return value


@dataclass(frozen=True)
class BatchInputs:
    """Validated, normalized inputs. Optional ones are None when the program left them out."""

    job_ids: list[str] = field(metadata=_check(_job_ids, doc=(
        "DRS job IDs (the form `140b5236-88ad-43c8-811c-1268453jb101`), each listed once. A job added to the "
        "batch that cannot be started (unknown to DRS, released, a parent task) fails the preview, named."),
        type=JOB_ID_LIST))
    start_time: str | None = field(default=None, metadata=_check(None, doc=(
        "Start the jobs later: an ISO-8601 time with a timezone, or epoch milliseconds (the normalized output is "
        "epoch milliseconds as a string, as DRS takes it). A recorded start time that has passed is never sent "
        "again: a job back in CONFIGURATION later is started now. Default: now."), type=STRING))
    """Epoch milliseconds as a string; checked against the clock and the recorded value in `normalize`."""
    wait: WaitMode | None = field(default=None, metadata=_check(_wait, "running", doc=(
        "What `pulumi up` waits for: `running` (default) until every job runs (or, with a start time, waits for "
        "it); `incremental` until every job is INCRE_TRANSFER_STARTED (a full-load-only job is done at "
        "FULL_TRANSFER_COMPLETE); `accepted` as soon as DRS accepts the requests."),
        type=_enum("WaitMode", [("running", "Until every job runs, or waits for its start time."),
                                ("incremental", "Until every job is INCRE_TRANSFER_STARTED."),
                                ("accepted", "As soon as DRS accepts the requests.")])))
    timeout: int | None = field(default=None, metadata=_check(_timeout, DEFAULT_TIMEOUT_SECONDS, doc=(
        "How long create, update and delete wait: seconds, or a duration such as `45m` or `1h30m` (10 s to "
        "24 h; default 60 minutes). With `customTimeouts` on the resource, the shorter of the two wins."),
        type={"oneOf": [{"type": "integer"}, STRING]}))
    stop_on_delete: bool | None = field(default=None, metadata=_check(_flag, False, doc=(
        "Terminate the jobs (and wait until DRS released them) when the batch is deleted. Default false: "
        "deleting the batch stops nothing."), type={"type": "boolean"}))
    language: str | None = field(default=None, metadata=_setting("language"))
    region: str | None = field(default=None, metadata=_setting("region"))
    project_id: str | None = field(default=None, metadata=_setting("project_id"))
    endpoint: str | None = field(default=None, metadata=_setting("endpoint"))
    api_version: str | None = field(default=None, metadata=_setting("api_version"))
    forward_job_ids: list[str] | None = field(default=None, metadata=_check(_forward_job_ids, doc=(
        "Dual-active DR: the forward jobs of this backward batch (usually the forward batch's `jobIds` output). "
        "Before starting, `pulumi up` waits, within the timeout, until each is INCRE_TRANSFER_STARTED with RPO "
        "and RTO under 60 s; the preview says what is not yet true."), type=JOB_ID_LIST))
    """Dual-active DR: the forward jobs that must replicate (INCRE_TRANSFER_STARTED, RPO and RTO under
    60 s) before this batch's jobs may start."""
    resource_name: str | None = field(default=None, metadata=_check(_name, doc=(
        "The batch's resource name, for messages: the dynamic resource class sets it (a dynamic provider gets "
        "no name); the native provider takes it from the URN."), type=STRING))
    """The batch's resource name, set by the resource class, for messages (a dynamic provider gets no name)."""

    @property
    def wait_mode(self) -> WaitMode:
        return cast(WaitMode, self.effective("wait"))

    @property
    def timeout_seconds(self) -> int:
        return int(self.effective("timeout"))

    def effective(self, key: str) -> Any:
        """An input as it takes effect: left out means its default."""
        value = getattr(self, key)
        return _DEFAULTS.get(key) if value is None else value

    def to_props(self) -> dict[str, Any]:
        """As the engine stores inputs: the keys the program set."""
        return {key: getattr(self, key) for key in INPUT_KEYS if getattr(self, key) is not None}

    def settings(self) -> dict[str, str | None]:
        """The settings this batch overrides, for `Settings.resolve(explicit=...)`."""
        return {key: getattr(self, key) for key in SETTING_KEYS}

    @classmethod
    def from_checked(cls, props: Mapping[str, Any]) -> BatchInputs:
        """The typed view of inputs `normalize` already checked (the engine passes them back as they were)."""
        values = {key: props[key] for key in INPUT_KEYS if props.get(key) is not None}
        if "timeout" in values:
            values["timeout"] = int(values["timeout"])  # numbers cross the engine as floats
        values["job_ids"] = list(values.get("job_ids") or [])
        if "forward_job_ids" in values:
            values["forward_job_ids"] = list(values["forward_job_ids"])
        return cls(**values)

    @property
    def label(self) -> str:
        return self.resource_name or f"batch of {len(self.job_ids)} job(s)"


INPUT_KEYS = tuple(f.name for f in fields(BatchInputs))
SETTING_KEYS = tuple(f.name for f in fields(BatchInputs) if f.metadata.get("setting"))
IN_PLACE_KEYS = tuple(k for k in INPUT_KEYS if k not in ("job_ids", "start_time", "resource_name"))
"""Inputs whose change is an update that calls no DRS API (the name only labels messages)."""
_DEFAULTS = {f.name: f.metadata.get("default") for f in fields(BatchInputs)}


@dataclass(frozen=True)
class Recorded:
    """A batch as its outputs recorded it (state), for diff, update, read and delete."""

    inputs: BatchInputs
    job_statuses: dict[str, str]
    results: dict[str, dict[str, Any]]

    @classmethod
    def from_outputs(cls, outs: Mapping[str, Any]) -> Recorded:
        statuses = outs.get("job_statuses")
        results = [r for r in outs.get("results") or [] if isinstance(r, Mapping) and "id" in r]
        return cls(BatchInputs.from_checked(outs), dict(statuses) if isinstance(statuses, Mapping) else {},
                   {str(r["id"]): dict(r) for r in results})


def unknown() -> Unknown:
    """A value not known until `pulumi up` (the engine shows it as `[unknown]` in a preview)."""
    return Unknown()  # type: ignore[no-untyped-call]


def contains_unknown(value: object) -> bool:
    if isinstance(value, Unknown):
        return True
    if isinstance(value, (list, tuple)):
        return any(contains_unknown(v) for v in value)
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    return False


def normalize(news: Mapping[str, Any], olds: Mapping[str, Any] | None = None,
              now_ms: int | None = None) -> tuple[dict[str, Any], list[Failure]]:
    """Normalized copy of `news` (unknown values and keys that are not inputs kept as they are) and the
    failures found, one per property."""
    now = now_ms if now_ms is not None else int(datetime.now(timezone.utc).timestamp() * 1000)
    olds = olds or {}
    out: dict[str, Any] = {k: v for k, v in news.items() if k not in INPUT_KEYS}
    failures: list[Failure] = []
    for f in fields(BatchInputs):
        value = news.get(f.name)
        if value is None:
            if f.name == "job_ids":
                failures.append(Failure("job_ids", "is required: list the DRS job IDs to start"))
            continue
        if isinstance(value, Unknown):
            out[f.name] = value
            continue
        check: Check = f.metadata["check"] or (lambda v: _start_time(v, olds.get("start_time"), now))
        try:
            out[f.name] = check(value)
        except ValueError as exc:
            failures.append(Failure(f.name, str(exc)))
    failures += _cross_checks(out)
    return out, failures


def _cross_checks(checked: Mapping[str, Any]) -> list[Failure]:
    both = set(_known(checked.get("job_ids"))) & set(_known(checked.get("forward_job_ids")))
    if both:
        return [Failure("forward_job_ids", f"{', '.join(sorted(both))} is also in job_ids: a DR forward job "
                        "belongs to the forward batch, not to the backward batch that waits for it")]
    return []


def _known(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _start_time(value: object, old_value: object, now_ms: int) -> str:
    millis = _to_millis(value)
    if not _same_time(old_value, millis) and millis < now_ms - START_TIME_GRACE_MS:
        when = datetime.fromtimestamp(millis / 1000, timezone.utc).isoformat()
        raise ValueError(f"{when} is in the past: give a future time, or leave start_time out to start now")
    return str(millis)


def _same_time(old_value: object, millis: int) -> bool:
    """An unchanged start time stays valid after it passed (the job was scheduled back then)."""
    if old_value is None or isinstance(old_value, Unknown):
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
        return _parse_millis(value)
    raise ValueError(f"must be a datetime, an ISO-8601 string or epoch milliseconds, not {type(value).__name__}")


def _parse_millis(value: str) -> int:
    text = value.strip()
    if re.fullmatch(r"[0-9]+", text):
        return _checked_millis(int(text))
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise ValueError(f"{value!r} is neither an ISO-8601 time nor epoch milliseconds") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no timezone: add one, e.g. {text}Z")
    return int(parsed.timestamp() * 1000)


def _checked_millis(millis: int) -> int:
    if millis < EARLIEST_MS:
        raise ValueError(f"{millis} looks like epoch seconds; DRS wants milliseconds ({millis * 1000})")
    if millis >= 10**14:
        raise ValueError(f"{millis} is too large for epoch milliseconds")
    return millis

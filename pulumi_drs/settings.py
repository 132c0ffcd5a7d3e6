"""Where region, project, endpoints, credentials and tuning come from, and which credential is in use.

`Settings.resolve` looks each value up in order, first match wins: explicit arguments (snake_case),
Pulumi stack configuration (`drs:camelCase`), then environment variables. `check_value` is the one
validator of region, project ID, endpoints and language: Settings use it (and name the configuration
key and environment variable to set), and so do the resource's inputs (and name the property).
Secrets never appear in a repr: `repr(settings)` shows only which credential kind is configured.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

from pulumi_drs.errors import ConfigurationError

LANGUAGES = ("en-us", "zh-cn")
API_VERSIONS = ("v3", "v5")
"""v3: the documented batch API (default); v5: its successor, in public beta in some regions."""
KNOWN_REGIONS = frozenset(
    {
        "af-north-1", "af-south-1", "ae-ad-1", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
        "ap-southeast-4", "ap-southeast-5", "cn-east-2", "cn-east-3", "cn-east-4", "cn-east-5", "cn-north-1",
        "cn-north-2", "cn-north-4", "cn-north-9", "cn-north-11", "cn-north-12", "cn-south-1", "cn-south-2",
        "cn-south-4", "cn-southwest-2", "cn-southwest-3", "eu-west-0", "eu-west-101", "la-north-2", "la-south-2",
        "me-east-1", "my-kualalumpur-1", "na-mexico-1", "ru-moscow-1", "ru-northwest-2", "sa-brazil-1",
        "tr-west-1",
    }
)
"""Regions the official SDK serves DRS in (huaweicloudsdkdrs 3.1.219); others need an explicit endpoint."""
_EU_REGIONS = frozenset({"eu-west-101"})
"""Regions served from `myhuaweicloud.eu` rather than `myhuaweicloud.com` (SDK DrsRegion.EU_WEST_101:
`https://drs.eu-west-101.myhuaweicloud.eu`)."""
_REGION_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)+$")
_PROJECT_ID_RE = re.compile(r"^[0-9a-f]{32}$")
"""GUESS from the API reference's examples (starting_tasks_in_batches.rst: `054ba152d480d55b2f5dc0069e7ddef0`):
no source states the format; a project ID of another shape fails at preview, loudly."""

ENV_VARS: dict[str, tuple[str, ...]] = {
    "region": ("HW_REGION_NAME",),
    "project_id": ("HW_PROJECT_ID", "HUAWEICLOUD_SDK_PROJECT_ID"),
    "endpoint": ("HW_DRS_ENDPOINT",),
    "iam_endpoint": ("HW_IAM_ENDPOINT",),
    "access_key": ("HW_ACCESS_KEY", "HUAWEICLOUD_SDK_AK"),
    "secret_key": ("HW_SECRET_KEY", "HUAWEICLOUD_SDK_SK"),
    "security_token": ("HW_SECURITY_TOKEN", "HUAWEICLOUD_SDK_SECURITY_TOKEN"),
    "auth_token": ("HW_AUTH_TOKEN",),
    "user_name": ("HW_USER_NAME",),
    "password": ("HW_PASSWORD",),
    "domain_name": ("HW_DOMAIN_NAME",),
    "language": (),
    "api_version": ("HW_DRS_API_VERSION",),
    "max_batch_size": ("PULUMI_DRS_MAX_BATCH_SIZE",),
    "connect_timeout": ("PULUMI_DRS_CONNECT_TIMEOUT",),
    "read_timeout": ("PULUMI_DRS_READ_TIMEOUT",),
    "max_retries": ("PULUMI_DRS_MAX_RETRIES",),
    "backoff_factor": ("PULUMI_DRS_BACKOFF_FACTOR",),
    "backoff_max": ("PULUMI_DRS_BACKOFF_MAX",),
    "retry_deadline_seconds": ("PULUMI_DRS_RETRY_DEADLINE_SECONDS",),
    "poll_interval_max": ("PULUMI_DRS_POLL_INTERVAL_MAX",),
}
"""Per field, the environment variables read, in order."""

SECRET_FIELDS = ("access_key", "secret_key", "security_token", "auth_token", "password")


def config_key(name: str) -> str:
    """The Pulumi configuration key of a field: `project_id` -> `drs:projectId`."""
    head, *rest = name.split("_")
    return "drs:" + head + "".join(part.title() for part in rest)


def where(name: str) -> str:
    """How a user sets a field, for messages: `drs:accessKey/HW_ACCESS_KEY`."""
    return "/".join((config_key(name), *ENV_VARS.get(name, ())))


class CredentialKind(str, Enum):
    AKSK = "AK/SK"
    TEMPORARY_AKSK = "temporary AK/SK"
    TOKEN = "IAM token"
    IAM_PASSWORD = "IAM password"


@dataclass(frozen=True)
class Settings:
    region: str | None = None
    project_id: str | None = None
    endpoint: str | None = None
    """The DRS endpoint; `resolve` fills in the region's default."""
    iam_endpoint: str | None = None
    access_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    security_token: str | None = field(default=None, repr=False)
    auth_token: str | None = field(default=None, repr=False)
    user_name: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    domain_name: str | None = field(default=None, repr=False)
    language: str = "en-us"
    api_version: str = "v3"
    max_batch_size: int = 100
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_retries: int = 6
    backoff_factor: float = 0.5
    backoff_max: float = 20.0
    retry_deadline_seconds: float = 300.0
    poll_interval_max: float = 3.0

    def __post_init__(self) -> None:
        for name in CHECKED:
            value = getattr(self, name)
            if value is not None:
                try:
                    check_value(name, value)
                except ValueError as exc:
                    raise ConfigurationError(f"{name}: {exc}: check {where(name)}", setting=name) from None
        _check_numbers(self)

    def __repr__(self) -> str:
        kind = credential_kind_or_none(self)
        return (
            f"Settings(region={self.region!r}, project_id={self.project_id!r}, endpoint={self.endpoint!r}, "
            f"iam_endpoint={self.iam_endpoint!r}, credentials={kind.value if kind else 'none'!r}, "
            f"language={self.language!r})"
        )

    @property
    def timeout(self) -> tuple[float, float]:
        """(connect, read) seconds, as requests takes them."""
        return (self.connect_timeout, self.read_timeout)

    def secrets(self) -> list[str]:
        """Every configured secret value, for `errors.redact`."""
        values = [getattr(self, name) for name in SECRET_FIELDS]
        return [v for v in values if v]

    @classmethod
    def resolve(
        cls,
        explicit: Mapping[str, object | None] | None = None,
        config: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Settings:
        """Settings from explicit arguments, then `drs:*` stack configuration, then the environment."""
        explicit, config = explicit or {}, config or {}
        env = os.environ if env is None else env
        unknown = sorted(set(explicit) - {f.name for f in fields(cls)})
        if unknown:
            raise ConfigurationError(f"unknown settings: {', '.join(unknown)}")
        values = {f.name: _lookup(f.name, explicit, config, env) for f in fields(cls)}
        typed = {name: _convert(name, value) for name, value in values.items() if value is not None}
        region = typed.get("region")
        if isinstance(region, str):
            cls(region=region)  # validates it, naming the setting
            if "endpoint" not in typed and region not in KNOWN_REGIONS:
                raise ConfigurationError(f"DRS is not known in region {region!r}: set {where('endpoint')} to its "
                                         f"DRS endpoint, or check {where('region')}", setting="region")
            typed.setdefault("endpoint", default_endpoint("drs", region))
            typed.setdefault("iam_endpoint", default_endpoint("iam", region))
        return cls(**typed)


def default_endpoint(service: str, region: str) -> str:
    domain = "myhuaweicloud.eu" if region in _EU_REGIONS else "myhuaweicloud.com"
    return f"https://{service}.{region}.{domain}"


def credential_kind(settings: Settings) -> CredentialKind:
    """The credential in use; when none is complete, a ConfigurationError listing every way to give one."""
    kind = credential_kind_or_none(settings)
    if kind is None:
        raise ConfigurationError(_no_credentials_message(settings))
    return kind


def credential_kind_or_none(settings: Settings) -> CredentialKind | None:
    if settings.access_key and settings.secret_key:
        return CredentialKind.TEMPORARY_AKSK if settings.security_token else CredentialKind.AKSK
    if settings.auth_token:
        return CredentialKind.TOKEN
    if settings.user_name and settings.password and settings.domain_name:
        return CredentialKind.IAM_PASSWORD
    return None


def _no_credentials_message(settings: Settings) -> str:
    present = [config_key(n) for n in (*SECRET_FIELDS, "user_name", "domain_name") if getattr(settings, n)]
    found = f" Only {', '.join(present)} is set." if present else " None is set."
    return (
        "No complete Huawei Cloud credentials for DRS. Provide one of:\n"
        f"  - AK/SK: {where('access_key')} and {where('secret_key')}\n"
        f"  - temporary AK/SK: the above and {where('security_token')}\n"
        f"  - an IAM token: {where('auth_token')}\n"
        f"  - an IAM user: {where('user_name')}, {where('password')} and {where('domain_name')}\n"
        f"Values are read from explicit arguments, then Pulumi config, then the environment.{found}"
    )


def _lookup(name: str, explicit: Mapping[str, object | None], config: Mapping[str, str],
            env: Mapping[str, str]) -> object | None:
    candidates: list[object | None] = [explicit.get(name), config.get(config_key(name))]
    candidates += [env.get(var) for var in ENV_VARS.get(name, ())]
    return next((c for c in candidates if c is not None and c != ""), None)


_NUMBER_TYPES: dict[str, type[int] | type[float]] = {
    "max_batch_size": int,
    "max_retries": int,
    "connect_timeout": float,
    "read_timeout": float,
    "backoff_factor": float,
    "backoff_max": float,
    "retry_deadline_seconds": float,
    "poll_interval_max": float,
}


def _convert(name: str, value: object) -> Any:
    kind = _NUMBER_TYPES.get(name)
    if kind is not None:
        try:
            return kind(value if isinstance(value, (int, float)) else str(value).strip())
        except ValueError:
            raise ConfigurationError(f"{name} must be a number, got {value!r}: check {where(name)}",
                                     setting=name) from None
    text = str(value).strip()
    if name in ("language", "api_version"):
        return text.lower()
    return text.rstrip("/") if name.endswith("endpoint") else text


_MINIMUMS: dict[str, float] = {
    "max_batch_size": 1,
    "max_retries": 0,
    "connect_timeout": 0.001,
    "read_timeout": 0.001,
    "backoff_factor": 0,
    "backoff_max": 0,
    "retry_deadline_seconds": 0,
    "poll_interval_max": 0.001,
}


def _check_numbers(settings: Settings) -> None:
    for name, minimum in _MINIMUMS.items():
        value = getattr(settings, name)
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not math.isfinite(value) or value < minimum:
            raise ConfigurationError(f"{name} must be a number of at least {minimum}, got {value!r}: "
                                     f"check {where(name)}", setting=name)


CHECKED = ("region", "project_id", "endpoint", "iam_endpoint", "language", "api_version")
"""The settings `check_value` validates (and a resource may set as an input)."""


def check_value(name: str, value: object) -> str:
    """The normalized value of a region, project ID, endpoint or language; ValueError says what is wrong."""
    if not isinstance(value, str):
        raise ValueError(f"must be a string, not {type(value).__name__}")
    if name == "region":
        if not _REGION_RE.match(value):
            raise ValueError(f"{value!r} is not a Huawei Cloud region name such as ap-southeast-1")
        return value
    if name == "project_id":
        if not _PROJECT_ID_RE.match(value):
            raise ValueError(f"{value!r} is not a project ID (32 lowercase hex digits)")
        return value
    if name == "language":
        if value not in LANGUAGES:
            raise ValueError(f"{value!r} is not supported; use one of {', '.join(LANGUAGES)}")
        return value
    if name == "api_version":
        if value not in API_VERSIONS:
            raise ValueError(f"{value!r} is not a DRS API version pulumi-drs speaks; use one of "
                             f"{', '.join(API_VERSIONS)}")
        return value
    return _check_url(value)


def _check_url(url: str) -> str:
    """An http(s) base URL without credentials, query or fragment; trailing slash removed."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain a user name or password; configure drs:accessKey/drs:secretKey instead")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        shown = url if len(url) <= 80 else url[:80] + "..."
        raise ValueError(f"{shown!r} is not an http(s) URL such as https://drs.ap-southeast-1.myhuaweicloud.com")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise ValueError(f"{url!r} must not have a query or fragment")
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise ValueError(f"{url!r} has an invalid port (0 to 65535)") from None
    return url.rstrip("/")

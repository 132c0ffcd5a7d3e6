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
from dataclasses import Field, dataclass, field, fields
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

SETTING_DOC = "doc"
SETTING_ENV = "env"
SETTING_SECRET = "secret"


def _setting(default: object, doc: str, *env: str, secret: bool = False) -> Any:
    """A field of `Settings`: its default, what it means (the schema's and README's text), the environment
    variables read for it in order, and whether it is a secret (never shown, redacted, secret in state)."""
    return field(default=default, repr=not secret,
                 metadata={SETTING_DOC: doc, SETTING_ENV: env, SETTING_SECRET: secret})


def config_key(name: str) -> str:
    """The Pulumi configuration key of a field: `project_id` -> `drs:projectId`."""
    return "drs:" + camel(name)


def camel(name: str) -> str:
    """Pulumi's spelling of a name: `project_id` -> `projectId`."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def where(name: str) -> str:
    """How a user sets a field, for messages: `drs:accessKey/HW_ACCESS_KEY`."""
    return "/".join((config_key(name), *ENV_VARS[name]))


class CredentialKind(str, Enum):
    AKSK = "AK/SK"
    TEMPORARY_AKSK = "temporary AK/SK"
    TOKEN = "IAM token"
    IAM_PASSWORD = "IAM password"


@dataclass(frozen=True)
class Settings:
    region: str | None = _setting(
        None, "Huawei Cloud region of the DRS jobs, such as `ap-southeast-1`: it chooses the default DRS and IAM "
        "endpoints and, when `projectId` is unset, the project looked up through IAM.", "HW_REGION_NAME")
    project_id: str | None = _setting(
        None, "Project ID (32 hexadecimal digits); looked up from the region through IAM when unset.",
        "HW_PROJECT_ID", "HUAWEICLOUD_SDK_PROJECT_ID")
    endpoint: str | None = _setting(
        None, "DRS endpoint; default `https://drs.{region}.myhuaweicloud.com` (`.eu` for eu-west-101), or a local "
        "emulator's URL.", "HW_DRS_ENDPOINT")
    iam_endpoint: str | None = _setting(
        None, "IAM endpoint, for password tokens and the project lookup; default "
        "`https://iam.{region}.myhuaweicloud.com`.", "HW_IAM_ENDPOINT")
    access_key: str | None = _setting(
        None, "Access key (AK) of AK/SK request signing (SDK-HMAC-SHA256), with `secretKey`.",
        "HW_ACCESS_KEY", "HUAWEICLOUD_SDK_AK", secret=True)
    secret_key: str | None = _setting(
        None, "Secret key (SK) of AK/SK request signing.", "HW_SECRET_KEY", "HUAWEICLOUD_SDK_SK", secret=True)
    security_token: str | None = _setting(
        None, "Security token of a temporary AK/SK.", "HW_SECURITY_TOKEN", "HUAWEICLOUD_SDK_SECURITY_TOKEN",
        secret=True)
    auth_token: str | None = _setting(
        None, "A ready IAM token, sent as `X-Auth-Token` instead of signing with AK/SK.", "HW_AUTH_TOKEN", secret=True)
    user_name: str | None = _setting(
        None, "IAM user name: with `password` and `domainName`, pulumi-drs fetches project-scoped IAM tokens "
        "(cached until 5 minutes before they expire).", "HW_USER_NAME", secret=False)
    password: str | None = _setting(None, "Password of the IAM user.", "HW_PASSWORD", secret=True)
    domain_name: str | None = _setting(None, "Account (domain) name of the IAM user.", "HW_DOMAIN_NAME")
    language: str = _setting("en-us", "Language of DRS's messages: `en-us` (default) or `zh-cn` (`X-Language`).")
    api_version: str = _setting(
        "v3", "DRS API version: `v3` (default: the documented batch API) or `v5` (public beta in some regions; "
        "about ten times the requests).", "HW_DRS_API_VERSION")
    max_batch_size: int = _setting(100, "Jobs per DRS request, at most (DRS takes 100).", "PULUMI_DRS_MAX_BATCH_SIZE")
    connect_timeout: float = _setting(10.0, "Seconds to wait for a connection to DRS or IAM.",
                                      "PULUMI_DRS_CONNECT_TIMEOUT")
    read_timeout: float = _setting(60.0, "Seconds to wait for an answer from DRS or IAM.", "PULUMI_DRS_READ_TIMEOUT")
    max_retries: int = _setting(6, "Tries after the first of a request that failed for a passing reason "
                                "(a call that changes jobs is re-sent only after DRS was asked what took effect).",
                                "PULUMI_DRS_MAX_RETRIES")
    backoff_factor: float = _setting(0.5, "Seconds of the first pause between tries; each next one doubles "
                                     "(with jitter).", "PULUMI_DRS_BACKOFF_FACTOR")
    backoff_max: float = _setting(20.0, "Longest pause between tries, seconds.", "PULUMI_DRS_BACKOFF_MAX")
    retry_deadline_seconds: float = _setting(300.0, "Seconds after a request's first failure past which it is not "
                                             "tried again.", "PULUMI_DRS_RETRY_DEADLINE_SECONDS")
    poll_interval_max: float = _setting(3.0, "Longest pause between status reads while `pulumi up` waits, seconds.",
                                        "PULUMI_DRS_POLL_INTERVAL_MAX")

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
        config: Mapping[str, object] | None = None,
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


def settings_field(name: str) -> Field[Any]:
    """The field of `Settings` named `name`, with its metadata (doc, environment variables, secrecy)."""
    return next(f for f in fields(Settings) if f.name == name)


ENV_VARS: dict[str, tuple[str, ...]] = {f.name: f.metadata[SETTING_ENV] for f in fields(Settings)}
"""Per field, the environment variables read, in order."""
SECRET_FIELDS = tuple(f.name for f in fields(Settings) if f.metadata[SETTING_SECRET])


@dataclass(frozen=True)
class ProviderConfig:
    """A provider's settings as one Configure gave them: the one value every step of a provider process
    starts from. `settings` adds a resource's own overrides (region, endpoint, ...), then this
    configuration, then the environment; defaults that follow from the region are derived there."""

    values: Mapping[str, object] = field(default_factory=dict)
    """By Pulumi config key (`drs:region`), the values Configure gave (stack config or a provider's inputs)."""
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
    """The fallback: the provider process's environment (`HW_*` and `PULUMI_DRS_*` variables)."""
    unknown: frozenset[str] = frozenset()
    """Config keys whose values are not known yet (a preview of a provider configured from another
    resource's outputs): DRS cannot be asked anything with them."""

    @classmethod
    def read(cls, config: Mapping[str, object | None], env: Mapping[str, str] | None = None,
             unknown: frozenset[str] = frozenset()) -> ProviderConfig:
        """From `drs:*` configuration (Pulumi config keys; unset and empty values left out)."""
        values = {key: value for key, value in config.items() if value is not None and value != ""}
        return cls(values, os.environ if env is None else env, unknown)

    def __repr__(self) -> str:
        return f"ProviderConfig(keys={sorted(self.values)!r})"

    def settings(self, overrides: Mapping[str, object | None] | None = None) -> Settings:
        """The settings of one step: a resource's own overrides (snake_case names), this configuration, the
        environment."""
        return Settings.resolve(explicit=overrides, config=self.values, env=self.env)

    def secrets(self) -> list[str]:
        """Every secret value in the configuration or the environment, chosen or not, for `errors.redact`."""
        seen = [self.values.get(config_key(n)) for n in SECRET_FIELDS]
        seen += [self.env.get(v) for n in SECRET_FIELDS for v in ENV_VARS[n]]
        return list(dict.fromkeys(str(v) for v in seen if v))


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


def _lookup(name: str, explicit: Mapping[str, object | None], config: Mapping[str, object],
            env: Mapping[str, str]) -> object | None:
    candidates: list[object | None] = [explicit.get(name), config.get(config_key(name))]
    candidates += [env.get(var) for var in ENV_VARS[name]]
    return next((c for c in candidates if c is not None and c != ""), None)


@dataclass(frozen=True)
class _Number:
    """What a number setting must be: its kind, and the least value it may take."""

    kind: type[int] | type[float]
    minimum: float


_NUMBERS: dict[str, _Number] = {
    "max_batch_size": _Number(int, 1),
    "max_retries": _Number(int, 0),
    "connect_timeout": _Number(float, 0.001),
    "read_timeout": _Number(float, 0.001),
    "backoff_factor": _Number(float, 0),
    "backoff_max": _Number(float, 0),
    "retry_deadline_seconds": _Number(float, 0),
    "poll_interval_max": _Number(float, 0.001),
}


def _convert(name: str, value: object) -> Any:
    rule = _NUMBERS.get(name)
    if rule is not None:
        kind = rule.kind
        number = _as_number(value)
        if number is None or (kind is int and not number.is_integer()):
            wanted = "a whole number" if kind is int else "a number"
            raise ConfigurationError(f"{name} must be {wanted}, got {value!r}: check {where(name)}", setting=name)
        return kind(number)
    text = str(value).strip()
    if name in ("language", "api_version"):
        return text.lower()
    return text.rstrip("/") if name.endswith("endpoint") else text


def _as_number(value: object) -> float | None:
    """A number from configuration (text) or a provider's inputs (a number; protobuf sends every number as a
    float); None for anything else, a bool included (`true` is not 1 retry)."""
    if isinstance(value, bool):
        return None
    try:
        return float(str(value))  # a huge int becomes inf (then refused), not an OverflowError
    except ValueError:
        return None


def _check_numbers(settings: Settings) -> None:
    for name, rule in _NUMBERS.items():
        value = getattr(settings, name)
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not math.isfinite(value) or value < rule.minimum:
            raise ConfigurationError(f"{name} must be a number of at least {rule.minimum}, got {value!r}: "
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

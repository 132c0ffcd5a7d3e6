"""The exceptions pulumi-drs raises, the one translation from an HTTP error answer, and `redact`.

    DrsError                        status_code, error_code, job_id, request_id, retry_after
    ├── TransportError              no HTTP answer at all (the request may or may not have arrived)
    │   ├── ConnectError            could not connect (DNS, refused, TLS): nothing was sent
    │   ├── ReadTimeoutError        sent, but no answer within the read timeout
    │   └── ConnectionDroppedError  sent, then the connection closed before the answer
    ├── ConfigurationError          missing credentials, region or project; malformed endpoint
    └── ApiError                    DRS, its API gateway or IAM answered with an error
        ├── AuthenticationError     401, or a code meaning AUTH (APIGW.0301, APIGW.0303, DRS.M00100)
        ├── PermissionDeniedError   403, or PERMISSION / PROJECT (DRS.M00102, DRS.M00103, DRS.M00261)
        ├── JobNotFoundError        NOT_FOUND (DRS.M05003, DRS.M05004, DRS.M00289)
        ├── JobStatusError          STATUS (DRS.M00304): the job's status does not allow the call
        ├── ThrottledError          429, or THROTTLED (DRS.M01503, APIG.0308)
        ├── ServerError             5xx, SERVER, or a success answer that cannot be read
        └── RequestError            any other 4xx

What each code means, and the advice for it, is in `semantics.CODES`; this module only maps a
meaning to its class. `error_from_response` is the only place an HTTP error answer becomes an
exception; transport failures are translated in exactly one place, `api/transport.py`. Every message
names the HTTP status, the DRS code, the job where there is one, and what the user can do; none may
contain a secret, so messages pass through `redact` before they are built into an exception.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Literal
from urllib.parse import quote

from pulumi_drs.semantics import CREDENTIAL_HINT, PERMISSION_HINT, Meaning, code_fact, sentence

REDACTED = "***"


Service = Literal["DRS", "IAM"]
"""Who answered (or did not): DRS, or IAM at drs:iamEndpoint (tokens, the project lookup)."""


class DrsError(Exception):
    retryable: ClassVar[bool] = False
    """Whether the same request may succeed later without any change by the user."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        error_code: str | None = None,
        job_id: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.error_code = error_code
        self.job_id = job_id
        self.request_id = request_id
        self.retry_after = retry_after
        """Seconds the server asked us to wait (`Retry-After`), if it did."""

    def __str__(self) -> str:
        return self.message

    def brief(self) -> str:
        """A few words for a log line or a synthesized result: class, status and code."""
        parts = [type(self).__name__]
        if self.status_code is not None:
            parts.append(f"HTTP {self.status_code}")
        if self.error_code:
            parts.append(self.error_code)
        return " ".join(parts)


class TransportError(DrsError):
    retryable = True
    retries_exhausted = False
    """Whether the adapter already retried the request as often as allowed (then nothing retries it again)."""


class ConnectError(TransportError):
    pass


class ReadTimeoutError(TransportError):
    pass


class ConnectionDroppedError(TransportError):
    pass


class ConfigurationError(DrsError):
    def __init__(self, message: str, *, setting: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.setting = setting
        """The settings field at fault (`region`, `project_id`, ...), when there is one."""


class ApiError(DrsError):
    pass


class AuthenticationError(ApiError):
    pass


class PermissionDeniedError(ApiError):
    pass


class JobNotFoundError(ApiError):
    pass


class JobStatusError(ApiError):
    pass


class ThrottledError(ApiError):
    retryable = True


class ServerError(ApiError):
    retryable = True


class RequestError(ApiError):
    pass


# --- classification: DRS's codes are known in `semantics`; here each meaning gets its exception class ----

_CLASS_BY_MEANING: dict[Meaning, type[ApiError]] = {
    Meaning.AUTH: AuthenticationError,
    Meaning.PERMISSION: PermissionDeniedError,
    Meaning.PROJECT: PermissionDeniedError,
    Meaning.NOT_FOUND: JobNotFoundError,
    Meaning.STATUS: JobStatusError,
    Meaning.THROTTLED: ThrottledError,
    Meaning.SERVER: ServerError,
}

_ADVICE_BY_CLASS: dict[type[ApiError], str] = {
    AuthenticationError: CREDENTIAL_HINT,
    PermissionDeniedError: PERMISSION_HINT,
    JobNotFoundError: "check the job ID and region, or remove it from job_ids",
    JobStatusError: "the job's current status does not allow this call: check the job in the DRS "
    "console, then run again",
    ThrottledError: "DRS is throttling requests: retry later, or run fewer updates at once",
    ServerError: "DRS had an internal problem: retry later",
    RequestError: "DRS rejected the request: check the job IDs and inputs",
}


def error_class(status_code: int, error_code: str | None) -> type[ApiError]:
    """The class for an error answer: by DRS or gateway code first, then by HTTP status."""
    fact = code_fact(error_code)
    if fact is not None and fact.meaning in _CLASS_BY_MEANING:
        return _CLASS_BY_MEANING[fact.meaning]
    if status_code == 401:
        return AuthenticationError
    if status_code == 403:
        return PermissionDeniedError
    if status_code == 429:
        return ThrottledError
    if status_code >= 500:
        return ServerError
    return RequestError


def error_from_response(
    status_code: int,
    body: bytes | str | None,
    *,
    operation: str,
    service: Service = "DRS",
    headers: Mapping[str, str] | None = None,
    secrets: Iterable[str | None] = (),
) -> ApiError:
    """The exception for one HTTP error answer (the caller raises it); `service` names who answered.

    The body is DRS's `{"error_code","error_msg"}`, the gateway's (which adds `request_id`), IAM's
    Keystone-style `{"error":{"message"}}`, or a batch body whose `results[i]` carry the codes.
    """
    headers = headers or {}
    found = _parse_error_body(body)
    cls = error_class(status_code, found.code)
    fact = code_fact(found.code)
    advice = fact.advice if fact is not None else _ADVICE_BY_CLASS[cls]
    text = _message(operation, service, status_code, found, advice)
    request_id = found.request_id or _header(headers, "X-Request-Id")
    return cls(
        redact(text, secrets),
        status_code=status_code,
        error_code=found.code,
        job_id=found.job_id,
        request_id=request_id,
        retry_after=parse_retry_after(_header(headers, "Retry-After")),
    )


class _Found:
    def __init__(self) -> None:
        self.code: str | None = None
        self.msg: str | None = None
        self.job_id: str | None = None
        self.more_jobs = 0
        self.request_id: str | None = None


def _parse_error_body(body: bytes | str | None) -> _Found:
    found = _Found()
    try:
        data: Any = json.loads(body) if body else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        found.msg = _snippet(body)
        return found
    found.code, found.msg = _str(data.get("error_code")), _str(data.get("error_msg"))
    found.request_id = _str(data.get("request_id"))
    keystone = data.get("error")
    if found.msg is None and isinstance(keystone, dict):
        found.msg = _str(keystone.get("message"))
    if found.code is None:
        _take_batch_items(data.get("results"), found)
    return found


def _take_batch_items(results: object, found: _Found) -> None:
    """A batch-shaped body: the first item with an error code speaks for the rest."""
    if not isinstance(results, list):
        return
    failing = [r for r in results if isinstance(r, dict) and r.get("error_code")]
    if not failing:
        return
    first = failing[0]
    found.code, found.job_id = _str(first.get("error_code")), _str(first.get("id"))
    found.msg = _str(first.get("error_msg")) or _str(first.get("error_message"))
    found.more_jobs = len(failing) - 1


def _message(operation: str, service: Service, status_code: int, found: _Found, advice: str) -> str:
    head = f"{operation}: {service} answered HTTP {status_code}"
    if found.code:
        head += f" {found.code}"
    if found.job_id:
        head += f" for job {found.job_id}"
        if found.more_jobs:
            head += f" (and {found.more_jobs} more)"
    detail = (found.msg or "").strip().rstrip(".")
    return f"{head}: {detail}. {sentence(advice)}" if detail else f"{head}. {sentence(advice)}"


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` value: a number (fractions allowed) or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    return max(0.0, email.utils.mktime_tz(parsed) - time.time())


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _snippet(body: bytes | str | None, limit: int = 200) -> str | None:
    if not body:
        return None
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = " ".join(text.split())
    return text[:limit] + ("..." if len(text) > limit else "")


# --- redaction -------------------------------------------------------------------------------

_SECRET_PATTERNS = (
    re.compile(r"(Signature=)[0-9A-Fa-f]+"),
    re.compile(r"(?i)\b(x-auth-token|x-subject-token|x-security-token|authorization)(\"?\s*[:=]\s*\"?)[^\s\",;}]+"),
    re.compile(r"(?i)(\"(?:password|secret_?key|security_?token|auth_?token|token)\"\s*:\s*\")[^\"]*"),
)


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every given secret (and its URL-encoded form) and every signature or token-bearing
    header value replaced by `***`."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
        encoded = quote(secret, safe="")
        if encoded != secret:
            text = text.replace(encoded, REDACTED)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + (m.group(2) if m.lastindex == 2 else "") + REDACTED, text)
    return text

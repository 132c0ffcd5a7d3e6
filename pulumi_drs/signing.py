"""SDK-HMAC-SHA256 request signing, as the official Huawei Cloud SDK signs.

Pure functions over method, path, query, headers and body, so the client (which signs) and the
emulator (which recomputes and checks) share one implementation, and a test compares it with the
official SDK's `Signer` on the same request and date. Algorithm: ../shared/reference/drs-api.md 6.2.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import quote, unquote

ALGORITHM = "SDK-HMAC-SHA256"
DATE_HEADER = "X-Sdk-Date"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
CONTENT_SHA256_HEADER = "X-Sdk-Content-Sha256"
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_CLOCK_SKEW_SECONDS = 15 * 60
"""The gateway rejects an `X-Sdk-Date` further than this from its own clock."""

QueryParams = Sequence[tuple[str, str]]


def format_sdk_date(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime(DATE_FORMAT)


def parse_sdk_date(value: str) -> datetime:
    return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=timezone.utc)


def canonical_uri(path: str) -> str:
    """Each segment unquoted then quoted (safe `~`), with a trailing slash added."""
    encoded = "/".join(quote(segment, safe="~") for segment in unquote(path).split("/"))
    return encoded if encoded.endswith("/") else encoded + "/"


def canonical_query(query: QueryParams) -> str:
    pairs = sorted((quote(k, safe="~"), quote(v, safe="~")) for k, v in query)
    return "&".join(f"{k}={v}" for k, v in pairs)


def signable_header_names(headers: Mapping[str, str]) -> list[str]:
    """Every header present, lowercased and sorted; the SDK skips names that contain `_`."""
    return sorted(name.lower() for name in headers if "_" not in name)


def payload_hash(headers: Mapping[str, str], body: bytes) -> str:
    if not body:
        return EMPTY_BODY_SHA256
    declared = _get(headers, CONTENT_SHA256_HEADER)
    return declared if declared else hashlib.sha256(body).hexdigest()


def canonical_request(
    method: str,
    path: str,
    query: QueryParams,
    headers: Mapping[str, str],
    signed_headers: Sequence[str],
    body: bytes,
) -> str:
    lowered = {name.lower(): str(value).strip() for name, value in headers.items()}
    canonical_headers = "".join(f"{name}:{lowered[name]}\n" for name in signed_headers)
    return "\n".join(
        [
            method.upper(),
            canonical_uri(path),
            canonical_query(query),
            canonical_headers,
            ";".join(signed_headers),
            payload_hash(headers, body),
        ]
    )


def string_to_sign(canonical: str, sdk_date: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{sdk_date}\n{digest}"


def signature(secret_key: str, to_sign: str) -> str:
    return hmac.new(secret_key.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization_header(access_key: str, signed_headers: Sequence[str], sig: str) -> str:
    return f"{ALGORITHM} Access={access_key}, SignedHeaders={';'.join(signed_headers)}, Signature={sig}"


def sign(
    method: str,
    path: str,
    query: QueryParams,
    headers: Mapping[str, str],
    body: bytes,
    access_key: str,
    secret_key: str,
) -> str:
    """The `Authorization` value for a request whose headers already hold X-Sdk-Date and Host."""
    names = signable_header_names(headers)
    canonical = canonical_request(method, path, query, headers, names, body)
    sdk_date = _get(headers, DATE_HEADER)
    if sdk_date is None:
        raise ValueError(f"{DATE_HEADER} must be set before signing")
    return authorization_header(access_key, names, signature(secret_key, string_to_sign(canonical, sdk_date)))


@dataclass(frozen=True)
class ParsedAuthorization:
    access_key: str
    signed_headers: list[str] = field(default_factory=list)
    signature: str = field(default="", repr=False)


_AUTH_RE = re.compile(
    r"^SDK-HMAC-SHA256\s+Access=(?P<ak>[^,\s]+),\s*SignedHeaders=(?P<sh>[^,\s]+),\s*Signature=(?P<sig>[0-9a-fA-F]+)$"
)


def parse_authorization(value: str) -> ParsedAuthorization | None:
    """None when the header is not an SDK-HMAC-SHA256 authorization."""
    match = _AUTH_RE.match(value.strip())
    if match is None:
        return None
    return ParsedAuthorization(match["ak"], match["sh"].split(";"), match["sig"])  # signatures_match ignores case


def expected_signature(
    method: str,
    path: str,
    query: QueryParams,
    headers: Mapping[str, str],
    body: bytes,
    parsed: ParsedAuthorization,
    secret_key: str,
) -> str | None:
    """What the signature must be, recomputed from the headers the request says it signed; None when the
    request lacks X-Sdk-Date or a header it says it signed (it cannot match: refused, not guessed at)."""
    sdk_date = _get(headers, DATE_HEADER)
    present = {name.lower() for name in headers}
    if sdk_date is None or not set(parsed.signed_headers) <= present:
        return None
    canonical = canonical_request(method, path, query, headers, parsed.signed_headers, body)
    return signature(secret_key, string_to_sign(canonical, sdk_date))


def signatures_match(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.lower(), given.lower())


def _get(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None

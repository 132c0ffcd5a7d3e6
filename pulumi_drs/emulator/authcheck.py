"""Who may call: the API gateway's checks, on the exact bytes the request arrived with.

AK/SK: the `Authorization` header must name the emulator's access key and carry the signature that
`signing.expected_signature` computes over the raw path, query, the headers it says it signed and the
body; X-Sdk-Date must be present and within 15 minutes (else APIGW.0303). Token: `X-Auth-Token` must be
one IAM issued and still valid, or the fixed `--auth-token`. An `X-Project-Id` header, when sent, must
name the project of the path. Comparisons of secrets are constant-time; nothing here logs.
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pulumi_drs import signing
from pulumi_drs.emulator import exceptions as exc
from pulumi_drs.emulator.config import Clock
from pulumi_drs.emulator.iam import Iam

AuthKind = Literal["aksk", "token"]
_PROJECT_IN_PATH = re.compile(r"^/v\d+/(?P<project>[^/]+)/jobs(/|$)")
"""Any DRS API version: `/v3/{project_id}/jobs...`, `/v5/{project_id}/jobs...`."""
_AKSK_FAIL = "Incorrect IAM authentication information: verify aksk signature fail"
_TOKEN_FAIL = "Incorrect IAM authentication information: decrypt token fail"
_NO_AUTH = "Incorrect IAM authentication information: Authorization or X-Auth-Token not found"


@dataclass(frozen=True)
class RawRequest:
    method: str
    raw_path: str
    """The path exactly as sent (still percent-encoded), without the query."""
    query: list[tuple[str, str]]
    headers: Mapping[str, str] = field(repr=False)
    """Lowercased names."""
    body: bytes = field(repr=False)
    request_id: str = ""


class Authenticator:
    def __init__(self, access_key: str, secret_key: str, iam: Iam, clock: Clock = time.time) -> None:
        self._access_key = access_key
        self._secret_key = secret_key
        self._iam = iam
        self._clock = clock

    def authenticate(self, request: RawRequest) -> AuthKind:
        """How the request authenticated; raises the gateway's 401 (or DRS's 403 for the project)."""
        authorization = request.headers.get("authorization")
        token = request.headers.get("x-auth-token")
        if authorization is not None:
            self._check_signature(request, authorization)
            kind: AuthKind = "aksk"
        elif token is not None:
            if not self._iam.token_is_valid(token):
                raise exc.GatewayAuthFailed(_TOKEN_FAIL, request.request_id)
            kind = "token"
        else:
            raise exc.GatewayAuthFailed(_NO_AUTH, request.request_id)
        _check_project_header(request)
        return kind

    def _check_signature(self, request: RawRequest, authorization: str) -> None:
        parsed = signing.parse_authorization(authorization)
        fail = exc.GatewayAuthFailed(_AKSK_FAIL, request.request_id)
        if parsed is None:
            raise fail
        known_key = hmac.compare_digest(parsed.access_key.encode(), self._access_key.encode())
        sdk_date = request.headers.get(signing.DATE_HEADER.lower())
        signed_at = _parse_date(sdk_date)
        if not known_key or signed_at is None:
            raise fail
        expected = signing.expected_signature(
            request.method,
            request.raw_path,
            request.query,
            request.headers,
            request.body,
            parsed,
            self._secret_key,
        )
        if expected is None or not signing.signatures_match(expected, parsed.signature):
            raise fail
        if abs(self._clock() - signed_at.timestamp()) > signing.MAX_CLOCK_SKEW_SECONDS:
            raise exc.GatewayDateExpired(request_id=request.request_id)


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return signing.parse_sdk_date(value)
    except ValueError:
        return None


def _check_project_header(request: RawRequest) -> None:
    declared = request.headers.get("x-project-id")
    match = _PROJECT_IN_PATH.match(request.raw_path)
    if declared is not None and match is not None and declared != match["project"]:
        raise exc.InvalidProjectId(f"X-Project-Id {declared} does not match the project {match['project']}.")

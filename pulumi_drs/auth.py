"""How requests to DRS and IAM prove who sent them: `requests` auth strategies, and the IAM calls they need.

- `AkSkAuth` signs like the official SDK (`signing.sign`, SDK-HMAC-SHA256) over exactly what is sent:
  it runs last in `PreparedRequest.prepare`, after requests has set every header it will send (urllib3
  adds Host, User-Agent or Content-Length only when absent, and they are present), and it signs all
  of them, the Host header it sets itself included.
- `TokenAuth` passes a given IAM token; `IamPasswordAuth` trades user and password for a project-scoped
  token, cached (thread-safely) until five minutes before it expires.

IAM's own calls (token, project lookup) are in `iam.py`, which imports nothing of this module.
token or signature.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.auth import AuthBase

from pulumi_drs import signing
from pulumi_drs.errors import ConfigurationError
from pulumi_drs.settings import CredentialKind, Settings, credential_kind, where

if TYPE_CHECKING:
    from pulumi_drs.iam import Transmit

TOKEN_REFRESH_MARGIN_SECONDS = 5 * 60
FALLBACK_TOKEN_TTL_SECONDS = 60 * 60
"""Assumed lifetime of a token whose `expires_at` cannot be read: shorter than the 24 hours IAM's API
reference gives a token, so a guess errs towards asking again."""
_DEFAULT_PORTS = {"http": 80, "https": 443}


class DrsAuth(AuthBase):
    """An auth strategy that can name its secrets (for redaction) and drop a cached credential."""

    def secrets(self) -> tuple[str, ...]:
        return ()

    def invalidate(self) -> bool:
        """Forget a cached credential; True when a resend might now succeed."""
        return False


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class AkSkAuth(DrsAuth):
    def __init__(
        self,
        access_key: str,
        secret_key: str,
        *,
        project_id: str | None = None,
        security_token: str | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._access_key, self._secret_key = access_key, secret_key
        self._project_id, self._security_token = project_id, security_token
        self._clock = clock

    def __repr__(self) -> str:
        return f"AkSkAuth(project_id={self._project_id!r}, temporary={self._security_token is not None})"

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self._access_key, self._secret_key, self._security_token) if s)

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        url = r.url or ""
        parts = urlsplit(url)
        r.headers.pop("Authorization", None)
        r.headers[signing.DATE_HEADER] = signing.format_sdk_date(self._clock())
        r.headers["Host"] = host_header(url)
        if self._project_id:
            r.headers["X-Project-Id"] = self._project_id
        if self._security_token:
            r.headers["X-Security-Token"] = self._security_token
        query = parse_qsl(parts.query, keep_blank_values=True)
        r.headers["Authorization"] = signing.sign(
            r.method or "GET", parts.path or "/", query, r.headers, body_bytes(r.body),
            self._access_key, self._secret_key,
        )
        return r


def host_header(url: str) -> str:
    """The Host header http.client would send for `url`: the port only when it is not the default."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    return host if port is None or port == _DEFAULT_PORTS.get(parts.scheme) else f"{host}:{port}"


def body_bytes(body: object) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    raise TypeError("AkSkAuth signs only bytes or str bodies, not streams")


class TokenAuth(DrsAuth):
    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "TokenAuth()"

    def secrets(self) -> tuple[str, ...]:
        return (self._token,)

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["X-Auth-Token"] = self._token
        return r


class IamPasswordAuth(DrsAuth):
    def __init__(
        self,
        iam_endpoint: str,
        user_name: str,
        password: str,
        domain_name: str,
        project_name: str,
        transmit: Transmit,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._iam = iam_endpoint.rstrip("/")
        self._user_name, self._password, self._domain_name = user_name, password, domain_name
        self._project_name = project_name
        self._transmit, self._clock = transmit, clock
        self._token: str | None = None
        self._refresh_at = 0.0

    def __repr__(self) -> str:
        return f"IamPasswordAuth(iam_endpoint={self._iam!r}, project_name={self._project_name!r})"

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self._password, self._token) if s)

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["X-Auth-Token"] = self.token()
        return r

    def token(self) -> str:
        """A valid token: the cached one, or a new one when it is missing or about to expire.

        Tokens are shared by every client of the process with the same identity (the provider builds a
        client per call), so a deployment asks IAM once, not once per resource operation.
        """
        with _TOKENS_LOCK:
            if self._token is None:
                self._token, self._refresh_at = _SHARED_TOKENS.get(self._identity(), (None, 0.0))
            if self._token is None or self._clock() >= self._refresh_at:
                self._token, self._refresh_at = self._fetch()
                _SHARED_TOKENS[self._identity()] = (self._token, self._refresh_at)
            return self._token

    def invalidate(self) -> bool:
        with _TOKENS_LOCK:
            had, self._token = self._token is not None, None
            _SHARED_TOKENS.pop(self._identity(), None)
        return had

    def _identity(self) -> str:
        parts = (self._iam, self._domain_name, self._user_name, self._project_name, self._password)
        return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()

    def _fetch(self) -> tuple[str, float]:
        from pulumi_drs import iam  # only IAM password users pay for its models (and this one-way import)

        request = iam.token_request(self._user_name, self._password, self._domain_name, self._project_name)
        token, expires = iam.fetch_token(self._transmit, self._iam, request, self.secrets())
        now = self._clock()
        if expires is None:
            expires = now + FALLBACK_TOKEN_TTL_SECONDS
        return token, max(now, expires - TOKEN_REFRESH_MARGIN_SECONDS)


_SHARED_TOKENS: dict[str, tuple[str | None, float]] = {}
"""Process-wide IAM tokens by a digest of the identity (never the password itself) and refresh time."""
_TOKENS_LOCK = threading.Lock()
"""Guards `_SHARED_TOKENS` for every client of the process: clients built at once in several threads (the
provider builds one per call) ask IAM for one token, not one each."""


def build_auth(settings: Settings, transmit: Transmit) -> DrsAuth:
    """The strategy for the configured credentials; `transmit` sends IAM token requests (unauthenticated)."""
    kind = credential_kind(settings)
    if kind in (CredentialKind.AKSK, CredentialKind.TEMPORARY_AKSK):
        return AkSkAuth(settings.access_key or "", settings.secret_key or "", project_id=settings.project_id,
                        security_token=settings.security_token)
    if kind is CredentialKind.TOKEN:
        return TokenAuth(settings.auth_token or "")
    if not settings.region or not settings.iam_endpoint:
        raise ConfigurationError(f"IAM password authentication needs the region: set {where('region')} "
                                 f"(or {where('iam_endpoint')})")
    return IamPasswordAuth(settings.iam_endpoint, settings.user_name or "", settings.password or "",
                           settings.domain_name or "", settings.region, transmit)

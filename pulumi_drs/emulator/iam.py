"""The emulated IAM service and its routes: password tokens (`POST /v3/auth/tokens`) and the project list
(`GET /v3/projects`), with the wire models of `pulumi_drs.iam`.

One user, one domain and one project (named after the region). Issued tokens are kept only as
SHA-256 digests, so neither the state nor a memory dump of it holds a usable token. Token times follow
the emulator's clock, so a test can let a token expire without sleeping.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from pulumi_drs import iam as iam_wire
from pulumi_drs.emulator import exceptions as exc
from pulumi_drs.emulator.bodies import parse_body
from pulumi_drs.emulator.config import Clock, EmulatorConfig, RuntimeSettings

TOKEN_PATH = "/v3/auth/tokens"
"""IAM's (Keystone v3) token path: the one call the gateway lets through unauthenticated."""
_USER_ID = "0e3f8f3c0e80d4a81f2dc00a1b2c3d4e"
_DOMAIN_ID = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _iso(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Iam:
    def __init__(self, config: EmulatorConfig, settings: RuntimeSettings, clock: Clock = time.time) -> None:
        self._config, self._settings, self._clock = config, settings, clock
        self._expiry_by_digest: dict[str, float] = {}
        self._lock = threading.Lock()

    def create_token(self, request: iam_wire.IamTokenRequest) -> tuple[str, dict[str, Any]]:
        """The new token (for the `X-Subject-Token` header) and the response body."""
        user = request.auth.identity.password.user
        checks = [
            hmac.compare_digest(user.name.encode(), self._config.user_name.encode()),
            hmac.compare_digest(user.password.encode(), self._config.password.encode()),
            hmac.compare_digest(user.domain.name.encode(), self._config.domain_name.encode()),
        ]
        if not all(checks) or "password" not in request.auth.identity.methods:
            raise exc.IamUnauthorized()
        if request.auth.scope.project.name != self._config.region:
            raise exc.IamUnauthorized(f"No project named {request.auth.scope.project.name!r}.")
        issued = self._clock()
        expires = issued + self._settings.token_ttl_seconds
        token = "MII" + secrets.token_urlsafe(48)
        with self._lock:
            self._expiry_by_digest[_digest(token)] = expires
        return token, self._token_body(issued, expires)

    def _token_body(self, issued: float, expires: float) -> dict[str, Any]:
        domain = {"id": _DOMAIN_ID, "name": self._config.domain_name}
        token = iam_wire.IamToken(
            expires_at=_iso(expires),
            issued_at=_iso(issued),
            methods=["password"],
            catalog=[],
            project={"id": self._config.project_id, "name": self._config.region, "domain": domain},
            user={"id": _USER_ID, "name": self._config.user_name, "domain": domain},
        )
        return iam_wire.IamTokenResponse(token=token).to_wire()

    def token_is_valid(self, token: str) -> bool:
        fixed = self._config.auth_token
        if fixed is not None and hmac.compare_digest(token.encode(), fixed.encode()):
            return True
        with self._lock:
            expires = self._expiry_by_digest.get(_digest(token))
        return expires is not None and self._clock() < expires

    def list_projects(self, name: str | None) -> iam_wire.IamProjectsResponse:
        """`GET /v3/projects?name=<region>`."""
        projects = [iam_wire.IamProject(id=self._config.project_id, name=self._config.region)]
        if name is not None:
            projects = [p for p in projects if p.name == name]
        return iam_wire.IamProjectsResponse(projects=projects)


def iam_router(iam: Iam) -> APIRouter:
    router = APIRouter()

    @router.post(TOKEN_PATH)
    async def create_token(request: Request) -> JSONResponse:
        token, payload = iam.create_token(await parse_body(request, iam_wire.IamTokenRequest))
        return JSONResponse(payload, status_code=201, headers={"X-Subject-Token": token})

    @router.get("/v3/projects")
    async def list_projects(name: str | None = None) -> JSONResponse:
        return JSONResponse(iam.list_projects(name).to_wire())

    return router

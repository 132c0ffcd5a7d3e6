"""IAM, as pulumi-drs uses it: a project-scoped token for a user and password, and a region's project ID.

The wire models of `POST /v3/auth/tokens` and `GET /v3/projects` live here, shared with the emulator's
IAM. Calls go through a `Transmit` callable from the transport, so transport failures are translated
in one place; nothing here logs or shows the password or the token.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from urllib.parse import quote

import requests
from pydantic import BaseModel, ConfigDict, Field

from pulumi_drs.errors import AuthenticationError, ConfigurationError, error_from_response
from pulumi_drs.settings import where

Transmit = Callable[[str, str, bytes | None], requests.Response]
"""(method, url, body) -> response; transport errors already translated to `errors.TransportError`. The
transport passes one in, so this module needs neither the transport nor the auth strategies."""


class IamModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)

    def to_wire(self) -> dict[str, object]:
        return self.model_dump(mode="json", exclude_none=True)


class IamDomain(IamModel):
    name: str


class IamUser(IamModel):
    name: str
    password: str = Field(repr=False)
    domain: IamDomain


class IamPassword(IamModel):
    user: IamUser


class IamIdentity(IamModel):
    methods: list[str] = Field(default_factory=lambda: ["password"])
    password: IamPassword


class IamProjectScope(IamModel):
    name: str


class IamScope(IamModel):
    project: IamProjectScope


class IamAuth(IamModel):
    identity: IamIdentity
    scope: IamScope


class IamTokenRequest(IamModel):
    """`POST /v3/auth/tokens`: the token comes back in the `X-Subject-Token` header."""

    auth: IamAuth


class IamToken(IamModel):
    expires_at: str
    issued_at: str | None = None


class IamTokenResponse(IamModel):
    token: IamToken


class IamProject(IamModel):
    id: str
    name: str


class IamProjectsResponse(IamModel):
    """`GET /v3/projects?name=<region>`."""

    projects: list[IamProject] = Field(default_factory=list)


def token_request(user_name: str, password: str, domain_name: str, project_name: str) -> IamTokenRequest:
    user = IamUser(name=user_name, password=password, domain=IamDomain(name=domain_name))
    identity = IamIdentity(password=IamPassword(user=user))
    return IamTokenRequest(auth=IamAuth(identity=identity, scope=IamScope(project=IamProjectScope(name=project_name))))


def fetch_token(transmit: Transmit, iam_endpoint: str, request: IamTokenRequest,
                secrets: Iterable[str]) -> tuple[str, float | None]:
    """A new token and its expiry (epoch seconds; None when IAM's answer does not say)."""
    body = json.dumps(request.to_wire()).encode("utf-8")
    response = transmit("POST", f"{iam_endpoint.rstrip('/')}/v3/auth/tokens", body)
    if not response.ok:
        raise error_from_response(response.status_code, response.content, operation="IAM token",
                                  service="IAM", headers=response.headers, secrets=secrets)
    token = response.headers.get("X-Subject-Token")
    if not token:
        raise AuthenticationError(
            f"IAM token: IAM answered HTTP {response.status_code} without an X-Subject-Token header: "
            f"check {where('iam_endpoint')}", status_code=response.status_code)
    return token, expires_at(response)


def expires_at(response: requests.Response) -> float | None:
    try:
        token = IamTokenResponse.model_validate(response.json()).token
        return parse_time(token.expires_at)
    except ValueError:  # pydantic's ValidationError and JSONDecodeError are ValueErrors
        return None


def parse_time(text: str) -> float:
    """Epoch seconds of an ISO-8601 time; IAM writes UTC with a trailing `Z`, which Python 3.10 can't read."""
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def lookup_project_id(transmit: Transmit, iam_endpoint: str, region: str, secrets: Iterable[str] = ()) -> str:
    """`GET {iam}/v3/projects?name={region}`: the ID of the project named after the region."""
    url = f"{iam_endpoint.rstrip('/')}/v3/projects?name={quote(region, safe='')}"
    response = transmit("GET", url, None)
    if not response.ok:
        raise error_from_response(response.status_code, response.content, operation="IAM project lookup",
                                  service="IAM", headers=response.headers, secrets=secrets)
    try:
        projects = IamProjectsResponse.model_validate(response.json()).projects
    except ValueError:
        projects = []
    match = next((p.id for p in projects if p.name == region), None)
    if match is None:
        raise ConfigurationError(f"IAM knows no project named {region!r}: check {where('region')}, "
                                 f"or set {where('project_id')}", setting="region")
    return match

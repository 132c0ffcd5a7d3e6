"""Talking to DRS: `connect` gives the `DrsApi` of the configured API version.

Layout: `base` (the version seam: neutral types and the `DrsApi` protocol), `transport` (sessions,
retries, auth, error translation), `writes` (no job gets a request twice), `v3/` and `v5/` (paths,
wire models and client of each DRS API version; `settings.api_version` picks one). `requests` and
`pydantic` are imported only when `connect` runs, so planning code can import `api.base` for free.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING

from pulumi_drs.api.base import DrsApi
from pulumi_drs.errors import ConfigurationError
from pulumi_drs.settings import Settings, credential_kind, default_endpoint, where

if TYPE_CHECKING:
    import requests

__all__ = ["DrsApi", "connect", "resolve_project_id"]

_project_ids: dict[tuple[str | None, str | None, str | None], str] = {}
"""Project IDs looked up by region, per IAM endpoint and identity, once per process."""
_lock = threading.Lock()


def connect(settings: Settings, session: requests.Session | None = None) -> DrsApi:
    """A client of the configured DRS API version; the project ID is looked up from the region if unset.

    `session`, when given, carries every request as it is (tests: the emulator in process)."""
    from pulumi_drs.api.transport import Transport

    if not settings.endpoint:
        raise ConfigurationError(f"no DRS endpoint: set {where('region')} or {where('endpoint')}",
                                 setting="endpoint")
    credential_kind(settings)  # no credentials is said first: without them nothing else can be asked
    settings = resolve_project_id(settings, session)
    transport = Transport(settings, session)
    if settings.api_version == "v5":
        from pulumi_drs.api.v5.client import V5Client

        return V5Client(transport, settings.project_id or "")
    from pulumi_drs.api.v3.client import V3Client

    return V3Client(transport, settings.project_id or "")


def resolve_project_id(settings: Settings, session: requests.Session | None = None) -> Settings:
    """`settings` with the project ID, asked of IAM (once per process) when only the region is set."""
    from pulumi_drs import iam
    from pulumi_drs.api.transport import Transport

    if settings.project_id:
        return settings
    if not settings.region:
        raise ConfigurationError(f"no project ID: set {where('project_id')}, or {where('region')} to look it up",
                                 setting="project_id")
    key = (settings.iam_endpoint, settings.region, settings.access_key or settings.user_name)
    with _lock:
        if key not in _project_ids:
            transport = Transport(settings, session)
            try:
                iam_url = settings.iam_endpoint or default_endpoint("iam", settings.region)
                _project_ids[key] = iam.lookup_project_id(transport.iam, iam_url, settings.region,
                                                          transport.secrets())
            finally:
                transport.close()
    return replace(settings, project_id=_project_ids[key])

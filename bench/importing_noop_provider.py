"""The no-op provider, plus every import pulumi-drs's provider makes: what importing alone costs.

The engine's provider process imports this module when it unpickles `ImportingNoopProvider`, so it
loads `pulumi_drs.provider` (and with it requests, urllib3 and the pydantic wire models) without
ever calling DRS. Its time over the plain no-op is the import share of StartedJobBatch's overhead.
"""

from __future__ import annotations

import pulumi_drs.provider  # noqa: F401 - the import is the point
from bench.noop_provider import NoopProvider


class ImportingNoopProvider(NoopProvider):
    pass

"""pulumi-drs: Huawei Cloud DRS (Data Replication Service) jobs in Pulumi programs.

Import the resource from here; `pulumi_drs.provider.StartedJobBatchProvider` is the class path that
stack states record and must not move. The resource is imported lazily, so the client and the
emulator do not pay for importing the Pulumi SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pulumi_drs.resource import StartedJobBatch, StartedJobBatchArgs

__version__ = "0.3.0"
"""The one place the version is written (pyproject.toml reads it)."""

__all__ = ["StartedJobBatch", "StartedJobBatchArgs", "__version__"]


def __getattr__(name: str) -> Any:
    if name in ("StartedJobBatch", "StartedJobBatchArgs"):
        from pulumi_drs import resource

        return getattr(resource, name)
    raise AttributeError(f"module 'pulumi_drs' has no attribute {name!r}")

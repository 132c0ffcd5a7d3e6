"""The Pulumi schema of package `drs`, derived from the code: one source of truth.

The resource's inputs are the fields of `inputs.BatchInputs` (name, type and doc in their metadata),
its outputs add `OUTPUTS`; the provider's configuration is every field of `settings.Settings` (doc,
secrecy, environment variables in their metadata). `NAMES` maps this package's snake_case names to
Pulumi's camelCase ones, for the plugin's edge. `python -m pulumi_drs.native.schema` prints the schema
that `make sdks` commits as schema.json and generates the SDKs from.
"""

from __future__ import annotations

import json
import sys
from dataclasses import fields
from typing import Any, get_type_hints

from pulumi_drs import __version__
from pulumi_drs.inputs import STRING, BatchInputs
from pulumi_drs.lifecycle import DRIFT_KEY
from pulumi_drs.settings import SETTING_DOC, SETTING_ENV, SETTING_SECRET, Settings, camel

PACKAGE = "drs"
RESOURCE = f"{PACKAGE}:index:StartedJobBatch"
JOB_RESULT = f"{PACKAGE}:index:JobResult"
NATIVE_ONLY_SKIPPED = ("resource_name",)
"""Inputs of the dynamic resource only: the native provider names the batch from its URN."""

JOB_RESULT_FIELDS: dict[str, tuple[dict[str, Any], str]] = {
    "id": (STRING, "The DRS job ID."),
    "status": (STRING, "`success` when DRS accepted the request for the job, else `failed`."),
    "error_code": (STRING, "DRS's error code for the job, when it refused the request."),
    "error_msg": (STRING, "DRS's message, or how pulumi-drs knows the outcome (e.g. after a lost answer)."),
}
OUTPUTS: dict[str, tuple[dict[str, Any], str]] = {
    "results": ({"type": "array", "items": {"$ref": f"#/types/{JOB_RESULT}"}},
                "Per job a request was sent for by a create or update: what DRS answered."),
    "count": ({"type": "integer"}, "The number of jobs in the batch."),
    "job_statuses": ({"type": "object", "additionalProperties": STRING},
                     "Job ID to its DRS status at the last create, update or refresh (`NOT_FOUND` when DRS does "
                     "not know the job)."),
}
INPUT_NAMES = tuple(f.name for f in fields(BatchInputs) if f.name not in NATIVE_ONLY_SKIPPED)
NAMES = {name: camel(name) for name in (*INPUT_NAMES, *OUTPUTS, DRIFT_KEY)}
"""This package's name of each resource property -> Pulumi's."""
RESULT_NAMES = {name: camel(name) for name in JOB_RESULT_FIELDS}

RESOURCE_DOC = """A batch of Huawei Cloud DRS jobs that have been started.

`pulumi preview` reads every job's live status before anything is touched: it fails, naming the job, for a job
that cannot be started, and shows a job of the batch that was paused, failed or went back to CONFIGURATION since
the last deploy as drift. `pulumi up` starts only the jobs that need it, 100 per request, repairs drift (start,
resume, retry) and waits until they run, showing progress on the resource's row; it never starts a job twice.
`pulumi refresh` records each job's live status. Deleting the batch stops nothing unless `stopOnDelete` is set.
Import running jobs with `pulumi import drs:index:StartedJobBatch <name> <jobId>,<jobId>,...`: no job is started.
"""
PROVIDER_DOC = """The DRS provider. The default provider reads the stack's `drs:*` configuration; an explicit instance
carries its own settings and credentials (a DR pair across two accounts or regions). Unset settings fall back to
the environment variables users of the Huawei Cloud Terraform provider and SDK set (`HW_ACCESS_KEY`, ...)."""


def schema() -> dict[str, Any]:
    config = _config_properties()
    return {
        "name": PACKAGE,
        "displayName": "Huawei Cloud DRS",
        "version": __version__,
        "description": "Start batches of Huawei Cloud DRS (Data Replication Service) jobs; see drift in preview.",
        "keywords": ["pulumi", "huaweicloud", "drs", "category/database", "kind/native"],
        "license": "Apache-2.0",
        "publisher": "pulumi-drs",
        "language": _languages(),
        "config": {"variables": config},
        "provider": {"description": PROVIDER_DOC, "inputProperties": config, "properties": _non_secret(config)},
        "types": _types(),
        "resources": {RESOURCE: _resource()},
    }


def _resource() -> dict[str, Any]:
    by_name = {f.name: f for f in fields(BatchInputs)}
    inputs = {camel(n): _property(by_name[n].metadata["type"], by_name[n].metadata["doc"]) for n in INPUT_NAMES}
    outputs = {**inputs, **{camel(n): _property(t, d) for n, (t, d) in OUTPUTS.items()}}
    outputs[camel("start_time")] = _property(STRING, "The start time as DRS takes it: epoch milliseconds.")
    return {
        "description": RESOURCE_DOC,
        "inputProperties": inputs,
        "requiredInputs": [camel("job_ids")],
        "properties": outputs,
        "required": [camel(n) for n in ("job_ids", *OUTPUTS)],
    }


def _property(type_: dict[str, Any], doc: str) -> dict[str, Any]:
    if "enum_name" in type_:
        return {"$ref": f"#/types/{PACKAGE}:index:{type_['enum_name']}", "description": doc}
    return {**type_, "description": doc}


def _types() -> dict[str, Any]:
    types: dict[str, Any] = {JOB_RESULT: {
        "type": "object",
        "description": "What DRS answered to the request pulumi-drs sent for one job.",
        "properties": {camel(n): _property(t, d) for n, (t, d) in JOB_RESULT_FIELDS.items()},
        "required": ["id", "status"],
    }}
    for f in fields(BatchInputs):
        kind = f.metadata["type"]
        if "enum_name" in kind:
            types[f"{PACKAGE}:index:{kind['enum_name']}"] = {"type": "string", "enum": kind["enum"]}
    return types


_SCHEMA_TYPES = {str: "string", int: "integer", float: "number"}


def _config_properties() -> dict[str, Any]:
    hints = get_type_hints(Settings)
    out: dict[str, Any] = {}
    for f in fields(Settings):
        kind = next(t for py, t in _SCHEMA_TYPES.items() if py in getattr(hints[f.name], "__args__", (hints[f.name],)))
        env = f.metadata[SETTING_ENV]
        doc = f.metadata[SETTING_DOC] + (f" Unset: `{'`, then `'.join(env)}` from the environment." if env else "")
        out[camel(f.name)] = {"type": kind, "description": doc, **({"secret": True} if f.metadata[SETTING_SECRET]
                                                                    else {})}
    return out


def _non_secret(config: dict[str, Any]) -> dict[str, Any]:
    """The provider resource's outputs: its settings, never a credential."""
    return {k: v for k, v in config.items() if not v.get("secret")}


def _languages() -> dict[str, Any]:
    """Each SDK's name; their Pulumi SDK requirement is codegen's own (the generated code needs what it says)."""
    return {
        "nodejs": {"packageName": "pulumi-drs", "packageDescription": "Start batches of Huawei Cloud DRS jobs; "
                   "see drift in preview."},
        "python": {"packageName": "pulumi_drs_native"},
        "go": {"importBasePath": "github.com/pulumi-drs/pulumi-drs/sdk/go/drs"},
    }


def main() -> None:
    json.dump(schema(), sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

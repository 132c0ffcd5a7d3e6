"""The package schema follows from the code's own tables, and the committed schema.json is it."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest

from pulumi_drs.inputs import BatchInputs
from pulumi_drs.native.props import pulumi_names
from pulumi_drs.native.schema import NAMES, RESOURCE, schema
from pulumi_drs.settings import ENV_VARS, SECRET_FIELDS, Settings, camel

REPO = Path(__file__).resolve().parents[2]


def test_the_committed_schema_is_the_one_the_code_derives() -> None:
    committed = json.loads((REPO / "schema.json").read_text())
    assert committed == schema(), "schema.json is stale: run `make sdks`"


def test_every_input_of_the_model_but_the_dynamic_only_name_is_a_documented_resource_input() -> None:
    resource = schema()["resources"][RESOURCE]
    wanted = {camel(f.name) for f in fields(BatchInputs) if f.name != "resource_name"}
    assert set(resource["inputProperties"]) == wanted
    assert all(p["description"] for p in resource["inputProperties"].values())
    assert resource["requiredInputs"] == ["jobIds"]
    assert set(resource["properties"]) == wanted | {"results", "count", "jobStatuses"}


def test_every_setting_is_provider_config_and_exactly_the_secret_ones_are_secret() -> None:
    package = schema()
    variables = package["config"]["variables"]
    assert set(variables) == {camel(f.name) for f in fields(Settings)} == {camel(n) for n in ENV_VARS}
    assert {k for k, v in variables.items() if v.get("secret")} == {camel(n) for n in SECRET_FIELDS}
    assert package["provider"]["inputProperties"] == variables
    assert not any(v.get("secret") for v in package["provider"]["properties"].values())
    for name, env in ENV_VARS.items():
        assert all(f"`{var}`" in variables[camel(name)]["description"] for var in env)


def test_messages_speak_pulumi_names_at_the_native_edge() -> None:
    assert pulumi_names("set stop_on_delete=True; leave start_time out; job_ids and forward_job_ids") == (
        "set stopOnDelete=True; leave startTime out; jobIds and forwardJobIds")
    assert pulumi_names("jobs_by_id and my_job_ids stay") == "jobs_by_id and my_job_ids stay"
    assert NAMES["job_statuses"] == "jobStatuses"


def test_the_module_prints_the_schema_make_sdks_commits(capsys: pytest.CaptureFixture[str]) -> None:
    from pulumi_drs.native import schema as module

    module.main()
    printed = capsys.readouterr().out
    assert json.loads(printed) == schema() and printed.endswith("}\n")
    assert printed == (REPO / "schema.json").read_text()

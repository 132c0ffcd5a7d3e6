"""The resource's args and the provider's inputs model name the same inputs: adding one is one field each."""

from __future__ import annotations

from dataclasses import fields

from pulumi_drs.inputs import INPUT_KEYS
from pulumi_drs.resource import OUTPUT_KEYS, StartedJobBatchArgs


def test_every_input_is_an_argument_and_every_argument_an_input() -> None:
    args = {f.name for f in fields(StartedJobBatchArgs)}
    assert args == set(INPUT_KEYS) - {"resource_name"}  # the name is set by the resource class itself


def test_props_carry_every_argument_and_name_every_output() -> None:
    props = StartedJobBatchArgs(job_ids=["a"], api_version="v5").to_props()
    assert props["api_version"] == "v5" and props["job_ids"] == ["a"]
    assert all(key in props and props[key] is None for key in OUTPUT_KEYS)

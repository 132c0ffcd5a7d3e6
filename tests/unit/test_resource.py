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


def test_the_pickled_provider_is_byte_for_byte_what_earlier_versions_recorded() -> None:
    """Every stack state of 0.2 holds this blob as `__provider`: another one would show as a change."""
    from pulumi.dynamic.dynamic import serialize_provider

    from pulumi_drs.provider import StartedJobBatchProvider

    recorded_by_0_2 = "gASVNgAAAAAAAACME3B1bHVtaV9kcnMucHJvdmlkZXKUjBdTdGFydGVkSm9iQmF0Y2hQcm92aWRlcpSTlCmBlC4="
    assert serialize_provider(StartedJobBatchProvider()) == recorded_by_0_2

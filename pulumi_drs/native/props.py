"""Property bags at the plugin's edge: the engine's wire form on one side, `lifecycle`'s on the other.

In: a protobuf Struct becomes a dict (unknown values kept as `pulumi.output.Unknown`, numbers as
floats, as the engine sends them), secrets are unwrapped and their keys remembered, and Pulumi's
camelCase names become this package's snake_case ones (`schema.NAMES`; the keys inside each of
`results` too, never the job IDs that key `jobStatuses` and `drift`). Out: the reverse, each secret
key wrapped again, so what the program made secret stays secret in the state.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import struct_pb2
from pulumi.output import Unknown
from pulumi.runtime import rpc

from pulumi_drs.native.schema import NAMES, RESULT_NAMES

_SNAKE = {camel: snake for snake, camel in NAMES.items()}
_RESULT_SNAKE = {camel: snake for snake, camel in RESULT_NAMES.items()}
_SNAKE_WORDS = re.compile(r"\b(" + "|".join(sorted((n for n in NAMES if "_" in n), key=len, reverse=True)) + r")\b")


@dataclass(frozen=True)
class Bag:
    """A property bag in this package's names, and which of its keys the engine sent as secrets."""

    props: dict[str, Any]
    secret_keys: frozenset[str] = field(default_factory=frozenset)


def from_struct(struct: struct_pb2.Struct | None) -> Bag:
    if struct is None:
        return Bag({})
    raw = rpc.deserialize_properties(struct, keep_unknowns=True)
    props: dict[str, Any] = {}
    secret: set[str] = set()
    for key, value in dict(raw).items():
        name = _SNAKE.get(str(key), str(key))
        if rpc.is_rpc_secret(value):
            secret.add(name)
            value = rpc.unwrap_rpc_secret(value)
        props[name] = _results_in(value) if name == "results" else value
    return Bag(props, frozenset(secret))


def to_struct(props: Mapping[str, Any], secret_keys: frozenset[str] = frozenset()) -> struct_pb2.Struct:
    out: dict[str, Any] = {}
    for name, value in props.items():
        if value is None:
            continue
        wire = _wire(_results_out(value) if name == "results" else value)
        out[NAMES.get(name, name)] = rpc.wrap_rpc_secret(wire) if name in secret_keys else wire
    struct = struct_pb2.Struct()
    struct.update(out)
    return struct


def pulumi_names(text: str) -> str:
    """A message with this package's input names in Pulumi's spelling (`stop_on_delete` -> `stopOnDelete`)."""
    return _SNAKE_WORDS.sub(lambda m: NAMES[m.group(1)], text)


def pulumi_name(name: str) -> str:
    return NAMES.get(name, name)


def _results_in(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    return [{_RESULT_SNAKE.get(k, k): v for k, v in item.items()} if isinstance(item, dict) else item
            for item in value]


def _results_out(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    return [{RESULT_NAMES.get(k, k): v for k, v in item.items()} if isinstance(item, dict) else item
            for item in value]


def _wire(value: Any) -> Any:
    """Unknown values as the engine's unknown sentinel, everywhere in the value."""
    if isinstance(value, Unknown):
        return rpc.UNKNOWN
    if isinstance(value, (list, tuple)):
        return [_wire(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _wire(v) for k, v in value.items() if v is not None}
    return value

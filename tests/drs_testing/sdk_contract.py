"""The official Huawei Cloud SDK (`huaweicloudsdkdrs`) as the contract for DRS wire bodies.

Hand-written fixtures and the emulator drift from what real DRS sends; the SDK's generated models
(`openapi_types` for types, `attribute_map` for JSON names) are the closest thing to a published
schema. These helpers build example bodies from those models, check bodies against them, and point
the SDK's own client at a local server, so tests compare our wire format with Huawei's.

Type names the SDK uses in `openapi_types`: 'str', 'int', 'long', 'float', 'bool', 'date', 'datetime',
'object' (any JSON), 'file', 'list[X]', 'dict(str, X)', and model class names.

One SDK rule matters for bodies: a model field whose JSON name is "body" stands for the whole wire
body (the SDK deserializes the entire response into it, and sends a request's `body` as the
payload). Those models' wire form is that field's value, not an object with a "body" key.
"""

from __future__ import annotations

import copy
import decimal
import difflib
import functools
import importlib
import json
import re
from collections.abc import Mapping
from types import ModuleType, SimpleNamespace
from typing import Any

__all__ = [
    "example_body",
    "example_value",
    "operation_route",
    "raw_json_of",
    "response_model_for",
    "sdk_client",
    "type_problems",
    "undeclared_fields",
]

VERSIONS = ("v3", "v5")
MAX_DEPTH = 16
"""Nesting deeper than this is built as an empty object: a guard, real DRS models nest at most 11 deep."""

_LIST = re.compile(r"^list\[(.*)\]$")
_DICT = re.compile(r"^dict\(([^,]*), (.*)\)$")
_STR_TYPES = frozenset({"str", "date", "datetime"})
_INT_TYPES = frozenset({"int", "long"})
_FLOAT_TYPES = frozenset({"float", "decimal.Decimal"})
_ANY_TYPES = frozenset({"object", "file"})
_EXAMPLE_DATES = {"date": "2024-01-02", "datetime": "2024-01-02T03:04:05Z"}


# --- models -------------------------------------------------------------------------------------


def _check_version(version: str) -> str:
    if version not in VERSIONS:
        raise ValueError(f"unknown DRS API version {version!r}; expected one of {VERSIONS}")
    return version


@functools.cache
def _model_package(version: str) -> ModuleType:
    return importlib.import_module(f"huaweicloudsdkdrs.{_check_version(version)}.model")


def _version_of(model: type, default: str) -> str:
    """A class from huaweicloudsdkdrs.vN.model resolves its nested models in vN, whatever `version` says."""
    match = re.match(r"huaweicloudsdkdrs\.(v\d+)\.", getattr(model, "__module__", ""))
    return match.group(1) if match and match.group(1) in VERSIONS else default


def _resolve(model: type | str, version: str) -> tuple[type, str]:
    """The model class and the API version whose package holds its nested models."""
    if isinstance(model, str):
        cls = getattr(_model_package(version), model, None)
        if not isinstance(cls, type) or not hasattr(cls, "openapi_types"):
            known = [name for name in dir(_model_package(version)) if name[:1].isupper()]
            close = difflib.get_close_matches(model, known, n=3)
            raise LookupError(f"no model {model!r} in huaweicloudsdkdrs.{version}.model; close: {close}")
        return cls, version
    if not hasattr(model, "openapi_types") or not hasattr(model, "attribute_map"):
        raise TypeError(f"{model!r} is not an SDK model (no openapi_types/attribute_map)")
    return model, _version_of(model, version)


def _fields(cls: type) -> list[tuple[str, str]]:
    """(JSON name, declared type) of every field, in the SDK's declaration order."""
    types: dict[str, str] = cls.openapi_types  # type: ignore[attr-defined]
    names: dict[str, str] = cls.attribute_map  # type: ignore[attr-defined]
    return [(names[attr], declared) for attr, declared in types.items()]


def _whole_body_type(cls: type) -> str | None:
    """The declared type of a field that stands for the entire wire body (JSON name "body"), if any."""
    return next((declared for name, declared in _fields(cls) if name == "body"), None)


def _is_model_name(declared: str) -> bool:
    return declared[:1].isupper()


# --- example bodies -----------------------------------------------------------------------------


def example_value(declared: str, *, version: str = "v3", name: str = "value") -> Any:
    """A deterministic wire value for one SDK type name ('int', 'list[QueryJobResp]', ...).

    For building parts of bodies, and for whole-body models whose wire form is not an object."""
    return _example(declared, _check_version(version), name, (), 0)


def _example(declared: str, version: str, name: str, stack: tuple[str, ...], depth: int) -> Any:
    if match := _LIST.match(declared):
        return [_example(match.group(1), version, name, stack, depth + 1)]
    if match := _DICT.match(declared):
        return {f"{name}-key": _example(match.group(2), version, name, stack, depth + 1)}
    if declared in _STR_TYPES:
        return _EXAMPLE_DATES.get(declared, f"example-{name}")
    if declared in _INT_TYPES:
        return 1
    if declared in _FLOAT_TYPES:
        return 1.5
    if declared == "bool":
        return True
    if declared == "object":
        return {"example": name}
    if declared == "file":
        return f"example-{name}"
    if _is_model_name(declared):
        cls, version = _resolve(declared, version)
        if declared in stack or depth >= MAX_DEPTH:
            return {}  # recursive model (v5 BaseEndpoint.source_sharding): stop with a valid, empty object
        return _example_model(cls, version, (*stack, declared), depth + 1)
    raise ValueError(f"SDK type {declared!r} is not one this module knows")


def _example_model(cls: type, version: str, stack: tuple[str, ...], depth: int) -> Any:
    whole = _whole_body_type(cls)
    if whole is not None:
        return _example(whole, version, "body", stack, depth)
    return {name: _example(declared, version, name, stack, depth) for name, declared in _fields(cls)}


def example_body(
    model: type | str, *, overrides: Mapping[str, Any] | None = None, version: str = "v3"
) -> dict[str, Any]:
    """The wire JSON of `model` with every field the SDK declares, each typed as declared.

    Keys are JSON names. `overrides` replaces (or adds) top-level keys, so a test states only what it
    cares about and the rest is a complete, SDK-valid body. Same arguments, same dict."""
    cls, version = _resolve(model, _check_version(version))
    body = _example_model(cls, version, (cls.__name__,), 0)
    if not isinstance(body, dict):
        raise TypeError(
            f"{cls.__name__}'s wire body is {type(body).__name__}, not an object (its field 'body' is "
            f"{_whole_body_type(cls)!r}); use example_value({_whole_body_type(cls)!r})"
        )
    body.update(copy.deepcopy(dict(overrides or {})))
    return body


# --- checking bodies ----------------------------------------------------------------------------


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, (float, decimal.Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def _expected_kind(declared: str) -> str:
    if _LIST.match(declared):
        return "array"
    if _DICT.match(declared) or _is_model_name(declared):
        return "object"
    if declared in _STR_TYPES:
        return "string"
    if declared in _INT_TYPES:
        return "integer"
    if declared in _FLOAT_TYPES:
        return "number"
    if declared == "bool":
        return "boolean"
    if declared in _ANY_TYPES:
        return "any"
    raise ValueError(f"SDK type {declared!r} is not one this module knows")


def _fits(value: Any, declared: str) -> bool:
    """Whether `value` has the JSON kind `declared` needs (containers' contents are checked separately)."""
    kind = _json_kind(value)
    expected = _expected_kind(declared)
    if expected == "any":
        return True
    if expected == "number":
        return kind in ("integer", "number")
    return kind == expected


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _got(value: Any) -> str:
    """`integer 3`, `array ["a"]`, `null`: the JSON kind, then the value cut short."""
    if value is None:
        return "null"
    text = json.dumps(value, default=str, ensure_ascii=False)
    return f"{_json_kind(value)} {text if len(text) <= 60 else text[:57] + '...'}"


def type_problems(body: Any, model: type | str, *, version: str = "v3", path: str = "") -> list[str]:
    """Every place where `body` (wire JSON) does not have the type the SDK declares; [] if it fits.

    null is accepted anywhere (DRS omits or nulls optional fields); a boolean is not an integer.
    Keys the SDK does not declare are not reported here: see `undeclared_fields`."""
    cls, version = _resolve(model, _check_version(version))
    problems: list[str] = []
    _check_model(body, cls, version, path, problems)
    return problems


def _check_model(body: Any, cls: type, version: str, path: str, problems: list[str]) -> None:
    whole = _whole_body_type(cls)
    if whole is not None:
        _check(body, whole, version, path, problems)
        return
    if not isinstance(body, Mapping):  # null reaches here only as the whole body: fields' nulls stop in _check
        problems.append(
            f"{path or '<body>'}: expected {cls.__name__} (object), got {_got(body)}"
        )
        return
    for name, declared in _fields(cls):
        if name in body:
            _check(body[name], declared, version, _join(path, name), problems)


def _check(value: Any, declared: str, version: str, path: str, problems: list[str]) -> None:
    if value is None:
        return
    if not _fits(value, declared):
        problems.append(
            f"{path or '<body>'}: expected {declared} ({_expected_kind(declared)}), "
            f"got {_got(value)}"
        )
        return
    if match := _LIST.match(declared):
        for index, item in enumerate(value):
            _check(item, match.group(1), version, f"{path}[{index}]", problems)
    elif match := _DICT.match(declared):
        for key, item in value.items():
            _check(item, match.group(2), version, _join(path, str(key)), problems)
    elif _is_model_name(declared):
        cls, version = _resolve(declared, version)
        _check_model(value, cls, version, path, problems)


def undeclared_fields(body: Any, model: type | str, *, version: str = "v3", path: str = "") -> list[str]:
    """Dotted paths (`results[0].extra_field`) of keys in `body` that the SDK's models do not declare.

    Not type errors (clients ignore them), but a sign that an emulator or fixture invents fields.
    Values of the wrong JSON kind are skipped; `type_problems` reports those."""
    cls, version = _resolve(model, _check_version(version))
    found: list[str] = []
    _undeclared_model(body, cls, version, path, found)
    return found


def _undeclared_model(body: Any, cls: type, version: str, path: str, found: list[str]) -> None:
    whole = _whole_body_type(cls)
    if whole is not None:
        _undeclared(body, whole, version, path, found)
        return
    if not isinstance(body, Mapping):
        return
    declared = dict(_fields(cls))
    for name, value in body.items():
        if name not in declared:
            found.append(_join(path, str(name)))
        else:
            _undeclared(value, declared[name], version, _join(path, name), found)


def _undeclared(value: Any, declared: str, version: str, path: str, found: list[str]) -> None:
    if value is None or not _fits(value, declared):
        return
    if match := _LIST.match(declared):
        for index, item in enumerate(value):
            _undeclared(item, match.group(1), version, f"{path}[{index}]", found)
    elif match := _DICT.match(declared):
        for key, item in value.items():
            _undeclared(item, match.group(2), version, _join(path, str(key)), found)
    elif _is_model_name(declared):
        cls, version = _resolve(declared, version)
        _undeclared_model(value, cls, version, path, found)


# --- operations and the SDK client --------------------------------------------------------------


def _client_class(version: str) -> type:
    module = importlib.import_module(f"huaweicloudsdkdrs.{_check_version(version)}.drs_client")
    client: type = module.DrsClient
    return client


@functools.cache
def _http_info(operation: str, version: str) -> Mapping[str, Any]:
    """What the SDK's `_<operation>_http_info` says about an operation (method, path, response type).

    Those builders are classmethods that only read `attribute_map` from the request, so a stand-in
    request with no attributes gives the static part without building the real request model."""
    client = _client_class(version)
    builder = getattr(client, f"_{operation}_http_info", None)
    if builder is None:
        known = [name[1:-len("_http_info")] for name in dir(client) if name.endswith("_http_info")]
        close = difflib.get_close_matches(operation, known, n=3)
        raise LookupError(f"DrsClient {version} has no operation {operation!r}; close: {close}")
    info: Mapping[str, Any] = builder(SimpleNamespace(attribute_map={}))
    return info


def response_model_for(operation: str, version: str = "v3") -> type:
    """The SDK response model of a DrsClient method (`batch_start_jobs` -> BatchStartJobsResponse).

    Read from the client's own `_<operation>_http_info`, so it follows the installed SDK."""
    cls, _ = _resolve(str(_http_info(operation, version)["response_type"]), version)
    return cls


def operation_route(operation: str, version: str = "v3") -> tuple[str, str]:
    """(HTTP method, path template) of a DrsClient method: ("POST", "/v3/{project_id}/jobs/batch-status").

    For routing an emulator or a loopback server exactly where the SDK sends."""
    info = _http_info(operation, version)
    return str(info["method"]), str(info["resource_path"])


def sdk_client(
    base_url: str,
    ak: str,
    sk: str,
    project_id: str,
    version: str = "v3",
    *,
    retries: int = 1,
    timeout: float = 10.0,
) -> Any:
    """The official SDK DrsClient sending to `base_url` (e.g. a local emulator) and signing with AK/SK.

    The builder's `with_endpoints` replaces region lookup; only scheme and host:port of the URL are used
    (the SDK drops any path), so a base URL with a path is refused rather than silently shortened.
    Proxies from the environment are ignored: the SDK's requests.Session trusts them by default."""
    from urllib.parse import urlsplit

    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.http_config import HttpConfig

    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base_url must be http(s)://host[:port], got {base_url!r}")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise ValueError(f"the SDK keeps only scheme and host of an endpoint; {base_url!r} has more")

    config = HttpConfig.get_default_config()
    config.ignore_ssl_verification = True
    config.retry_times = retries
    config.timeout = timeout
    client = (
        _client_class(version)
        .new_builder()  # type: ignore[attr-defined]
        .with_http_config(config)
        .with_credentials(BasicCredentials(ak, sk, project_id))
        .with_endpoints([f"{parts.scheme}://{parts.netloc}"])
        .build()
    )
    client.get_http_client()._session.trust_env = False
    return client


def raw_json_of(response: Any) -> Any:
    """The JSON body exactly as the SDK received it, before its lenient deserialization.

    The SDK coerces on the way in (`int("3")`, a lone object wrapped into a list), so checking the
    response object hides type errors; `SdkResponse.raw_content` keeps the bytes off the wire.
    Usually a dict; a list or string for whole-body responses (see the module docstring)."""
    raw = getattr(response, "raw_content", None)
    if raw is None:
        raise ValueError(f"{type(response).__name__} has no raw_content (not a synchronous SDK response?)")
    return json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)

"""The ResourceProvider gRPC service of package `drs`: each request translated onto `lifecycle`.

A plugin process serves one provider instance (the engine starts one per instance, and one to read the
schema), so what `Configure` resolves lives on the servicer: the provider's settings as one immutable
`ProviderConfig`, the check memo, and whether the engine cancelled. Each resource method translates the
request at the edge (`props`: names, secrets, unknowns), builds the step's `Context` (the batch's name
from its URN, lines and row status through the engine, the engine's timeout, a cancellable sleep), calls
the step, and translates back. A failure the user can act on becomes one secret-free message in
Pulumi's names; anything else keeps its traceback, redacted.
"""

from __future__ import annotations

import json
import threading
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NoReturn

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc

from pulumi_drs import __version__, lifecycle
from pulumi_drs.errors import ConfigurationError, redact
from pulumi_drs.lifecycle import BatchError, CheckMemo, Context
from pulumi_drs.native import props
from pulumi_drs.native.engine import Engine, RowStatus
from pulumi_drs.native.schema import PACKAGE, schema
from pulumi_drs.settings import ENV_VARS, ProviderConfig, camel, config_key

CONFIG_NAMES = {camel(name): name for name in ENV_VARS}
"""Each provider setting's Pulumi name (`accessKey`) -> this package's (`access_key`)."""
ENGINE_KEYS = frozenset({"version", "pluginDownloadURL"})
"""Provider inputs the engine adds itself."""


class Cancelled(BatchError):
    """The engine cancelled the operation (Ctrl-C, or its shutdown)."""


class DrsProvider(provider_pb2_grpc.ResourceProviderServicer):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.config = ProviderConfig.read({})
        self.memo = CheckMemo()
        self.cancelled = threading.Event()

    # --- the plugin and its provider -------------------------------------------------------------

    def Handshake(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.engine.connect(request.engine_address)
        return provider_pb2.ProviderHandshakeResponse(accept_secrets=True, accept_resources=True)

    def GetPluginInfo(self, request: Any, context: grpc.ServicerContext) -> Any:
        return plugin_pb2.PluginInfo(version=__version__)

    def GetSchema(self, request: Any, context: grpc.ServicerContext) -> Any:
        return provider_pb2.GetSchemaResponse(schema=json.dumps(schema()))

    def CheckConfig(self, request: Any, context: grpc.ServicerContext) -> Any:
        values, unknown = _config_values(request.news)
        failures = [provider_pb2.CheckFailure(property=k, reason="is not a setting of the drs provider; it takes: "
                                              + ", ".join(sorted(CONFIG_NAMES)))
                    for k in sorted(set(values) - set(CONFIG_NAMES))]
        if not failures and not unknown:
            failures += _settings_failures(values)
        return provider_pb2.CheckResponse(inputs=request.news, failures=failures)

    def DiffConfig(self, request: Any, context: grpc.ServicerContext) -> Any:
        """A change of settings is an update of the provider, never a replacement (which would replace every
        batch it manages)."""
        olds, _ = _config_values(request.olds)
        news, unknown = _config_values(request.news)
        changed = sorted(k for k in set(olds) | set(news) | unknown if olds.get(k) != news.get(k) or k in unknown)
        return _diff_response(changed)

    def Configure(self, request: Any, context: grpc.ServicerContext) -> Any:
        values = {_variable_key(k): v for k, v in request.variables.items()}
        args, unknown = _config_values(request.args)
        values.update({config_key(CONFIG_NAMES[k]): v for k, v in args.items() if k in CONFIG_NAMES})
        self.config = ProviderConfig.read(values, unknown=frozenset(unknown))
        return provider_pb2.ConfigureResponse(acceptSecrets=True, acceptResources=True, supportsPreview=True)

    def Cancel(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.cancelled.set()
        return empty_pb2.Empty()

    # --- the resource ----------------------------------------------------------------------------

    def Check(self, request: Any, context: grpc.ServicerContext) -> Any:
        with self._step(context, request.urn) as ctx:
            olds, news = props.from_struct(request.olds), props.from_struct(request.news)
            checked, failures = lifecycle.check(ctx, olds.props, news.props)
            return provider_pb2.CheckResponse(
                inputs=props.to_struct(checked, news.secret_keys),
                failures=[provider_pb2.CheckFailure(property=props.pulumi_name(f.property),
                                                    reason=props.pulumi_names(f.reason)) for f in failures])

    def Diff(self, request: Any, context: grpc.ServicerContext) -> Any:
        with self._step(context, request.urn) as ctx:
            result = lifecycle.diff(ctx, props.from_struct(request.olds).props, props.from_struct(request.news).props)
            if result.changes is None:
                return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_UNKNOWN)
            return _diff_response([props.pulumi_name(k) for k in result.keys])

    def Create(self, request: Any, context: grpc.ServicerContext) -> Any:
        """In a preview (`request.preview`: a plugin that answers Handshake is always asked, whatever
        `supportsPreview` says; sdk/v3 go/common/resource/plugin/provider_plugin.go) nothing is sent to DRS."""
        with self._step(context, request.urn, request.timeout, acts=not request.preview) as ctx:
            bag = props.from_struct(request.properties)
            if request.preview:
                return provider_pb2.CreateResponse(properties=props.to_struct(lifecycle.planned_outputs(bag.props),
                                                                              bag.secret_keys))
            id_, outs = lifecycle.create(ctx, bag.props)
            return provider_pb2.CreateResponse(id=id_, properties=props.to_struct(outs, bag.secret_keys))

    def Read(self, request: Any, context: grpc.ServicerContext) -> Any:
        with self._step(context, request.urn) as ctx:
            bag = props.from_struct(request.properties)
            if not bag.props:  # a `get`: the program's inputs; `pulumi import`: none, the ID names the jobs
                bag = props.from_struct(request.inputs)
            outs, inputs = lifecycle.read(ctx, request.id, bag.props, importing=not bag.props)
            return provider_pb2.ReadResponse(id=request.id, properties=props.to_struct(outs, bag.secret_keys),
                                             inputs=props.to_struct(inputs, bag.secret_keys))

    def Update(self, request: Any, context: grpc.ServicerContext) -> Any:
        with self._step(context, request.urn, request.timeout, acts=not request.preview) as ctx:
            news = props.from_struct(request.news)
            if request.preview:  # as in Create: nothing is sent to DRS
                outs = lifecycle.planned_outputs(news.props)
            else:
                outs = lifecycle.update(ctx, props.from_struct(request.olds).props, news.props)
            return provider_pb2.UpdateResponse(properties=props.to_struct(outs, news.secret_keys))

    def Delete(self, request: Any, context: grpc.ServicerContext) -> Any:
        with self._step(context, request.urn, request.timeout, acts=True) as ctx:
            lifecycle.delete(ctx, props.from_struct(request.properties).props, stop_hint="set stopOnDelete: true")
            return empty_pb2.Empty()

    # --- the edge --------------------------------------------------------------------------------

    @contextmanager
    def _step(self, context: grpc.ServicerContext, urn: str, timeout: float = 0.0,
              acts: bool = False) -> Iterator[Context]:
        """The step's Context; the step's failure as the engine should show it."""
        ctx = self._context(urn, timeout)
        try:
            if acts and self.cancelled.is_set():
                raise Cancelled("the engine cancelled the operation before it began: nothing was sent to DRS")
            yield ctx
        except Exception as exc:
            _abort(context, ctx, exc)

    def _context(self, urn: str, timeout: float) -> Context:
        def say(text: str) -> None:
            self.engine.log(props.pulumi_names(text), urn)

        def progress(goal: str) -> RowStatus:
            return RowStatus(self.engine, urn, goal)

        return Context(config=self.config, memo=self.memo, say=say, progress=progress,
                       engine_timeout=timeout or None, sleep=self._sleep)

    def _sleep(self, seconds: float) -> None:
        if self.cancelled.wait(seconds):
            raise Cancelled("the engine cancelled the operation while it waited: nothing more was sent to DRS. "
                            "Run `pulumi up` again: jobs already started are found, not started twice.")


def _abort(context: grpc.ServicerContext, ctx: Context, exc: Exception) -> NoReturn:
    if lifecycle.is_ours(exc):
        message = props.pulumi_names(lifecycle.user_message(ctx, exc))
    else:
        message = redact(traceback.format_exc(), ctx.secrets())
    context.abort(grpc.StatusCode.UNKNOWN, message)
    raise AssertionError("unreachable: grpc's abort raises")  # pragma: no cover


def _diff_response(changed: list[str]) -> Any:
    kind = provider_pb2.DiffResponse.DIFF_SOME if changed else provider_pb2.DiffResponse.DIFF_NONE
    detailed = {k: provider_pb2.PropertyDiff(kind=provider_pb2.PropertyDiff.UPDATE) for k in changed}
    return provider_pb2.DiffResponse(changes=kind, diffs=changed, detailedDiff=detailed, hasDetailedDiff=True)


def _config_values(struct: struct_pb2.Struct) -> tuple[dict[str, Any], set[str]]:
    """A provider's inputs with secrets unwrapped, Pulumi names kept; the keys not known yet."""
    raw = dict(rpc.deserialize_properties(struct, keep_unknowns=True)) if struct is not None else {}
    values = {k: rpc.unwrap_rpc_secret(v) for k, v in raw.items() if k not in ENGINE_KEYS and not k.startswith("__")}
    unknown = {k for k, v in values.items() if isinstance(v, Unknown)}
    return {k: v for k, v in values.items() if k not in unknown}, unknown


def _variable_key(key: str) -> str:
    """`drs:config:accessKey` (how the engine names a configuration variable) -> `drs:accessKey`."""
    return key.replace(f"{PACKAGE}:config:", f"{PACKAGE}:", 1)


def _settings_failures(values: Mapping[str, Any]) -> list[Any]:
    config = ProviderConfig.read({config_key(CONFIG_NAMES[k]): v for k, v in values.items()})
    try:
        config.settings()
    except ConfigurationError as exc:
        where = camel(exc.setting) if exc.setting else "region"
        return [provider_pb2.CheckFailure(property=where, reason=redact(str(exc), config.secrets()))]
    return []

"""The dynamic provider of StartedJobBatch: the Python-only front door over `lifecycle`.

The class path `pulumi_drs.provider.StartedJobBatchProvider` is recorded (pickled by reference) in
every stack state that holds a batch: it must never move, and its instance holds nothing (it pickles
as a bare class reference). In the provider process, `configure` reads the stack's `drs:*`
configuration once, into one immutable `ProviderConfig` kept beside the instance, which every step
passes down; each step builds its own DRS client from it.

Each step translates: the engine's property bags go to `lifecycle` as they are (the resource class
names them in snake_case), lines go to stderr (a dynamic provider has no engine logger: the CLI shows
them under the stack), and errors become one short, secret-free message instead of a traceback.
"""

from __future__ import annotations

import sys
import weakref
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from pulumi_drs import engine_watch, lifecycle
from pulumi_drs.errors import redact
from pulumi_drs.lifecycle import DRIFT_KEY, BatchError, CheckMemo, Context
from pulumi_drs.settings import ENV_VARS, ProviderConfig, config_key

if TYPE_CHECKING:
    from pulumi_drs.converge import Report

__all__ = ["DRIFT_KEY", "BatchError", "StartedJobBatchProvider"]

CONFIG_KEYS = tuple(config_key(name) for name in ENV_VARS)

F = TypeVar("F", bound=Callable[..., Any])


def _user_facing(method: F) -> F:
    """Turn DRS errors into one short, secret-free message instead of a deep traceback."""

    @wraps(method)
    def wrapper(self: StartedJobBatchProvider, *args: Any) -> Any:
        try:
            return method(self, *args)
        except Exception as exc:
            if not lifecycle.is_ours(exc):
                raise
            message = redact(str(exc), self._state().config.secrets())
            raise BatchError(message).with_traceback(None) from None

    return cast(F, wrapper)


class _Configured:
    """What `configure` gave one provider instance: its configuration, and the check memo of its process."""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.memo = CheckMemo()


_configured: weakref.WeakKeyDictionary[StartedJobBatchProvider, _Configured] = weakref.WeakKeyDictionary()
"""Per provider instance, beside it rather than on it: the instance is what the program pickles into the
state, and it holds no client, lock or credential, configured or not."""


class StartedJobBatchProvider(ResourceProvider):
    serialize_as_secret_always = False
    """The pickled provider is a bare class reference with no secret in it: no need to encrypt it."""

    def configure(self, req: ConfigureRequest) -> None:
        values = {key: req.config.get(key) for key in CONFIG_KEYS}
        _configured[self] = _Configured(ProviderConfig.read(values))
        engine_watch.watch_dynamic_provider()

    def _state(self) -> _Configured:
        """What `configure` gave; a step before any (a test calling the class directly) has the environment."""
        return _configured.setdefault(self, _Configured(ProviderConfig.read({})))

    def _context(self, props: dict[str, Any], labelled: bool = True) -> Context:
        state = self._state()
        label = _label(props)

        def say(text: str) -> None:
            _say(f"{label}: {text}" if labelled else text)

        def progress(goal: str) -> Report:
            from pulumi_drs.progress import ProgressLines

            return ProgressLines(label, goal)

        return Context(config=state.config, memo=state.memo, say=say, progress=progress)

    # --- the steps, in the order the engine calls them ----------------------------------------------

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        checked, failures = lifecycle.check(self._context(news), olds, news)
        return CheckResult(checked, [CheckFailure(f.property, f.reason) for f in failures])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        result = lifecycle.diff(self._context(news), olds, news)
        return DiffResult(changes=result.changes, replaces=[], delete_before_replace=False)

    @_user_facing
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(*lifecycle.create(self._context(props), props))

    @_user_facing
    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(lifecycle.update(self._context(news), olds, news))

    @_user_facing
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        outs, inputs = lifecycle.read(self._context(props), id_, props)
        return ReadResult(id_, outs, inputs)

    @_user_facing
    def delete(self, _id: str, props: dict[str, Any]) -> None:
        lifecycle.delete(self._context(props, labelled=False), props)


def _label(props: dict[str, Any]) -> str:
    """The batch's resource name, which the resource class passes in (a dynamic provider gets no name)."""
    name, job_ids = props.get("resource_name"), props.get("job_ids")
    if isinstance(name, str) and name:
        return name
    return f"batch of {len(job_ids) if isinstance(job_ids, list) else 0} job(s)"


def _say(message: str) -> None:
    """A line the CLI shows under the stack (a dynamic provider has no engine logger)."""
    print(f"pulumi-drs: {message}", file=sys.stderr, flush=True)

"""The lifecycle of a StartedJobBatch, whichever front door the engine came through.

`check`, `diff`, `create`, `update`, `read` and `delete` take and return property bags with this
package's own (snake_case) names: the dynamic provider (`provider.py`) passes the engine's bags as they
are, the native plugin (`native/`) translates Pulumi's camelCase names at its edge. Everything a step
needs from its front door arrives in one `Context`: the provider's settings as Configure resolved them,
how to say a line and show progress, the engine's timeout and its cancellation. Nothing here keeps
state between calls but the `CheckMemo` the front door owns.

Each step only orchestrates: inputs from `inputs`, decisions from `plan`, I/O from `converge` and `api`.
Imports stay light (the program's process imports the dynamic provider, which imports this module):
`requests` and `pydantic` come in with `api`, in the steps that call DRS.

Engine facts this relies on: `diff` gets the recorded *outputs* as `olds`, so outputs repeat every
input; a failed create records nothing, so create must be safe to run again; `read` may return new
inputs, which is how a refresh makes drift visible.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pulumi_drs import plan
from pulumi_drs.errors import ConnectError, DrsError, redact
from pulumi_drs.inputs import (
    IN_PLACE_KEYS,
    INPUT_KEYS,
    SETTING_KEYS,
    BatchInputs,
    Failure,
    Recorded,
    contains_unknown,
    normalize,
    unknown,
)
from pulumi_drs.plan import Goal, Step, Target
from pulumi_drs.semantics import NOT_FOUND, Meaning, means
from pulumi_drs.settings import ProviderConfig

if TYPE_CHECKING:
    from pulumi_drs.api import DrsApi
    from pulumi_drs.api.base import Outcome
    from pulumi_drs.converge import Clock, Report

DRIFT_KEY = "drift"
"""An input `check` adds: job ID -> live status, for each job of the batch whose status needs `up`.
`diff` and `update` read it (the reads of `check`, no second call); the engine's display shows it, so
`pulumi preview --diff` names each drifted job."""
MAX_DRIFT_LINES = 20


class BatchError(Exception):
    """A lifecycle step failed; the message says which jobs, why, and what to do."""


class CheckMemo:
    """Batches whose last `check` in this provider process could not read DRS: their `diff` then falls
    back to the recorded statuses. Owned by the front door, one per provider process."""

    def __init__(self) -> None:
        self._unread: set[tuple[object, ...]] = set()
        self._lock = threading.Lock()

    def note(self, inputs: BatchInputs, read: bool) -> None:
        with self._lock:
            (self._unread.discard if read else self._unread.add)(_live_key(inputs))

    def was_read(self, inputs: BatchInputs) -> bool:
        with self._lock:
            return _live_key(inputs) not in self._unread


@dataclass(frozen=True)
class Context:
    """What a front door gives every step."""

    config: ProviderConfig
    """The provider's settings, as its Configure resolved them (a resource's own inputs override them)."""
    memo: CheckMemo
    say: Callable[[str], None]
    """A line the user keeps, about this batch."""
    progress: Callable[[str], Report]
    """The progress display of a wait for the jobs to be `goal` ("running", "released", ...)."""
    engine_timeout: float | None = None
    """The engine's `customTimeouts` for this step, seconds (None: it gave none)."""
    sleep: Callable[[float], None] = field(default=time.sleep)
    """How waits wait: a front door that can be cancelled raises from here."""

    def timeout(self, inputs: BatchInputs) -> float:
        """How long this step may wait: the `timeout` input, or the engine's timeout when it is shorter."""
        if self.engine_timeout:
            return min(float(inputs.timeout_seconds), self.engine_timeout)
        return float(inputs.timeout_seconds)

    def secrets(self) -> list[str]:
        return self.config.secrets()


def is_ours(exc: BaseException) -> bool:
    """An error whose message is written for the user (a front door shows it without a traceback)."""
    from pulumi_drs.converge import ConvergeError

    return isinstance(exc, (DrsError, ConvergeError, BatchError, ValueError))


def user_message(ctx: Context, exc: BaseException) -> str:
    return redact(str(exc), ctx.secrets())


# --- check: validate, then preflight against DRS when the job IDs are known ----------------------


def check(ctx: Context, olds: Mapping[str, Any], news: Mapping[str, Any]) -> tuple[dict[str, Any], list[Failure]]:
    """The checked inputs the engine stores, and one failure per problem, each naming its property."""
    checked, failures = normalize(news, olds)
    if failures or _has_unknown(checked):
        return checked, failures
    inputs = BatchInputs.from_checked(checked)
    if ctx.config.unknown:  # the provider's settings are not known yet in this preview: DRS can't be asked
        ctx.memo.note(inputs, read=False)
    else:
        same_place = bool(olds) and all(olds.get(k) == checked.get(k) for k in SETTING_KEYS)
        known = set(olds.get("job_ids") or ()) if same_place else set()
        failures, live = _preflight(ctx, inputs, known, may_skip=same_place)
        _note_drift(ctx, checked, inputs, known, live)
    return checked, failures


def _has_unknown(checked: Mapping[str, Any]) -> bool:
    return any(contains_unknown(checked.get(k)) for k in INPUT_KEYS)


def _note_drift(ctx: Context, checked: dict[str, Any], inputs: BatchInputs, known: set[str],
                live: Mapping[str, str] | None) -> None:
    """Put the drifted jobs of the batch (`known`: its jobs before) into the checked inputs, for `diff`,
    `update` and the display; or remember that DRS could not be read, so `diff` falls back."""
    ctx.memo.note(inputs, read=live is not None)
    if live is None:
        return
    drift = {j: live[j] for j in inputs.job_ids if j in known and plan.is_drift(live[j])}
    if drift:
        checked[DRIFT_KEY] = drift


def _preflight(ctx: Context, inputs: BatchInputs, known: set[str], may_skip: bool
               ) -> tuple[list[Failure], dict[str, str] | None]:
    """The live statuses, and one failure per job new to the batch (not in `known`) that DRS says cannot
    be brought where the batch wants it; a job already in the batch that can't is drift, shown by diff
    and failed by `up` with what to do. What is not yet true of DR forward jobs is said, not failed.
    When DRS cannot be reached (`may_skip`: an existing batch, same region, project and endpoint) the
    preview goes on with the recorded statuses, and says so; a new batch fails, naming the property."""
    from pulumi_drs import converge

    try:
        api, clock = _connect(ctx, inputs)
        with closing(api):
            statuses = converge.read_live(api, inputs.job_ids, clock)
            plans = [plan.plan_job(j, s) for j, s in statuses.items()]
            problems = [f"job {p.job_id}: {p.reason} (status {p.status})" for p in plans
                        if p.step is Step.FAIL and p.job_id not in known]
            to_start = [p.job_id for p in plans if p.step is Step.START]
            if to_start:
                problems += _start_problems(ctx, api, inputs, to_start)
            if inputs.forward_job_ids and to_start:
                _say_forward_state(ctx, converge.forward_states(api, inputs.forward_job_ids, clock))
    except (DrsError, converge.ConvergeError) as exc:
        if not (may_skip and getattr(exc, "retryable", False)):
            reason = redact(f"cannot check the jobs with DRS: {exc}", ctx.secrets())
            return [Failure(_property_of(exc), reason)], None
        ctx.say(redact(f"could not reach DRS to check the jobs ({exc}); the preview goes on with the statuses "
                       "recorded at the last update or refresh", ctx.secrets()))
        return [], None
    return [Failure("job_ids", problem) for problem in problems], statuses


def _start_problems(ctx: Context, api: DrsApi, inputs: BatchInputs, to_start: list[str]) -> list[str]:
    details = api.read_details(to_start)
    dual_active = [j for j, d in details.items() if d.multi_write]
    if dual_active and not inputs.forward_job_ids:
        ctx.say(f"job(s) {', '.join(dual_active)} are dual-active DR tasks: if they are backward tasks, set "
                "forward_job_ids so `pulumi up` waits for the forward jobs (DRS refuses the start before)")
    return plan.start_blockers({j: d.subtasks for j, d in details.items()})


def _say_forward_state(ctx: Context, states: Sequence[plan.ForwardState]) -> None:
    blockers = plan.forward_blockers(states)
    if blockers:
        ctx.say("`pulumi up` will wait before starting: " + "; ".join(blockers))


# --- diff: the program against what is recorded, and against DRS as `check` just read it ---------


@dataclass(frozen=True)
class Diff:
    """Whether the batch needs an update, and which inputs differ (None: unknown in this preview)."""

    changes: bool | None
    keys: tuple[str, ...] = ()
    """The inputs that differ (`drift` when jobs of the batch drifted), for a front door's detailed diff."""


def diff(ctx: Context, olds: Mapping[str, Any], news: Mapping[str, Any]) -> Diff:
    if any(contains_unknown(news.get(k)) for k in INPUT_KEYS):
        return Diff(changes=None)
    recorded, wanted = Recorded.from_outputs(olds), BatchInputs.from_checked(news)
    read = ctx.memo.was_read(wanted)
    drifted = _drifted(ctx, recorded, wanted, (news.get(DRIFT_KEY) or {}) if read else None)
    keys = [k for k in IN_PLACE_KEYS if wanted.effective(k) != recorded.inputs.effective(k)]
    if set(wanted.job_ids) != set(recorded.inputs.job_ids):
        keys.insert(0, "job_ids")
    if drifted:
        keys.append(DRIFT_KEY)
    return Diff(changes=bool(keys), keys=tuple(keys))


def _drifted(ctx: Context, recorded: Recorded, wanted: BatchInputs, live: Mapping[str, str] | None
             ) -> dict[str, str]:
    """Jobs of the batch (before and now) whose status needs `pulumi up`, each said in one line (20 at
    most). `live`: the drifted jobs `check` read; None when it could not read DRS."""
    old_ids = set(recorded.inputs.job_ids)
    if live is None and old_ids:
        ctx.say("DRS was not read in this preview: drift is shown as recorded by the last update or refresh")
    statuses = recorded.job_statuses if live is None else live
    drifted = {j: statuses[j] for j in wanted.job_ids if j in old_ids and plan.is_drift(statuses.get(j))}
    if len(drifted) > MAX_DRIFT_LINES:
        ctx.say(f"{len(drifted)} jobs drifted; the first {MAX_DRIFT_LINES}:")
    for job_id, status in list(drifted.items())[:MAX_DRIFT_LINES]:
        was = recorded.job_statuses.get(job_id, "not recorded")
        p = plan.plan_job(job_id, status)
        then = (f"`pulumi up` cannot repair it: {p.reason}" if p.step is Step.FAIL
                else f"`pulumi up` will {p.step.value.replace('_', ' ')} it")
        change = f"is {status} (as last recorded)" if was == status else f"drifted: {was} => {status}"
        ctx.say(f"job {job_id} {change}; {then}")
    return drifted


# --- create / update: converge every job to what the batch waits for ---------------------------


def create(ctx: Context, props: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The batch's ID and outputs, once every job is where the batch wants it."""
    inputs = BatchInputs.from_checked(props)
    return batch_id(inputs), _converge(ctx, inputs, previous={})


def update(ctx: Context, olds: Mapping[str, Any], news: Mapping[str, Any]) -> dict[str, Any]:
    inputs, recorded = BatchInputs.from_checked(news), Recorded.from_outputs(olds)
    removed = sorted(set(recorded.inputs.job_ids) - set(inputs.job_ids))
    if removed:
        ctx.say(f"{len(removed)} job(s) dropped from the batch and left running: " + ", ".join(removed))
    statuses = recorded.job_statuses
    settled = all(j in statuses and not plan.is_drift(statuses[j]) for j in inputs.job_ids)
    checked = ctx.memo.was_read(inputs)  # else the recorded statuses are all we know: read DRS
    if settled and checked and not news.get(DRIFT_KEY):  # only settings changed: no DRS call
        return outputs(inputs, recorded.results, statuses)
    return _converge(ctx, inputs, previous=recorded.results)


def planned_outputs(props: Mapping[str, Any]) -> dict[str, Any]:
    """What a preview shows a create or update will record, with no DRS call: the inputs as they are, the
    job count when the job IDs are known, and the results and statuses unknown until `up` reads them."""
    outs = {k: props[k] for k in INPUT_KEYS if props.get(k) is not None}
    job_ids = props.get("job_ids")
    outs["count"] = len(job_ids) if isinstance(job_ids, list) and not contains_unknown(job_ids) else unknown()
    outs["results"], outs["job_statuses"] = unknown(), unknown()
    return outs


def _converge(ctx: Context, inputs: BatchInputs, previous: Mapping[str, Any]) -> dict[str, Any]:
    from pulumi_drs import converge

    api, clock = _connect(ctx, inputs)
    timeout = ctx.timeout(inputs)
    deadline = clock.now() + timeout
    with closing(api):
        if inputs.forward_job_ids:
            converge.wait_forward(api, inputs.forward_job_ids, timeout=timeout, clock=clock,
                                  report=ctx.progress("ready (DR forward)"))
        goal = Goal(Target(inputs.wait_mode), has_start_time=inputs.start_time is not None)
        done = converge.converge(api, inputs.job_ids, goal, start_time=_start_time(ctx, inputs, clock),
                                 timeout=max(0.0, deadline - clock.now()), clock=clock,
                                 report=ctx.progress(inputs.wait_mode))
    results = dict(previous)
    results.update({j: _result(o) for j, o in done.results.items()})
    return outputs(inputs, results, done.statuses)


def _start_time(ctx: Context, inputs: BatchInputs, clock: Clock) -> str | None:
    """The start time to send: a recorded one that has passed (a job drifted back to CONFIGURATION
    long after) is never sent; the job starts now, and the user is told."""
    if inputs.start_time is None or int(inputs.start_time) > clock.wall() * 1000:
        return inputs.start_time
    ctx.say(f"start_time {inputs.start_time} has passed: any job that needs a start is started now")
    return None


def _result(outcome: Outcome) -> dict[str, str]:
    result = {"id": outcome.id, "status": "success" if outcome.accepted else "failed"}
    extra = {"error_code": outcome.error_code, "error_msg": outcome.error_message or outcome.note}
    return {**result, **{k: v for k, v in extra.items() if v}}


# --- read: live statuses into the outputs; the recorded inputs stay as the program set them -------


def read(ctx: Context, id_: str, props: Mapping[str, Any], importing: bool = False
         ) -> tuple[dict[str, Any], dict[str, Any]]:
    """(outputs, inputs) of the batch as DRS shows it now. With no recorded properties (an import, a
    `get` by ID), the ID names the jobs: a comma-separated list of job IDs. An import fails for a job DRS
    does not know (a `get` shows it NOT_FOUND)."""
    from pulumi_drs import converge

    job_ids = props.get("job_ids") or job_ids_from_id(id_)
    inputs = BatchInputs.from_checked({**props, "job_ids": job_ids})
    api, clock = _connect(ctx, inputs)
    with closing(api):
        statuses = converge.read_live(api, inputs.job_ids, clock)
    unknown = [j for j, status in statuses.items() if status == NOT_FOUND]
    if importing and unknown:
        raise BatchError(f"DRS knows no job {', '.join(unknown)} in this project: check the job IDs (and the "
                         "region and project) given as the ID; nothing was recorded")
    return outputs(inputs, Recorded.from_outputs(props).results, statuses), inputs.to_props()


# --- delete: stop nothing unless asked -------------------------------------------------------


def delete(ctx: Context, props: Mapping[str, Any], stop_hint: str = "set stop_on_delete=True") -> None:
    from pulumi_drs import converge

    inputs = Recorded.from_outputs(props).inputs
    if not inputs.effective("stop_on_delete"):
        ctx.say(f"removed the batch from the stack; its {len(inputs.job_ids)} DRS job(s) keep running "
                f"({stop_hint} to terminate them on delete)")
        return
    api, clock = _connect(ctx, inputs)
    with closing(api):
        converge.release(api, inputs.job_ids, timeout=ctx.timeout(inputs), clock=clock,
                         report=ctx.progress("released"))


# --- helpers ---------------------------------------------------------------------------------------


def outputs(inputs: BatchInputs, results: Mapping[str, Any], statuses: Mapping[str, str]) -> dict[str, Any]:
    outs = inputs.to_props()
    outs["results"] = [dict(results[j]) for j in inputs.job_ids if j in results]
    outs["count"] = len(inputs.job_ids)
    outs["job_statuses"] = {j: statuses.get(j, NOT_FOUND) for j in inputs.job_ids}
    return outs


def batch_id(inputs: BatchInputs) -> str:
    digest = hashlib.sha256("\n".join(sorted(inputs.job_ids)).encode()).hexdigest()[:16]
    return f"drsbatch-{digest}"


def job_ids_from_id(id_: str) -> list[str]:
    """The jobs an ID names: a comma-separated list of job IDs (`get`, `pulumi import`); a recorded batch
    ID names none."""
    if "," in id_ or not id_.startswith("drsbatch-"):
        return [part.strip() for part in id_.split(",") if part.strip()]
    raise BatchError(f"cannot read batch {id_!r} without job_ids: pass job_ids to StartedJobBatch.get, "
                     "or use a comma-separated list of job IDs as the ID")


def _property_of(exc: Exception) -> str:
    """The resource property a settings or DRS error is about; the job list when none fits."""
    setting = getattr(exc, "setting", None)
    if setting in INPUT_KEYS:
        return str(setting)
    if means(getattr(exc, "error_code", None), Meaning.PROJECT):
        return "project_id"
    if isinstance(exc, ConnectError):
        return "endpoint"
    return "job_ids"


def _live_key(inputs: BatchInputs) -> tuple[object, ...]:
    return (tuple(sorted(inputs.job_ids)), inputs.region, inputs.project_id, inputs.endpoint)


def _connect(ctx: Context, inputs: BatchInputs) -> tuple[DrsApi, Clock]:
    from pulumi_drs.api import connect
    from pulumi_drs.converge import Clock

    settings = ctx.config.settings(inputs.settings())
    return connect(settings), Clock(poll_cap=settings.poll_interval_max, sleep=ctx.sleep)

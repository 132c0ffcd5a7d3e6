"""The dynamic provider of StartedJobBatch: what the engine calls, in the order it calls it.

The class path `pulumi_drs.provider.StartedJobBatchProvider` is recorded (pickled by reference) in
every stack state that holds a batch: it must never move. Instances hold nothing: stack configuration
from `configure` is kept in this module (one provider process serves one stack), and every step builds
its own DRS client from it, so the pickled provider carries no client, lock or credential.

Each step only orchestrates: inputs from `inputs`, decisions from `plan`, I/O from `converge` and
`api`. The program's process imports this module too (to pickle the class), so it imports only light
modules at the top; `requests` and `pydantic` come in with `api`, in the steps that call DRS.

Engine facts this relies on: `diff` gets the recorded *outputs* as `olds`, so outputs repeat every
input; a failed create records nothing, so create must be safe to run again; `read` may return new
inputs, which is how a refresh makes drift visible.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing, suppress
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
)
from pulumi_drs.plan import Goal, Step, Target
from pulumi_drs.semantics import NOT_FOUND, Meaning, means
from pulumi_drs.settings import ENV_VARS, SECRET_FIELDS, Settings, config_key

if TYPE_CHECKING:
    from pulumi_drs.api import DrsApi
    from pulumi_drs.converge import Clock, Report

CONFIG_KEYS = tuple(config_key(name) for name in ENV_VARS)

_stack_config: dict[str, str] = {}
"""`drs:*` stack configuration, set by `configure` in the provider process; never pickled."""


class BatchError(Exception):
    """A lifecycle step failed; the message says which jobs, why, and what to do."""


F = TypeVar("F", bound=Callable[..., Any])


def _user_facing(method: F) -> F:
    """Turn DRS errors into one short, secret-free message instead of a deep traceback."""

    @wraps(method)
    def wrapper(self: StartedJobBatchProvider, *args: Any) -> Any:
        try:
            return method(self, *args)
        except Exception as exc:
            if not _is_ours(exc):
                raise
            raise BatchError(redact(str(exc), _secrets())).with_traceback(None) from None

    return cast(F, wrapper)


def _is_ours(exc: Exception) -> bool:
    from pulumi_drs.converge import ConvergeError

    return isinstance(exc, (DrsError, ConvergeError, BatchError, ValueError))


class StartedJobBatchProvider(ResourceProvider):
    serialize_as_secret_always = False
    """The pickled provider is a bare class reference with no secret in it: no need to encrypt it."""

    def configure(self, req: ConfigureRequest) -> None:
        values = {key: req.config.get(key) for key in CONFIG_KEYS}
        _stack_config.clear()
        _stack_config.update({key: str(value) for key, value in values.items() if value is not None})
        _warm_up()

    # --- check: validate, then preflight against DRS when the job IDs are known ----------------------

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        checked, failures = normalize(news, olds)
        if not failures and not any(contains_unknown(checked.get(k)) for k in INPUT_KEYS):
            inputs = BatchInputs.from_checked(checked)
            same_place = bool(olds) and all(olds.get(k) == checked.get(k) for k in SETTING_KEYS)
            known = set(olds.get("job_ids") or ()) if same_place else set()
            failures, live = _preflight(inputs, known, may_skip=same_place)
            _note_drift(checked, inputs, known, live)
        return CheckResult(checked, [CheckFailure(f.property, f.reason) for f in failures])

    # --- diff: the program against what is recorded, and against DRS as `check` just read it ---------

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        if any(contains_unknown(news.get(k)) for k in INPUT_KEYS):
            return DiffResult(changes=None, replaces=[], delete_before_replace=False)
        recorded, wanted = Recorded.from_outputs(olds), BatchInputs.from_checked(news)
        old_ids = set(recorded.inputs.job_ids)
        read = _live_key(wanted) not in _unread
        drifted = _drifted(recorded, wanted, (news.get(DRIFT_KEY) or {}) if read else None)
        settings = [k for k in IN_PLACE_KEYS if wanted.effective(k) != recorded.inputs.effective(k)]
        changes = bool(drifted or set(wanted.job_ids) != old_ids or settings)
        return DiffResult(changes=changes, replaces=[], delete_before_replace=False)

    # --- create / update: converge every job to what the batch waits for ---------------------------

    @_user_facing
    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = BatchInputs.from_checked(props)
        return CreateResult(_batch_id(inputs), _converge(inputs, previous={}))

    @_user_facing
    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs, recorded = BatchInputs.from_checked(news), Recorded.from_outputs(olds)
        removed = sorted(set(recorded.inputs.job_ids) - set(inputs.job_ids))
        if removed:
            _say(f"{inputs.label}: {len(removed)} job(s) dropped from the batch and left running: "
                 + ", ".join(removed))
        statuses = recorded.job_statuses
        settled = all(j in statuses and not plan.is_drift(statuses[j]) for j in inputs.job_ids)
        checked = _live_key(inputs) not in _unread  # else the recorded statuses are all we know: read DRS
        if settled and checked and not news.get(DRIFT_KEY):  # only settings changed: no DRS call
            return UpdateResult(_outputs(inputs, recorded.results, statuses))
        return UpdateResult(_converge(inputs, previous=recorded.results))

    # --- read: live statuses into the outputs; the recorded inputs stay as the program set them -------

    @_user_facing
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        from pulumi_drs import converge

        job_ids = props.get("job_ids") or _job_ids_from_id(id_)
        inputs = BatchInputs.from_checked({**props, "job_ids": job_ids})
        api, clock = _connect(inputs)
        with closing(api):
            statuses = converge.read_live(api, inputs.job_ids, clock)
        outs = _outputs(inputs, Recorded.from_outputs(props).results, statuses)
        return ReadResult(id_, outs, inputs.to_props())

    # --- delete: stop nothing unless asked -------------------------------------------------------

    @_user_facing
    def delete(self, _id: str, props: dict[str, Any]) -> None:
        from pulumi_drs import converge

        inputs = Recorded.from_outputs(props).inputs
        if not inputs.effective("stop_on_delete"):
            _say(f"removed the batch from the stack; its {len(inputs.job_ids)} DRS job(s) keep running "
                 "(set stop_on_delete=True to terminate them on delete)")
            return
        api, clock = _connect(inputs)
        with closing(api):
            converge.release(api, inputs.job_ids, timeout=inputs.timeout_seconds, clock=clock,
                             report=_progress(inputs, "released"))


# --- steps' helpers ---------------------------------------------------------------------------------

DRIFT_KEY = "drift"
"""An input `check` adds: job ID -> live status, for each job of the batch whose status needs `up`.
`diff` and `update` read it (the reads of `check`, no second call); the engine's display shows it, so
`pulumi preview --diff` names each drifted job."""
_unread: set[tuple[object, ...]] = set()
"""Batches whose last `check` in this provider process could not read DRS: their `diff` falls back to
the recorded statuses."""
MAX_DRIFT_LINES = 20


def _note_drift(checked: dict[str, Any], inputs: BatchInputs, known: set[str], live: Mapping[str, str] | None
                ) -> None:
    """Put the drifted jobs of the batch (`known`: its jobs before) into the checked inputs, for `diff`,
    `update` and the display; or remember that DRS could not be read, so `diff` falls back."""
    if live is None:
        _unread.add(_live_key(inputs))
        return
    _unread.discard(_live_key(inputs))
    drift = {j: live[j] for j in inputs.job_ids if j in known and plan.is_drift(live[j])}
    if drift:
        checked[DRIFT_KEY] = drift


def _live_key(inputs: BatchInputs) -> tuple[object, ...]:
    return (tuple(sorted(inputs.job_ids)), inputs.region, inputs.project_id, inputs.endpoint)


def _drifted(recorded: Recorded, wanted: BatchInputs, live: Mapping[str, str] | None) -> dict[str, str]:
    """Jobs of the batch (before and now) whose status needs `pulumi up`, each said in one line (20 at
    most). `live`: the drifted jobs `check` read; None when it could not read DRS."""
    old_ids = set(recorded.inputs.job_ids)
    if live is None and old_ids:
        _say(f"{wanted.label}: DRS was not read in this preview: drift is shown as recorded by the last "
             "update or refresh")
    statuses = recorded.job_statuses if live is None else live
    drifted = {j: statuses[j] for j in wanted.job_ids if j in old_ids and plan.is_drift(statuses.get(j))}
    if len(drifted) > MAX_DRIFT_LINES:
        _say(f"{wanted.label}: {len(drifted)} jobs drifted; the first {MAX_DRIFT_LINES}:")
    for job_id, status in list(drifted.items())[:MAX_DRIFT_LINES]:
        was = recorded.job_statuses.get(job_id, "not recorded")
        p = plan.plan_job(job_id, status)
        then = (f"`pulumi up` cannot repair it: {p.reason}" if p.step is Step.FAIL
                else f"`pulumi up` will {p.step.value.replace('_', ' ')} it")
        change = f"is {status} (as last recorded)" if was == status else f"drifted: {was} => {status}"
        _say(f"{wanted.label}: job {job_id} {change}; {then}")
    return drifted


def _preflight(inputs: BatchInputs, known: set[str], may_skip: bool) -> tuple[list[Failure], dict[str, str] | None]:
    """The live statuses, and one failure per job new to the batch (not in `known`) that DRS says cannot
    be brought where the batch wants it; a job already in the batch that can't is drift, shown by diff
    and failed by `up` with what to do. What is not yet true of DR forward jobs is said, not failed.
    When DRS cannot be reached (`may_skip`: an existing batch, same region, project and endpoint) the
    preview goes on with the recorded statuses, and says so; a new batch fails, naming the property."""
    from pulumi_drs import converge

    try:
        api, clock = _connect(inputs)
        with closing(api):
            statuses = converge.read_live(api, inputs.job_ids, clock)
            plans = [plan.plan_job(j, s) for j, s in statuses.items()]
            problems = [f"job {p.job_id}: {p.reason} (status {p.status})" for p in plans
                        if p.step is Step.FAIL and p.job_id not in known]
            to_start = [p.job_id for p in plans if p.step is Step.START]
            if to_start:
                problems += _start_problems(api, inputs, to_start)
            if inputs.forward_job_ids and to_start:
                _say_forward_state(inputs, converge.forward_states(api, inputs.forward_job_ids, clock))
    except (DrsError, converge.ConvergeError) as exc:
        if not (may_skip and getattr(exc, "retryable", False)):
            return [Failure(_property_of(exc), redact(f"cannot check the jobs with DRS: {exc}", _secrets()))], None
        _say(redact(f"{inputs.label}: could not reach DRS to check the jobs ({exc}); the preview goes on "
                    "with the statuses recorded at the last update or refresh", _secrets()))
        return [], None
    return [Failure("job_ids", problem) for problem in problems], statuses


def _start_problems(api: DrsApi, inputs: BatchInputs, to_start: list[str]) -> list[str]:
    details = api.read_details(to_start)
    dual_active = [j for j, d in details.items() if d.multi_write]
    if dual_active and not inputs.forward_job_ids:
        _say(f"{inputs.label}: job(s) {', '.join(dual_active)} are dual-active DR tasks: if they are backward "
             "tasks, set forward_job_ids so `pulumi up` waits for the forward jobs (DRS refuses the start before)")
    return plan.start_blockers({j: d.subtasks for j, d in details.items()})


def _say_forward_state(inputs: BatchInputs, states: Sequence[plan.ForwardState]) -> None:
    blockers = plan.forward_blockers(states)
    if blockers:
        _say(f"{inputs.label}: `pulumi up` will wait before starting: " + "; ".join(blockers))


def _converge(inputs: BatchInputs, previous: Mapping[str, Any]) -> dict[str, Any]:
    from pulumi_drs import converge

    api, clock = _connect(inputs)
    deadline = clock.now() + inputs.timeout_seconds
    with closing(api):
        if inputs.forward_job_ids:
            converge.wait_forward(api, inputs.forward_job_ids, timeout=inputs.timeout_seconds, clock=clock,
                                  report=_progress(inputs, "ready (DR forward)"))
        goal = Goal(Target(inputs.wait_mode), has_start_time=inputs.start_time is not None)
        done = converge.converge(api, inputs.job_ids, goal, start_time=_start_time(inputs, clock),
                                 timeout=max(0.0, deadline - clock.now()), clock=clock,
                                 report=_progress(inputs, inputs.wait_mode))
    results = dict(previous)
    results.update({j: _result(o) for j, o in done.results.items()})
    return _outputs(inputs, results, done.statuses)


def _start_time(inputs: BatchInputs, clock: Clock) -> str | None:
    """The start time to send: a recorded one that has passed (a job drifted back to CONFIGURATION
    long after) is never sent; the job starts now, and the user is told."""
    if inputs.start_time is None or int(inputs.start_time) > clock.wall() * 1000:
        return inputs.start_time
    _say(f"{inputs.label}: start_time {inputs.start_time} has passed: any job that needs a start is started now")
    return None


def _progress(inputs: BatchInputs, goal: str) -> Report:
    from pulumi_drs.progress import ProgressLines

    return ProgressLines(inputs.label, goal)


def _result(outcome: Any) -> dict[str, str]:
    result = {"id": outcome.id, "status": "success" if outcome.accepted else "failed"}
    extra = {"error_code": outcome.error_code, "error_msg": outcome.error_message or outcome.note}
    return {**result, **{k: v for k, v in extra.items() if v}}


def _outputs(inputs: BatchInputs, results: Mapping[str, Any], statuses: Mapping[str, str]) -> dict[str, Any]:
    outs = inputs.to_props()
    outs["results"] = [dict(results[j]) for j in inputs.job_ids if j in results]
    outs["count"] = len(inputs.job_ids)
    outs["job_statuses"] = {j: statuses.get(j, NOT_FOUND) for j in inputs.job_ids}
    return outs


def _batch_id(inputs: BatchInputs) -> str:
    digest = hashlib.sha256("\n".join(sorted(inputs.job_ids)).encode()).hexdigest()[:16]
    return f"drsbatch-{digest}"


def _job_ids_from_id(id_: str) -> list[str]:
    """`StartedJobBatch.get(name, "id1,id2")` reads those jobs; a recorded batch ID names none."""
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


def _settings(inputs: BatchInputs) -> Settings:
    return Settings.resolve(explicit=inputs.settings(), config=_stack_config, env=os.environ)


def _connect(inputs: BatchInputs) -> tuple[DrsApi, Clock]:
    from pulumi_drs.api import connect
    from pulumi_drs.converge import Clock

    settings = _settings(inputs)
    return connect(settings), Clock(poll_cap=settings.poll_interval_max)


def _warm_up() -> None:
    """Import the DRS client (requests, pydantic, the wire models) in the background: the engine
    configures the provider before it asks for the first check, and that check's DRS read then finds
    them imported. An import error is left for the step that needs the client to report."""

    def load() -> None:
        with suppress(Exception):
            import pulumi_drs.api.v3.client  # noqa: F401

    threading.Thread(target=load, name="pulumi-drs-warm-up", daemon=True).start()


def _say(message: str) -> None:
    """A line the CLI shows under the stack (a dynamic provider has no engine logger)."""
    print(f"pulumi-drs: {message}", file=sys.stderr, flush=True)


def _secrets() -> list[str]:
    """Every secret value configured for this process, from stack config or the environment."""
    values = [_stack_config.get(config_key(name)) for name in SECRET_FIELDS]
    values += [os.environ.get(env) for name in SECRET_FIELDS for env in ENV_VARS[name]]
    return [v for v in values if v]

"""The dynamic provider of StartedJobBatch: what the engine calls, in the order it calls it.

The class path `pulumi_drs.provider.StartedJobBatchProvider` is recorded (pickled by reference) in
every stack state that holds a batch: it must never move. Instances hold nothing: stack configuration
from `configure` is kept in this module (one provider process serves one stack), and every method
builds its own client from it, so the pickled provider carries no client, lock or credential.

Engine facts this relies on (../shared/reference/pulumi-dynamic.md): `diff` gets the recorded
*outputs* as `olds`, so outputs repeat every input; a failed create records nothing, so create must
be safe to run again; `read` may return new inputs, which is how a refresh makes drift visible.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import wraps
from typing import Any, TypeVar, cast

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

from pulumi_drs import reconcile
from pulumi_drs.client import DrsClient
from pulumi_drs.errors import ConnectError, DrsError, redact
from pulumi_drs.inputs import INPUT_KEYS, BatchInputs, Failure, contains_unknown, normalize
from pulumi_drs.reconcile import Action, Poller, WaitFailed, WaitTarget
from pulumi_drs.settings import ENV_VARS, SECRET_FIELDS, Settings, config_key
from pulumi_drs.statuses import NOT_FOUND

IN_PLACE_KEYS = ("wait", "timeout", "stop_on_delete", "language", "region", "project_id", "endpoint")
DR_MAX_RPO_SECONDS = 60
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
        except (DrsError, WaitFailed, BatchError, ValueError) as exc:
            message = redact(str(exc), _secrets())
            raise BatchError(message).with_traceback(None) from None

    return cast(F, wrapper)


class StartedJobBatchProvider(ResourceProvider):
    serialize_as_secret_always = False
    """The pickled provider is a bare class reference with no secret in it: no need to encrypt it."""

    def configure(self, req: ConfigureRequest) -> None:
        values = {key: req.config.get(key) for key in CONFIG_KEYS}
        _stack_config.clear()
        _stack_config.update({key: str(value) for key, value in values.items() if value is not None})

    # --- check: validate, then preflight against DRS when the job IDs are known ----------------------

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, failures = normalize(news, olds)
        if not failures and not any(contains_unknown(inputs.get(k)) for k in INPUT_KEYS):
            failures = self._preflight(BatchInputs.from_props(inputs))
        return CheckResult(inputs, [CheckFailure(f.property, f.reason) for f in failures])

    def _preflight(self, inputs: BatchInputs) -> list[Failure]:
        """One failure per job that DRS says cannot be started; running jobs are fine."""
        try:
            client = _client(inputs)
            statuses = reconcile.read_statuses(client, inputs.job_ids)
            problems = [f"job {p.job_id}: {p.reason} (status {p.status})"
                        for p in reconcile.plan(statuses) if p.action is Action.IMPOSSIBLE]
            to_start = [j for j, s in statuses.items() if reconcile.plan_job(j, s).action is Action.START]
            problems += _start_blockers(client, to_start)
        except DrsError as exc:
            return [Failure(_property_of(exc), redact(f"cannot check the jobs with DRS: {exc}", _secrets()))]
        return [Failure("job_ids", problem) for problem in problems]

    # --- diff: recorded outputs against the program's inputs, offline ---------------------------

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        if any(contains_unknown(news.get(k)) for k in INPUT_KEYS):
            return DiffResult(changes=None, replaces=[], delete_before_replace=False)
        old_ids = set(olds.get("job_ids") or [])
        new_ids = list(news.get("job_ids") or [])
        recorded = olds.get("job_statuses") or {}
        drifted = [j for j in new_ids if j in old_ids and _is_drift(recorded.get(j))]
        membership = set(new_ids) != old_ids
        settings = [k for k in IN_PLACE_KEYS if _setting(news, k) != _setting(olds, k)]
        return DiffResult(changes=bool(drifted or membership or settings), replaces=[],
                          delete_before_replace=False)

    # --- create / update: converge every job to "started" ---------------------------------------

    @_user_facing
    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = BatchInputs.from_props(props)
        outs = self._converge(inputs, previous_results={})
        return CreateResult(_batch_id(inputs), outs)

    @_user_facing
    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = BatchInputs.from_props(news)
        recorded: dict[str, Any] = olds.get("job_statuses") or {}
        old_results = {r["id"]: r for r in olds.get("results") or [] if isinstance(r, Mapping)}
        removed = sorted(set(olds.get("job_ids") or []) - set(inputs.job_ids))
        if removed:
            print(f"pulumi-drs: {len(removed)} job(s) dropped from the batch and left running: "
                  + ", ".join(removed), file=sys.stderr)
        needs_drs = any(j not in recorded or _is_drift(recorded.get(j)) for j in inputs.job_ids)
        if not needs_drs:
            return UpdateResult(_outputs(inputs, old_results, {j: recorded[j] for j in inputs.job_ids}))
        return UpdateResult(self._converge(inputs, previous_results=old_results))

    def _converge(self, inputs: BatchInputs, previous_results: Mapping[str, Any]) -> dict[str, Any]:
        client = _client(inputs)
        poller = _poller(client.settings)
        statuses = reconcile.read_statuses(client, inputs.job_ids)
        plans = reconcile.plan(statuses)
        outcome = reconcile.converge(client, plans, inputs.start_time, poller)
        acted = [p.job_id for p in plans if p.action in (Action.START, Action.RESUME_OR_RETRY)]
        accepted = {j: statuses[j] for j in acted if j not in outcome.failures}
        if accepted:
            statuses.update(reconcile.read_statuses(client, list(accepted)))
        if outcome.failures:
            raise BatchError(_start_failure_message(outcome.failures))
        target = WaitTarget(inputs.wait)
        statuses = reconcile.wait_for(client, statuses, target, inputs.timeout, poller, acted_from=accepted)
        results = dict(previous_results)
        results.update({j: r.model_dump(exclude_none=True) for j, r in outcome.results.items()})
        return _outputs(inputs, results, statuses)

    # --- read: live statuses; drifted jobs leave the recorded inputs so preview shows them -----------

    @_user_facing
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        job_ids = props.get("job_ids") or _job_ids_from_id(id_)
        inputs = BatchInputs.from_props({**props, "job_ids": job_ids})
        statuses = reconcile.read_statuses(_client(inputs), inputs.job_ids)
        old_results = {r["id"]: r for r in props.get("results") or [] if isinstance(r, Mapping)}
        outs = _outputs(inputs, old_results, statuses)
        recorded_inputs = inputs.to_props()
        recorded_inputs["job_ids"] = [j for j in inputs.job_ids if not _is_drift(statuses[j])]
        return ReadResult(id_, outs, recorded_inputs)

    # --- delete: stop nothing unless asked -------------------------------------------------------

    @_user_facing
    def delete(self, _id: str, props: dict[str, Any]) -> None:
        inputs = BatchInputs.from_props(props)
        if not inputs.stop_on_delete:
            print(f"pulumi-drs: removed the batch from the stack; its {len(inputs.job_ids)} DRS job(s) "
                  "keep running (set stop_on_delete=True to terminate them on delete)", file=sys.stderr)
            return
        client = _client(inputs)
        statuses = reconcile.read_statuses(client, inputs.job_ids)
        live = [j for j, s in statuses.items() if not reconcile.reached(WaitTarget.RELEASED, s)]
        if not live:
            return
        refused = {r.id: f"{r.error_code}: {r.error_msg}" for r in client.terminate_jobs(live)
                   if r.status != "success"}
        if refused:
            raise BatchError("DRS refused to terminate:\n" + "\n".join(f"  - job {j}: {why}"
                                                                       for j, why in refused.items()))
        statuses.update(reconcile.read_statuses(client, live))
        poller = _poller(client.settings)
        reconcile.wait_for(client, statuses, WaitTarget.RELEASED, inputs.timeout, poller)


# --- helpers ---------------------------------------------------------------------------------------


def _setting(props: Mapping[str, Any], key: str) -> Any:
    """A setting as it takes effect: left out means its default."""
    value = props.get(key)
    return getattr(_DEFAULTS, key) if value is None else value


_DEFAULTS = BatchInputs(job_ids=[])


def _is_drift(status: object) -> bool:
    """A recorded status that `pulumi up` must act on (start, resume, retry) or cannot repair."""
    if not isinstance(status, str):
        return False
    return reconcile.plan_job("", status).action is not Action.NONE


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


def _start_failure_message(failures: Mapping[str, str]) -> str:
    lines = "\n".join(f"  - job {job_id}: {why}" for job_id, why in failures.items())
    return (f"{len(failures)} job(s) could not be started:\n{lines}\n"
            "Fix the cause and run `pulumi up` again: jobs already started are recorded, not started twice.")


def _start_blockers(client: DrsClient, job_ids: Sequence[str]) -> list[str]:
    """What DRS would refuse before a start: parent tasks, and DR backward tasks not yet allowed."""
    if not job_ids:
        return []
    problems = []
    details = client.job_details(list(job_ids))
    backward = {}
    for job_id in job_ids:
        detail = details.get(job_id)
        if detail is None:
            continue
        if detail.children:
            problems.append(f"job {job_id}: is a parent task; DRS starts only its child tasks: list those instead")
        elif detail.job_direction == "down" and detail.db_use_type == "cloudDataGuard" and detail.master_job_id:
            backward[job_id] = detail.master_job_id
    return problems + _dr_blockers(client, backward)


def _dr_blockers(client: DrsClient, backward: Mapping[str, str]) -> list[str]:
    if not backward:
        return []
    forward_ids = sorted(set(backward.values()))
    forward_status = reconcile.read_statuses(client, forward_ids)
    progress = client.job_progress(forward_ids)
    problems = []
    for job_id, forward in backward.items():
        status = forward_status.get(forward)
        delay = _delay_seconds(progress.get(forward))
        if status != "INCRE_TRANSFER_STARTED":
            problems.append(f"job {job_id}: is a dual-active DR backward task; its forward task {forward} "
                            f"is {status}, not INCRE_TRANSFER_STARTED: start the forward task first "
                            "(wait='incremental') and make this batch depend on it")
        elif delay is None or delay >= DR_MAX_RPO_SECONDS:
            problems.append(f"job {job_id}: is a dual-active DR backward task; its forward task {forward} "
                            f"has RPO {delay if delay is not None else 'unknown'} s, DRS requires under "
                            f"{DR_MAX_RPO_SECONDS} s: wait for the forward task to catch up")
    return problems


def _delay_seconds(progress: Any) -> float | None:
    raw = getattr(progress, "incre_trans_delay", None)
    try:
        value = float(raw) if raw is not None else None
    except ValueError:
        return None
    return value if value is not None and value >= 0 else None


RESOURCE_SETTINGS = ("region", "project_id", "endpoint", "language")


def _property_of(exc: DrsError) -> str:
    """The resource property a settings or DRS error is about; the job list when none fits."""
    setting = getattr(exc, "setting", None)
    if setting in RESOURCE_SETTINGS:
        return str(setting)
    if exc.error_code == "DRS.M00261":
        return "project_id"
    if isinstance(exc, ConnectError):
        return "endpoint"
    return "job_ids"


def _settings(inputs: BatchInputs) -> Settings:
    explicit = {"region": inputs.region, "project_id": inputs.project_id, "endpoint": inputs.endpoint,
                "language": inputs.language}
    return Settings.resolve(explicit=explicit, config=_stack_config, env=os.environ)


_project_ids: dict[tuple[str | None, str | None, str | None], str] = {}
"""Project IDs looked up by region, per IAM endpoint and identity, once per provider process."""


def _client(inputs: BatchInputs) -> DrsClient:
    settings = _settings(inputs)
    if settings.project_id is None:
        key = (settings.iam_endpoint, settings.region, settings.access_key or settings.user_name)
        if key not in _project_ids:
            _project_ids[key] = DrsClient(settings).project_id_for_region(settings.region or "")
        settings = replace(settings, project_id=_project_ids[key])
    return DrsClient(settings)


def _poller(settings: Settings) -> Poller:
    return Poller(cap_seconds=settings.poll_interval_max)


def _secrets() -> list[str]:
    """Every secret value configured for this process, from stack config or the environment."""
    values = [_stack_config.get(config_key(name)) for name in SECRET_FIELDS]
    values += [os.environ.get(env) for name in SECRET_FIELDS for env in ENV_VARS[name]]
    return [v for v in values if v]

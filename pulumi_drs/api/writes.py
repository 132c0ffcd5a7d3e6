"""Calls that change jobs, whatever the API version: sent so that no job gets one twice.

A request whose answer is lost (timeout, dropped connection, 5xx) may or may not have reached DRS.
Before anything is sent again, the jobs are read: a job whose state shows it needs the request no more
gets a result from that state, and only the others are sent again. A throttled request was refused
before DRS processed it, so it is sent again as it was. A re-sent request that DRS refuses because
the job's status no longer allows it (an earlier copy took effect) is checked the same way. What
"needs it no more" means is the version's, per operation (`WriteOp`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pulumi_drs.api.base import JobView, Outcome, chunks, unique
from pulumi_drs.api.transport import LOST_ANSWER, Transport
from pulumi_drs.errors import ThrottledError
from pulumi_drs.semantics import Meaning, means

Send = Callable[[list[str]], dict[str, Outcome]]
Read = Callable[[list[str]], dict[str, JobView]]


@dataclass(frozen=True)
class WriteOp:
    operation: str
    done: Callable[[JobView], bool]
    """The job needs this request no more: an earlier copy of it may have reached DRS."""
    succeeded: Callable[[JobView], bool]
    """For a job that is done: its state shows the request took effect."""


def send_once(transport: Transport, op: WriteOp, job_ids: Sequence[str], send: Send, read: Read) -> dict[str, Outcome]:
    """`send` the jobs in chunks of `max_batch_size`; one outcome per job, in order."""
    results: dict[str, Outcome] = {}
    for chunk in chunks(unique(job_ids), transport.settings.max_batch_size):
        results.update(_send_chunk(transport, op, chunk, send, read))
    return {j: results[j] for j in unique(job_ids)}


def _send_chunk(transport: Transport, op: WriteOp, chunk: list[str], send: Send, read: Read) -> dict[str, Outcome]:
    done: dict[str, Outcome] = {}
    pending, policy = list(chunk), transport.new_policy()
    while True:
        try:
            answered = send(pending)
        except LOST_ANSWER as lost:
            policy = transport.wait_before_retry(policy, op.operation, lost)
            if isinstance(lost, ThrottledError):
                continue  # refused before DRS processed it: the same request may be sent again
            done.update(_already_done(op, read, pending, f"the answer was lost ({lost.brief()})"))
            pending = [j for j in pending if j not in done]
            if not pending:
                return done
            continue
        if policy.history:
            refused = [j for j, o in answered.items() if means(o.error_code, Meaning.STATUS)]
            why = "a re-sent request was refused for the job's status after an earlier one took effect"
            answered.update(_already_done(op, read, refused, why))
        return {**done, **answered}


def _already_done(op: WriteOp, read: Read, job_ids: list[str], why: str) -> dict[str, Outcome]:
    """Outcomes for the jobs whose state shows they need this request no more."""
    if not job_ids:
        return {}
    views = read(job_ids)
    out = {}
    for job_id in job_ids:
        view = views.get(job_id)
        if view is None or view.status is None or not op.done(view):
            continue
        note = f"{op.operation}: {why}; DRS now shows the job in status {view.status}"
        if op.succeeded(view):
            out[job_id] = Outcome(job_id, True, note=note, inferred=True)
        else:
            out[job_id] = Outcome(job_id, False, view.error_code, f"{note} ({view.error_message or 'no message'})")
    return out

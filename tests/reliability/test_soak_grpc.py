"""The randomized lifecycle soak at the provider level: `python -m pulumi.dynamic` over gRPC with the pickled
provider, driven as the engine drives it (check, diff, then create or update; read on refresh; delete on
destroy), the state kept here. Thousands of steps of drift, faults and program changes in a few minutes;
`DRS_SOAK_SEED` and `DRS_SOAK_STEPS` choose another run (see docs/reliability.md)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest

from drs_testing.e2e import AK, PROJECT_ID, SK
from drs_testing.grpc_provider import DIFF_SOME, DynamicProviderProcess, grpc_error_text
from pulumi_drs.inputs import Recorded
from reliability.soak import (
    DEFAULT_SEED,
    NAME,
    SEED_ENV,
    SHRINK_ENV,
    STEPS_ENV,
    WEIGHTS,
    Outcome,
    Program,
    Setup,
    SoakDrs,
    Step,
    client_tuning,
    dump,
    env_int,
    replays,
    shrink,
    soak,
)

READ_TIMEOUT = 0.3
ENV = client_tuning(poll_cap=0.01, backoff=0.01, read_timeout=READ_TIMEOUT, deadline=5)
"""Polls every 10 ms at most, 4 tries 10 ms apart, a 0.3 s read timeout: a fault costs milliseconds."""


class DrainedProvider(DynamicProviderProcess):
    """The provider process, its stderr read as it comes (a long run would fill the pipe and block it)."""

    def __enter__(self) -> DrainedProvider:
        super().__enter__()
        self.lines: list[str] = []
        assert self._proc is not None and self._proc.stderr is not None
        stream = self._proc.stderr
        self._reader = threading.Thread(target=lambda: self.lines.extend(line.decode(errors="replace")
                                                                         for line in stream), daemon=True)
        self._reader.start()
        return self

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        self._reader.join(10)


class GrpcLevel:
    """The engine's part, played here: inputs and outputs of the one batch, each step's gRPC calls."""

    name = "grpc"

    def __init__(self, drs: SoakDrs) -> None:
        self.said: list[str] = []
        self.provider = self._serve(drs.url)
        self.id = ""
        self.outputs: dict[str, Any] | None = None
        self.inputs: dict[str, Any] | None = None

    def preview(self, program: Program) -> Outcome:
        return self._steps(program, apply=False)

    def up(self, program: Program) -> Outcome:
        return self._steps(program, apply=True)

    def killed_up(self, program: Program) -> Outcome:
        raise NotImplementedError("the gRPC level has no engine to kill")

    def point_at(self, url: str) -> None:
        """A provider process is configured once: as the engine does for its next command, start another."""
        self.close()
        self.provider = self._serve(url)

    def refresh(self) -> Outcome:
        if self.outputs is None:
            return Outcome(True)
        return self._call(lambda: self._read())

    def destroy(self) -> Outcome:
        if self.outputs is None:
            return Outcome(True)
        return self._call(lambda: self._delete())

    def recorded(self) -> Recorded | None:
        return None if self.outputs is None else Recorded.from_outputs(self.outputs)

    def state_text(self) -> str:
        return json.dumps([self.inputs, self.outputs], default=str)

    def everything(self) -> str:
        return "".join(self.said + self.provider.lines)

    def close(self) -> None:
        self.provider.__exit__(None, None, None)
        self.said += self.provider.lines

    def _serve(self, url: str) -> DrainedProvider:
        provider = DrainedProvider(ENV).__enter__()
        provider.configure({"drs:endpoint": url, "drs:projectId": PROJECT_ID, "drs:accessKey": AK,
                            "drs:secretKey": SK})
        return provider

    def _steps(self, program: Program, apply: bool) -> Outcome:
        """check, then diff against the recorded outputs, then (up) create or update; as the engine, a
        batch without a change records the new inputs and keeps its outputs."""
        mark = len(self.provider.lines)
        news = {**program.kwargs(), "resource_name": NAME}
        try:
            checked, failures = self.provider.check(news, self.inputs)
        except grpc.RpcError as error:
            return Outcome(False, grpc_error_text(error), said=self._said(mark), in_check=True)
        if failures:
            text = "\n".join(f"{prop}: {reason}" for prop, reason in failures)
            return Outcome(False, text, said=self._said(mark), in_check=True)
        try:
            changed = self.outputs is None or self.provider.diff(self.id, self.outputs, checked) == DIFF_SOME
            if apply:
                self._apply(checked, changed)
        except grpc.RpcError as error:
            return Outcome(False, grpc_error_text(error), said=self._said(mark))
        return Outcome(True, changed=changed, said=self._said(mark))

    def _apply(self, checked: dict[str, Any], changed: bool) -> None:
        if self.outputs is None:
            self.id, self.outputs = self.provider.create(checked)
        elif changed:
            self.outputs = self.provider.update(self.id, self.outputs, checked)
        self.inputs = checked

    def _read(self) -> None:
        assert self.outputs is not None
        _, self.outputs, self.inputs = self.provider.read(self.id, self.outputs)

    def _delete(self) -> None:
        assert self.outputs is not None
        self.provider.delete(self.id, self.outputs)
        self.outputs = self.inputs = None

    def _call(self, action: Callable[[], None]) -> Outcome:
        mark = len(self.provider.lines)
        try:
            action()
        except grpc.RpcError as error:
            return Outcome(False, grpc_error_text(error), said=self._said(mark))
        return Outcome(True, said=self._said(mark))

    def _said(self, mark: int) -> str:
        return "".join(self.provider.lines[mark:])


SETUP = Setup("grpc", WEIGHTS, lambda drs, _n: GrpcLevel(drs), delay_seconds=READ_TIMEOUT + 0.2)


@pytest.fixture(scope="module")
def drs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoakDrs]:
    with SoakDrs(str(tmp_path_factory.mktemp("soak-grpc") / "drs.sqlite"), stable_address=False) as drs:
        yield drs


def test_thousands_of_random_steps_over_grpc_keep_every_promise(drs: SoakDrs, record: Callable[..., None]) -> None:
    seed, length = env_int(SEED_ENV, DEFAULT_SEED), env_int(STEPS_ENV, 2000)

    figures = soak(SETUP, drs, seed, length, shrink_seconds=env_int(SHRINK_ENV, 240))

    record(**figures.as_dict())
    assert figures.violations == 0 and figures.steps == length, dump(figures)
    ran = {op.split()[0] for op in figures.operations}
    assert ran >= {"preview", "up", "refresh", "destroy"}, dump(figures)
    assert figures.operations["up ok"] > 0 and figures.operations["up failed"] > 0, dump(figures)
    assert len(figures.drifts) == 7 and len(figures.faults) >= 10, dump(figures)


FOUND = {
    "an update of settings alone reads DRS when check could not": [
        Step('stop_on_delete', None, True), Step('new_job', 9), Step('up'), Step('destroy'), Step('up'), Step('up'),
        Step('stop_on_delete', None, False), Step('drift', 10, 'RELEASE_RESOURCE_COMPLETE'),
        Step('fault', None, ('batch-status', 'HTTP 503', 4)), Step('up')],
    "a start request failing for good names the jobs it left": [
        Step('fault', None, ('batch-starting', 'HTTP 500', 3)), Step('fault', None, ('batch-starting', 'HTTP 502', 3)),
        Step('up')],
    "a resume whose answer was lost is not taken for accepted while the job looks paused": [
        Step('stop_on_delete', None, True), Step('wait', None, 'accepted'), Step('new_job', 49), Step('up'),
        Step('destroy'), Step('up'), Step('fault', None, ('batch-status', 'HTTP 503 after the work', 2)),
        Step('drift', 50, 'PAUSING'), Step('fault', None, ('batch-status', 'HTTP 503 after the work', 2)), Step('up'),
        Step('fault', None, ('batch-retry-task', 'delay past the read timeout', 1)), Step('up')],
}
"""The shortest step lists of the bugs the soak found, as it printed them (docs/reliability.md tells each):
before the fix each broke a promise at its last step."""


@pytest.mark.parametrize("steps", list(FOUND.values()), ids=list(FOUND))
def test_the_step_lists_of_bugs_the_soak_found_keep_every_promise(drs: SoakDrs, steps: list[Step]) -> None:
    figures = replays(SETUP, drs, steps)

    assert figures.violations == 0 and figures.skipped == 0 and figures.steps == len(steps), dump(figures)


def test_shrinking_keeps_only_the_steps_a_failure_needs() -> None:
    steps = [Step("preview")] * 30 + [Step("drift", 4, "PAUSING")] + [Step("refresh")] * 30 + \
        [Step("fault", None, ("batch-status", "HTTP 503", 4))] + [Step("preview")] * 9 + [Step("up")]
    needed = {Step("drift", 4, "PAUSING"), Step("fault", None, ("batch-status", "HTTP 503", 4))}
    replayed: list[list[Step]] = []

    def still_fails(candidate: list[Step]) -> bool:
        replayed.append(candidate)
        return needed <= set(candidate)

    shortest = shrink(steps, still_fails, deadline=float("inf"))

    assert shortest == [Step("drift", 4, "PAUSING"), Step("fault", None, ("batch-status", "HTTP 503", 4)), Step("up")]
    assert len(replayed) < 50 and all(candidate[-1] == Step("up") for candidate in replayed)

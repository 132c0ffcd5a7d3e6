"""The randomized lifecycle soak through the real engine: the pulumi CLI (Automation API, local file backend)
runs preview, up, refresh and destroy of a one-batch program, and an up is SIGKILLed mid-start and recovered
as docs/reliability.md tells users (`pulumi cancel`, `pulumi refresh --clear-pending-creates`, `pulumi up`).
DRS keeps one address across restarts (a `StableFront`); credentials are an IAM password, so tokens are
issued and must never show. `DRS_SOAK_SEED` and `DRS_SOAK_ENGINE_STEPS` choose another run."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from drs_testing.e2e import PROJECT_ID, batch_program
from drs_testing.engine import make_stack
from pulumi_drs.emulator import DEFAULT_DOMAIN_NAME, DEFAULT_REGION, DEFAULT_USER_NAME
from pulumi_drs.inputs import Recorded
from reliability.soak import (
    DEFAULT_SEED,
    ENGINE_STEPS_ENV,
    NAME,
    PASSWORD,
    SEED_ENV,
    SHRINK_ENV,
    WEIGHTS,
    Outcome,
    Program,
    Setup,
    SoakDrs,
    client_tuning,
    dump,
    env_int,
    soak,
    status_of,
)
from reliability.support import operations, start_child, wait_until

READ_TIMEOUT = 0.5
ENV = client_tuning(poll_cap=0.05, backoff=0.02, read_timeout=READ_TIMEOUT, deadline=10)
MIX = {**WEIGHTS, "up": 28, "preview": 10, "refresh": 9, "drift": 16, "fault": 14, "killed_up": 5}
"""More operations than the gRPC level's mix (each costs the engine a second or two), and killed ups."""
BATCH_TYPE = "pulumi-python:dynamic/drs:StartedJobBatch"
WRITES = ("batch-starting", "batch-retry-task")
IN_CHECK = ("has a problem", "cannot check the jobs with DRS")
"""How the CLI shows a failed check (the engine's wording, then pulumi-drs's for an unreadable DRS)."""


def credentials(url: str) -> dict[str, tuple[str, bool]]:
    return {"drs:endpoint": (url, False), "drs:iamEndpoint": (url, False), "drs:projectId": (PROJECT_ID, False),
            "drs:region": (DEFAULT_REGION, False), "drs:userName": (DEFAULT_USER_NAME, False),
            "drs:password": (PASSWORD, True), "drs:domainName": (DEFAULT_DOMAIN_NAME, False)}


class EngineLevel:
    """One stack of the batch program; the state is the file backend's."""

    name = "engine"

    def __init__(self, drs: SoakDrs, work: Path) -> None:
        self.drs, self.work = drs, work
        self.config = credentials(drs.url)
        self.es = make_stack(work, batch_program, self.config, env=ENV)
        self.errors: list[str] = []

    def preview(self, program: Program) -> Outcome:
        self._declare(program)
        return self._run(lambda: self.es.preview(), lambda r: _changes(r.change_summary))

    def up(self, program: Program) -> Outcome:
        self._declare(program)
        return self._run(lambda: self.es.up(), lambda r: _changes(r.summary.resource_changes))

    def refresh(self) -> Outcome:
        return self._run(lambda: self.es.refresh(), lambda _r: None)

    def destroy(self) -> Outcome:
        return self._run(lambda: self.es.destroy(), lambda _r: None)

    def killed_up(self, program: Program) -> Outcome:
        """`pulumi up` in a child process, SIGKILLed (with the CLI and its plugins) once it waits after sending
        a start or resume; then the documented recovery. A start is held in STARTJOBING meanwhile, unless a job
        already is (the up would wait for it to the timeout)."""
        if not self.drs.running:
            return self.up(program)  # DRS is down: the up cannot start anything to be killed after
        self._declare(program)
        admin = self.drs.admin
        jobs = self.drs.snapshot()
        hold = not any(status_of(jobs, j) == "STARTJOBING" for j in program.job_ids)
        admin.settings(hold_statuses=["STARTJOBING"] if hold else [])
        child = start_child(self.work, "up", self.config, {NAME: program.kwargs()}, ENV)
        try:
            wait_until(lambda: child.process.poll() is not None or _waits_after_a_write(admin.requests_log()), 120,
                       "the up to send a start or resume")
            killed = child.process.poll() is None
            if killed:
                child.kill()
        finally:
            admin.settings(hold_statuses=[])
        if not killed:
            result = child.wait(60)
            return Outcome(result["ok"], result.get("error", ""), None, child.output(), variant=" (nothing to kill)")
        return self._recover(child.output())

    def point_at(self, url: str) -> None:
        if url != self.config["drs:endpoint"][0]:
            self.config = credentials(url)
            for key in ("drs:endpoint", "drs:iamEndpoint"):
                self.es.stack.set_config(key, auto.ConfigValue(value=url))

    def recorded(self) -> Recorded | None:
        resources = self._state().get("checkpoint", {}).get("latest", {}).get("resources") or []
        batch = next((r for r in resources if r["type"] == BATCH_TYPE), None)
        return None if batch is None else Recorded.from_outputs(batch.get("outputs") or {})

    def state_text(self) -> str:
        return "".join(path.read_text() for path in self._state_files())

    def everything(self) -> str:
        return "\n".join([self.es.text(), *self.errors, self.es.export(), self.state_text()])

    def close(self) -> None:
        pass

    def _declare(self, program: Program) -> None:
        self.es.program_args["batches"] = {NAME: program.kwargs()}

    def _run(self, action: Callable[[], Any], changed: Callable[[Any], bool | None]) -> Outcome:
        mark = len(self.es.log)
        try:
            result = action()
        except auto.CommandError as error:
            text = str(error)
            self.errors.append(text)
            return Outcome(False, text, said="\n".join(self.es.log[mark:]), in_check=any(m in text for m in IN_CHECK))
        return Outcome(True, changed=changed(result), said="\n".join(self.es.log[mark:]))

    def _recover(self, killed_output: str) -> Outcome:
        try:
            self.es.cli("cancel", "--yes", "--stack", "dev")  # the killed CLI left its lock behind
        except RuntimeError as error:
            return Outcome(False, f"pulumi cancel failed after the kill: {error}", said=killed_output)
        try:
            self.es.cli("refresh", "--clear-pending-creates", "--yes", "--stack", "dev")
        except RuntimeError as error:  # DRS faults may fail it: the up that follows reads DRS again
            self.errors.append(str(error))
        outcome = self._run(lambda: self.es.up(), lambda r: _changes(r.summary.resource_changes))
        outcome.said, outcome.variant = killed_output + outcome.said, " (killed, recovered)"
        return outcome

    def _state_files(self) -> list[Path]:
        return sorted((self.work / "backend" / ".pulumi" / "stacks").glob("**/*.json"))

    def _state(self) -> dict[str, Any]:
        files = [p for p in self._state_files() if p.name == "dev.json"]
        return json.loads(files[0].read_text()) if files else {}


def _changes(summary: Any) -> bool:
    return bool(summary.get("update") or summary.get("create"))


def _waits_after_a_write(log: list[dict[str, Any]]) -> bool:
    ops = operations(log)
    first = next((i for i, op in enumerate(ops) if op in WRITES), None)
    return first is not None and "batch-status" in ops[first:]


@pytest.fixture(scope="module")
def drs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoakDrs]:
    with SoakDrs(str(tmp_path_factory.mktemp("soak-engine") / "drs.sqlite"), stable_address=True) as drs:
        yield drs


def test_a_hundred_random_steps_through_the_engine_keep_every_promise(
        drs: SoakDrs, tmp_path: Path, record: Callable[..., None]) -> None:
    seed, length = env_int(SEED_ENV, DEFAULT_SEED), env_int(ENGINE_STEPS_ENV, 100)
    setup = Setup("engine", MIX, lambda drs, n: EngineLevel(drs, tmp_path / f"stack-{n}"),
                  delay_seconds=READ_TIMEOUT + 0.3)

    figures = soak(setup, drs, seed, length, shrink_seconds=env_int(SHRINK_ENV, 300))

    record(**figures.as_dict())
    assert figures.violations == 0 and figures.steps == length, dump(figures)
    ran = {op.split()[0] for op in figures.operations}
    assert ran >= {"preview", "up", "refresh", "destroy"}, dump(figures)
    assert figures.operations["killed_up (killed, recovered) ok"] > 0, dump(figures)
    assert figures.drifts and figures.faults, dump(figures)

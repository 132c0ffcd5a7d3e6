"""Fixtures of the provider tests that call its steps in this process: one emulator subprocess per module,
emptied before each test, and a provider configured for it (helpers: drs_testing.provider_steps)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from drs_testing.e2e import AK, PROJECT_ID, SK, emulator_for_tests, fresh
from drs_testing.native_plugin import InProcessPlugin, NativePlugin, RecordingEngine, secret
from drs_testing.provider_steps import configured, stack_config
from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess
from pulumi_drs.provider import StartedJobBatchProvider


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    with emulator_for_tests(0) as emu:
        yield emu


@pytest.fixture
def admin(emulator: EmulatorProcess) -> EmulatorAdmin:
    """No job, no fault, an empty request log; a queued status step is taken at every status read."""
    emulator.admin.reset()
    return fresh(emulator.admin, 0)


@pytest.fixture
def prov(emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch) -> StartedJobBatchProvider:
    """The provider configured for the emulator, with short waits and nothing kept from another test."""
    monkeypatch.setenv("PULUMI_DRS_POLL_INTERVAL_MAX", "0.05")
    monkeypatch.setenv("PULUMI_DRS_BACKOFF_FACTOR", "0.01")
    monkeypatch.setenv("PULUMI_DRS_MAX_RETRIES", "1")
    return configured(stack_config(emulator))


# --- the native plugin ---------------------------------------------------------------------------------

FAST = {"PULUMI_DRS_POLL_INTERVAL_MAX": "0.05", "PULUMI_DRS_BACKOFF_FACTOR": "0.01", "PULUMI_DRS_MAX_RETRIES": "1"}


@pytest.fixture
def engine() -> Iterator[RecordingEngine]:
    recording = RecordingEngine()
    yield recording
    recording.stop()


@pytest.fixture
def plugin(engine: RecordingEngine, emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[InProcessPlugin]:
    """The servicer in this process (mutation testing reaches it); the console script is tested below."""
    for name, value in FAST.items():
        monkeypatch.setenv(name, value)
    with InProcessPlugin(engine) as p:
        p.configure(endpoint=emulator.url, projectId=PROJECT_ID, accessKey=AK, secretKey=secret(SK))
        yield p


@pytest.fixture
def process(engine: RecordingEngine, emulator: EmulatorProcess) -> Iterator[NativePlugin]:
    """`pulumi-resource-drs`, the console script, as the engine starts it."""
    with NativePlugin(engine, env=FAST) as p:
        p.configure(endpoint=emulator.url, projectId=PROJECT_ID, accessKey=AK, secretKey=secret(SK))
        yield p

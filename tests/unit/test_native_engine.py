"""Lines to the engine: kept or ephemeral under a URN, and the row status of a wait."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from drs_testing.native_plugin import RecordingEngine
from pulumi_drs.native.engine import INFO, WARNING, Engine, RowStatus

URN = "urn:pulumi:dev::p::drs:index:StartedJobBatch::b"


@pytest.fixture
def recording() -> Iterator[RecordingEngine]:
    engine = RecordingEngine()
    yield engine
    engine.stop()


def test_lines_reach_the_engine_with_their_urn_severity_and_kind(recording: RecordingEngine) -> None:
    engine = Engine(recording.address)
    engine.log("kept", URN)
    engine.log("live", URN, ephemeral=True)
    engine.log("careful", severity=WARNING)
    assert [(line.message, line.urn, line.ephemeral, line.severity) for line in recording.lines] == [
        ("kept", URN, False, INFO), ("live", URN, True, INFO), ("careful", "", False, WARNING)]
    assert engine.address == recording.address


def test_without_an_engine_a_line_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    engine = Engine()
    assert engine.address is None
    engine.log("nobody listens")
    assert capsys.readouterr().err == "nobody listens\n"


def test_a_line_the_engine_cannot_take_is_said_on_stderr_and_the_work_goes_on(
        capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{free.getsockname()[1]}"
    Engine(address).log("lost line", URN)
    assert capsys.readouterr().err == "pulumi-drs: could not log to the engine (UNAVAILABLE): lost line\n"


def test_connecting_again_to_the_same_address_keeps_the_channel(recording: RecordingEngine) -> None:
    engine = Engine(recording.address)
    stub = engine._stub
    engine.connect(recording.address)
    assert engine._stub is stub
    engine.connect("")
    assert engine._stub is stub and engine.address == recording.address


def test_a_wait_says_its_start_and_end_and_shows_each_round_on_the_row(recording: RecordingEngine) -> None:
    row = RowStatus(Engine(recording.address), URN, "running")
    row.round({"a": "STARTJOBING", "b": "STARTJOBING"}, ["a", "b"], 0, 3600)
    row.round({"a": "FULL_TRANSFER_STARTED", "b": "STARTJOBING"}, ["b"], 2, 3598)
    row.round({"a": "FULL_TRANSFER_STARTED", "b": "FULL_TRANSFER_STARTED"}, [], 4, 3596)
    assert [(line.message, line.ephemeral) for line in recording.lines] == [
        ("waiting up to 1 h 00 min: 0/2 job(s) running; waiting for 2 STARTJOBING (0 s elapsed, 1 h 00 min left)",
         False),
        ("0/2 job(s) running; waiting for 2 STARTJOBING (0 s elapsed, 1 h 00 min left)", True),
        ("1/2 job(s) running; waiting for 1 STARTJOBING (2 s elapsed, 59 min 58 s left)", True),
        ("all 2 job(s) running after 4 s", False),
        ("", True)]
    assert {line.urn for line in recording.lines} == {URN}


def test_a_wait_with_nothing_to_wait_for_says_one_line(recording: RecordingEngine) -> None:
    row = RowStatus(Engine(recording.address), URN, "released")
    row.round({"a": "RELEASE_RESOURCE_COMPLETE"}, [], 0, 60)
    assert [(line.message, line.ephemeral) for line in recording.lines] == [
        ("all 1 job(s) released after 0 s", False), ("", True)]

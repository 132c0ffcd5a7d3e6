"""engine_watch: a provider process exits when the engine that started it is gone, and only then."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from pulumi_drs import engine_watch

LISTENER = ("import socket, time; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); "
            "print(s.getsockname()[1], flush=True); conns = []\n"
            "while True:\n    conns.append(s.accept()[0])")


@pytest.fixture
def engine() -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A process listening where an engine would, and its address."""
    proc = subprocess.Popen([sys.executable, "-c", LISTENER], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    yield proc, f"127.0.0.1:{proc.stdout.readline().strip()}"
    proc.kill()
    proc.wait(10)


class Exits:
    def __init__(self) -> None:
        self.codes: list[int] = []
        self.done = threading.Event()

    def __call__(self, code: int) -> None:
        self.codes.append(code)
        self.done.set()


def test_the_engine_address_is_the_last_argument_that_is_not_a_flag() -> None:
    assert engine_watch.engine_address(["--logtostderr", "-v=9", "127.0.0.1:43567"]) == "127.0.0.1:43567"
    assert engine_watch.engine_address(["127.0.0.1:1", "--tracing", "x"]) is None
    assert engine_watch.engine_address(["tests/x.py::test_y"]) is None
    assert engine_watch.engine_address([]) is None
    assert engine_watch.engine_address(["[::1]:9000"]) == "[::1]:9000"


def test_a_watched_engine_that_dies_makes_the_process_exit_and_a_live_one_does_not(
        engine: tuple[subprocess.Popen[str], str]) -> None:
    proc, address = engine
    exits = Exits()
    thread = engine_watch.watch(address, interval=0.05, exit=exits)
    assert thread is not None and not exits.done.wait(0.5)
    assert engine_watch.watch(address, interval=0.05, exit=exits) is None  # once per address

    proc.kill()

    assert exits.done.wait(5) and exits.codes == [engine_watch.EXIT_CODE]


def test_a_new_parent_is_a_dead_engine_even_while_its_address_answers(
        engine: tuple[subprocess.Popen[str], str]) -> None:
    _proc, address = engine
    exits = Exits()
    engine_watch.watch(address, parent_pid=os.getppid() + 1, interval=0.05, exit=exits)
    assert exits.done.wait(5) and exits.codes == [engine_watch.EXIT_CODE]


def test_no_address_watches_nothing() -> None:
    assert engine_watch.watch(None) is None
    assert engine_watch.watch_dynamic_provider() is None  # not a `python -m pulumi.dynamic` process


def test_a_flag_after_the_address_does_not_hide_it() -> None:
    assert engine_watch.engine_address(["127.0.0.1:5", "--logflow"]) == "127.0.0.1:5"


def test_the_watch_runs_in_a_named_daemon_thread_and_says_why_it_exits(
        engine: tuple[subprocess.Popen[str], str], capsys: pytest.CaptureFixture[str]) -> None:
    proc, address = engine
    exits = Exits()
    thread = engine_watch.watch(address, interval=0.05, exit=exits)
    assert thread is not None and thread.daemon and thread.name == "pulumi-drs-engine-watch"
    proc.kill()
    assert exits.done.wait(5)
    assert capsys.readouterr().err == (
        f"pulumi-drs: the engine that started this provider is gone (nothing listens at the engine's address "
        f"{address} any more): exiting without sending anything more to DRS\n")


def test_a_broken_stderr_does_not_keep_the_process_from_exiting(
        engine: tuple[subprocess.Popen[str], str], monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        def write(self, _text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    proc, address = engine
    monkeypatch.setattr(sys, "stderr", Broken())
    exits = Exits()
    engine_watch.watch(address, interval=0.05, exit=exits)
    proc.kill()
    assert exits.done.wait(5) and exits.codes == [engine_watch.EXIT_CODE]


def test_a_parent_that_exits_while_the_engine_still_answers_is_noticed_within_an_interval(
        engine: tuple[subprocess.Popen[str], str], monkeypatch: pytest.MonkeyPatch) -> None:
    _proc, address = engine
    exits = Exits()
    parent = os.getppid()
    engine_watch.watch(address, parent_pid=parent, interval=0.05, exit=exits)
    assert not exits.done.wait(0.3)
    monkeypatch.setattr(os, "getppid", lambda: parent + 1)  # re-parented, as to init when the CLI dies
    assert exits.done.wait(2)


def test_an_ipv6_engine_address_is_watched(capsys: pytest.CaptureFixture[str]) -> None:
    listener = subprocess.Popen([sys.executable, "-c", LISTENER.replace("socket.socket()",
                                                                        "socket.socket(socket.AF_INET6)")
                                 .replace("'127.0.0.1'", "'::1'")], stdout=subprocess.PIPE, text=True)
    assert listener.stdout is not None
    address = f"[::1]:{listener.stdout.readline().strip()}"
    exits = Exits()
    engine_watch.watch(address, interval=0.05, exit=exits)
    assert not exits.done.wait(0.3)  # connected: the address was read right
    listener.kill()
    listener.wait(10)
    assert exits.done.wait(5) and address in capsys.readouterr().err


def test_a_dynamic_provider_process_watches_the_address_it_was_started_with(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.machinery
    import types

    watched: list[str | None] = []
    monkeypatch.setattr(engine_watch, "watch", lambda address, **_kw: watched.append(address))  # never exits pytest
    main = types.ModuleType("__main__")
    main.__spec__ = importlib.machinery.ModuleSpec("pulumi.dynamic.__main__", None)
    monkeypatch.setitem(sys.modules, "__main__", main)
    monkeypatch.setattr(sys, "argv", ["/x/pulumi/dynamic/__main__.py", "127.0.0.1:4321"])
    engine_watch.watch_dynamic_provider()
    assert watched == ["127.0.0.1:4321"]


def test_a_passing_connect_error_is_not_taken_for_a_dead_engine_and_the_watch_goes_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A connect that times out or fails for another reason is asked again after an interval; only a refusal
    is proof that the engine is gone."""
    answers: list[OSError] = [TimeoutError("timed out"), OSError(101, "Network is unreachable"),
                              ConnectionRefusedError(111, "Connection refused")]
    timeouts: list[float] = []

    def connect(target: tuple[str, int], timeout: float) -> None:
        timeouts.append(timeout)
        raise answers[min(len(timeouts), len(answers)) - 1]

    monkeypatch.setattr(engine_watch.socket, "create_connection", connect)
    exits = Exits()
    engine_watch.watch("127.0.0.1:19", interval=0.05, exit=exits)
    assert exits.done.wait(5) and exits.codes == [engine_watch.EXIT_CODE]
    assert timeouts == [engine_watch.CONNECT_TIMEOUT_SECONDS] * 3
